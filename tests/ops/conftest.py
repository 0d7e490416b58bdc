import json
import shutil

import pytest

from tests.ops.test_boot import manage


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite file, made once (a fresh process, from env vars only); copy it per test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "db.sqlite3"
    result = manage("migrate", "--noinput", env={"DATABASE_URL": f"sqlite:///{path}"})
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def sqlite_url(migrated_sqlite, tmp_path) -> str:
    path = tmp_path / "db.sqlite3"
    shutil.copy(migrated_sqlite, path)
    return f"sqlite:///{path}"


def shell(script: str, env: dict[str, str]) -> dict:
    """Run `script` in `manage.py shell` (a fresh process on env's database); it prints JSON last."""
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
