# compose-spec.json: compose-spec/compose-spec schema/compose-spec.json @ b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba
"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is validated against the vendored Compose Specification schema (a copy that is
shown to reject broken files), then the wiring the stack depends on is asserted service by service.
"""

import copy
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import resolve

from tests.e2e.cluster import cli_options

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")

SERVICES = {"postgres", "redis", "migrate", "web", "worker", "beat"}
APP_SERVICES = {"migrate", "web", "worker", "beat"}
HEALTH_URL = "http://127.0.0.1:8000/api/health"


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.fail(f"{module} is not installed: it belongs in requirements-dev.txt")


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = _require("yaml")
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def validator():
    jsonschema = _require("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, args = line.partition(" ")
            instructions.append((keyword.upper(), " ".join(args.split())))
    return instructions


def _env(service: dict) -> dict:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return env


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else command


def _runs(dockerfile, keyword: str) -> list[str]:
    return [args for kw, args in dockerfile if kw == keyword]


# --- schema ------------------------------------------------------------------------


def test_compose_file_matches_the_compose_spec(compose, validator):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_no_obsolete_version_key(compose):
    assert "version" not in compose


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "web", "depends_on"), 1),
        (("services", "web", "depends_on", "migrate", "condition"), "service_done"),
        (("services", "web", "helthcheck"), {"test": ["CMD", "true"]}),
        (("services", "redis", "healthcheck", "test"), 42),
    ],
    ids=["depends_on-integer", "unknown-condition", "misspelled-key", "healthcheck-test-integer"],
)
def test_schema_rejects_a_broken_copy(compose, validator, path, value):
    broken = copy.deepcopy(compose)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value

    assert validator.is_valid(compose)
    assert not validator.is_valid(broken)


# --- services ----------------------------------------------------------------------


def test_the_six_services_exist(compose):
    assert set(compose["services"]) == SERVICES


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker", "beat"])
def test_healthchecks(compose, name):
    test = compose["services"][name]["healthcheck"]["test"]
    assert test[0] in {"CMD", "CMD-SHELL"}


def test_postgres_and_redis_probes(compose):
    services = compose["services"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])


def test_web_healthcheck_calls_the_health_endpoint_with_python(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "urllib.request.urlopen" in test[3]
    assert HEALTH_URL in test[3]
    assert resolve("/api/health").url_name is not None
    # The probe's Host header is 127.0.0.1, which the default ALLOWED_HOSTS must let through.
    assert "127.0.0.1" in _env(compose["services"]["web"])["ALLOWED_HOSTS"]


def test_web_waits_for_healthy_backends_and_finished_migrations(compose):
    assert compose["services"]["web"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert "8000:8000" in compose["services"]["web"]["ports"]


def test_migrate_is_one_shot(compose):
    migrate = compose["services"]["migrate"]
    assert _command(migrate) == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}
    # unless-stopped would rerun it forever and it would never count as completed.
    assert migrate["restart"] == "no"


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_services(compose, name):
    command = _command(compose["services"][name])
    assert command[:4] == ["celery", "-A", "arena", name]
    assert compose["services"][name]["depends_on"]["redis"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("name", sorted(SERVICES - {"migrate"}))
def test_long_running_services_restart(compose, name):
    assert compose["services"][name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_app_services_share_image_settings_and_media(compose, name):
    service = compose["services"][name]
    env = _env(service)
    assert service["build"] == "."
    assert env["DATABASE_URL"] == "postgres://arena:arena@postgres:5432/arena"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["DJANGO_ENV"] == "production"
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert env["SECURE_SSL_REDIRECT"] == "${SECURE_SSL_REDIRECT:-false}"
    assert {"EMAIL_URL", "FRONTEND_URL", "ALLOWED_HOSTS"} <= env.keys()
    assert {"media:/app/media", "private_media:/app/private_media"} <= set(service["volumes"])


def test_postgres_credentials_match_database_url(compose):
    pg = _env(compose["services"]["postgres"])
    url = _env(compose["services"]["web"])["DATABASE_URL"]
    assert url == f"postgres://{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}"


def test_named_volumes_are_declared(compose):
    assert {"pgdata", "media", "private_media"} <= set(compose["volumes"])


# --- Dockerfile --------------------------------------------------------------------


def test_dockerfile_base_and_user(dockerfile):
    assert dockerfile[0] == ("FROM", "python:3.11-slim-bookworm")
    assert _runs(dockerfile, "WORKDIR") == ["/app"]  # the compose volumes mount under /app
    users = _runs(dockerfile, "USER")
    assert users
    assert users[-1] not in {"root", "0"}


def test_dockerfile_installs_tesseract_and_runtime_requirements(dockerfile):
    runs = _runs(dockerfile, "RUN")
    apt = next(r for r in runs if "apt-get install" in r)
    assert "--no-install-recommends" in apt
    assert "tesseract-ocr" in apt.split()
    assert "rm -rf /var/lib/apt/lists/*" in apt
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    assert not any("requirements-dev" in r for r in runs)


def test_dockerfile_serves_uvicorn_on_all_interfaces(dockerfile):
    """uvicorn streams request bodies to the app, which refuses oversized ones before reading them
    (tests/ops/test_serving.py runs this same command through `make run`)."""
    assert ("EXPOSE", "8000") in dockerfile
    cmd = json.loads(_runs(dockerfile, "CMD")[-1])
    assert cmd[:2] == ["uvicorn", "arena.asgi:application"]
    options = cli_options(cmd[2:])
    # All interfaces is right inside a container: the port is published by compose.
    assert options["--host"] == "0.0.0.0"  # noqa: S104
    assert options["--port"] == "8000"
    assert options["--ws"] == "websockets-sansio"
    # Channels' router has no lifespan handler; "auto" would log a traceback at every start.
    assert options["--lifespan"] == "off"
    assert options["--no-access-log"] is True  # arena.logs writes the access line, in the project's format
    assert "uvicorn==" in (ROOT / "requirements.txt").read_text()


def test_web_serves_the_image_command(compose):
    """web runs the image's CMD (uvicorn); an override here would silently bring daphne back."""
    assert "command" not in compose["services"]["web"]


