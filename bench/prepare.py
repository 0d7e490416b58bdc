"""A database and Redis db of the benchmark's own, migrated and holding its data."""

from urllib.parse import urlsplit, urlunsplit

from bench.common import DATABASE_URL, PY, REDIS_URL, run_json


def _recreate_database() -> None:
    import psycopg

    url = urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _database_exists() -> bool:
    import psycopg

    try:
        psycopg.connect(DATABASE_URL).close()
    except psycopg.OperationalError:
        return False
    return True


def prepare(*, fresh: bool) -> dict:
    """fresh: drop and recreate the database, flush the Redis db (both the harness's own).
    Returns bench.data's ids ({"live": tournament id, ...})."""
    import subprocess

    import redis

    from bench.common import ROOT, django_env

    if fresh or not _database_exists():
        _recreate_database()
    if fresh:
        redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=django_env(), check=True)
    return run_json([PY, "-m", "bench.data"])
