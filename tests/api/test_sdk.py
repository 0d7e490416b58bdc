"""The OpenAPI document generates a usable TypeScript client: openapi-typescript (npm) turns it
into types and `tsc --strict` checks sdk/usage.ts, code a client developer writes against them."""

import collections
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from api.api import api
from tests.conftest import REQUIRE_SERVICES

SDK = Path(__file__).resolve().parents[2] / "sdk"


def _operations():
    schema = api.get_openapi_schema()
    return [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]


def test_operation_ids_are_unique_and_resource_first():
    ids = [op["operationId"] for _, _, op in _operations()]
    assert [i for i, n in collections.Counter(ids).items() if n > 1] == []
    assert "tournaments_list" in ids
    assert "match_results_post" in ids
    assert not [i for i in ids if i.startswith("api_")]


@pytest.fixture(scope="module")
def npm():
    npm = shutil.which("npm")
    if npm is None:
        if REQUIRE_SERVICES:
            pytest.fail("npm is missing but ARENA_REQUIRE_SERVICES=1 (install Node.js)")
        pytest.skip("npm is not installed")
    if not (SDK / "node_modules" / ".bin" / "tsc").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SDK, check=True, capture_output=True)  # noqa: S603
    return npm


def test_generated_typescript_client_type_checks(npm):
    build = SDK / "build"
    build.mkdir(exist_ok=True)
    (build / "openapi.json").write_text(json.dumps(api.get_openapi_schema()))
    for script in ("generate", "check"):
        run = subprocess.run([npm, "run", "--silent", script], cwd=SDK, capture_output=True, text=True)  # noqa: S603
        assert run.returncode == 0, f"npm run {script}:\n{run.stdout}\n{run.stderr}"
    types = (build / "arena.d.ts").read_text()
    assert "tournaments_list: {" in types
