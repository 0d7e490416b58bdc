"""Every documented configuration boots: `manage.py check` (and `check --deploy` in production)
in a fresh process, configured only by environment variables."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "x7Gq2pL9vR4tY8wB1nM6cZ3kH5jD0sF2aQ9eU7iO4pT6yR1wE8"
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": SECRET_KEY,
    "ALLOWED_HOSTS": "arena.example.com",
    "DATABASE_URL": "postgres://arena:secret@db.example.com:5432/arena",
    "REDIS_URL": "redis://cache.example.com:6379/0",
}
GATEWAY_CREDENTIALS = {
    "razorpay": {
        "RAZORPAY_KEY_ID": "rzp_live_1DP5mmOlF5G5ag",
        "RAZORPAY_KEY_SECRET": "thisisnotarealsecretkey",
        "RAZORPAY_WEBHOOK_SECRET": "whsec-arena",
    },
    "phonepe": {
        "PHONEPE_CLIENT_ID": "M22ARENA_2511",
        "PHONEPE_CLIENT_SECRET": "MjdkYTk0NTEtNzJiYS00ZmQ4LWE0NTAtMDAwMDAwMDAwMDAw",
        "PHONEPE_CALLBACK_USERNAME": "arena_callback",
        "PHONEPE_CALLBACK_PASSWORD": "cb-password-123",
    },
}
PROBE = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'gateways': s.PAYMENT_GATEWAYS, 'database': s.DATABASES['default'], "
    "'razorpay': s.RAZORPAY_API_BASE, 'phonepe': s.PHONEPE_API_BASE, 'body': s.MAX_REQUEST_BODY_BYTES}, default=str))"
)


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """manage.py in a fresh process whose Arena configuration is `env` and nothing inherited."""
    inherited = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return subprocess.run(  # noqa: S603 - fixed argv, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def probe(env: dict[str, str]) -> dict:
    result = manage("shell", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- payment gateways ------------------------------------------------------------------------


@pytest.mark.parametrize("gateway", ["razorpay", "phonepe"])
def test_a_real_gateway_boots_in_development(gateway, tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PAYMENT_GATEWAYS": f"sandbox,{gateway}",
        **GATEWAY_CREDENTIALS[gateway],
    }
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert probe(env)["gateways"] == ["sandbox", gateway]


@pytest.mark.parametrize("gateways", ["razorpay", "phonepe", "razorpay,phonepe"])
def test_real_gateways_boot_in_production_and_pass_check_deploy(gateways):
    env = {**PRODUCTION, "PAYMENT_GATEWAYS": gateways}
    for gateway in gateways.split(","):
        env.update(GATEWAY_CREDENTIALS[gateway])
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("gateway", ["razorpay", "phonepe"])
def test_a_gateway_without_its_credentials_is_refused_by_name(gateway):
    credentials = dict(GATEWAY_CREDENTIALS[gateway])
    missing = credentials.popitem()[0]
    result = manage("check", env={**PRODUCTION, "PAYMENT_GATEWAYS": gateway, **credentials})
    assert result.returncode != 0
    assert f"PAYMENT_GATEWAYS includes {gateway}" in result.stderr
    assert missing in result.stderr
    assert "KeyError" not in result.stderr


def test_the_sandbox_is_refused_in_production():
    result = manage("check", env={**PRODUCTION, "PAYMENT_GATEWAYS": "sandbox"})
    assert result.returncode != 0
    assert "sandbox payment gateway cannot be enabled in production" in result.stderr


def test_gateway_api_bases_come_from_the_environment(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    defaults = probe(env)
    assert (defaults["razorpay"], defaults["phonepe"]) == ("https://api.razorpay.com", "")
    local = probe({**env, "RAZORPAY_API_BASE": "http://127.0.0.1:9001/", "PHONEPE_API_BASE": "http://127.0.0.1:9002"})
    assert (local["razorpay"], local["phonepe"]) == ("http://127.0.0.1:9001", "http://127.0.0.1:9002")


# --- Redis in production ----------------------------------------------------------------------


def test_production_without_redis_refuses_to_start():
    """Not a silent fallback to a per-process cache, an in-memory channel layer and eager Celery."""
    env = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_ENV=production needs REDIS_URL" in result.stderr


def test_production_with_redis_keeps_the_ratelimit_checks(tmp_path):
    """Only the embedded mode silences django-ratelimit's shared-cache check (E003)."""
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)", env=PRODUCTION
    )
    assert result.returncode == 0, result.stderr
    assert "django_ratelimit.E003" not in result.stdout


# --- databases ------------------------------------------------------------------------------


def test_postgresql_uses_a_bounded_pool_sized_from_the_environment():
    database = probe(
        {
            **PRODUCTION,
            "DATABASE_POOL_MIN_SIZE": "3",
            "DATABASE_POOL_MAX_SIZE": "7",
            "DATABASE_POOL_TIMEOUT": "2.5",
        }
    )["database"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    # Django refuses a pool with persistent connections.
    assert database["CONN_MAX_AGE"] == 0
    assert database["OPTIONS"]["pool"] == {"min_size": 3, "max_size": 7, "timeout": 2.5}
    assert database["CONN_HEALTH_CHECKS"] is True  # Django makes it the pool's check on checkout


def test_a_postgresql_url_keeps_its_own_options_next_to_the_pool():
    url = PRODUCTION["DATABASE_URL"] + "?application_name=arena-web&sslmode=require"
    options = probe({**PRODUCTION, "DATABASE_URL": url})["database"]["OPTIONS"]
    assert options["application_name"] == "arena-web"
    assert options["sslmode"] == "require"
    assert options["pool"]["max_size"] == 10


def test_sqlite_serialises_writers_instead_of_failing(tmp_path):
    options = probe({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})["database"]["OPTIONS"]
    assert options == {"transaction_mode": "IMMEDIATE", "timeout": 20}