def test_dockerfile_collectstatic_writes_the_production_manifest(dockerfile):
    """A development-mode collectstatic writes no staticfiles.json, and production's
    manifest storage then answers 500 on the admin and /api/docs; the build must run it
    with production settings, and those settings must load with the build-only values."""
    run = next(r for r in _runs(dockerfile, "RUN") if "collectstatic" in r)
    assignments = dict(re.findall(r"\b([A-Z_]+)=(\S+)", run.split("python manage.py collectstatic")[0]))
    assert assignments["DJANGO_ENV"] == "production"
    assert "--noinput" in run

    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG"}}
    env.update(assignments)
    probe = "import arena.settings as s; print(s.PRODUCTION, s.STORAGES['staticfiles']['BACKEND'])"
    result = subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "whitenoise.storage.CompressedManifestStaticFilesStorage"]


def test_worker_and_beat_probes_check_that_they_work(compose):
    worker = " ".join(compose["services"]["worker"]["healthcheck"]["test"])
    assert "inspect ping" in worker
    assert "celery@$$HOSTNAME" in worker  # compose turns $$ into $: the shell expands HOSTNAME
    beat = compose["services"]["beat"]["healthcheck"]["test"]
    schedule = next(a for a in _command(compose["services"]["beat"]) if a.startswith("--schedule="))
    assert schedule.removeprefix("--schedule=") in beat[3]


def test_dockerfile_has_a_healthcheck_and_the_image_leaves_tests_and_ci_out(dockerfile):
    assert any(instruction == "HEALTHCHECK" and "/api/health" in args for instruction, args in dockerfile)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"tests", ".ci", "bench", ".git", ".venv"} <= set(ignored)
