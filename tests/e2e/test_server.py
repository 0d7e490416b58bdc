"""Drive a real server process (uvicorn, as `make run` serves, and daphne): what crosses process
boundaries is tested here."""

import json
import urllib.error
import urllib.request

import pytest
import websockets
from django.db import connection

from tests.e2e.cluster import database_url, start_server, stop

pytestmark = pytest.mark.e2e


def _get(url: str, **kwargs):
    try:
        with urllib.request.urlopen(url, timeout=10, **kwargs) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module", params=["uvicorn", "daphne"])
def server(request, django_db_setup, django_db_blocker):
    """The server `make run` starts (uvicorn), and daphne, which stays supported, each on the test
    database (not DATABASE_URL's own, which a fresh CI machine has not migrated)."""
    env = {"THROTTLE_VERIFY_EMAIL": "3/m"}
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            env["DATABASE_URL"] = database_url()
    process, base = start_server(env, server=request.param)
    yield f"http://{base}", int(base.rsplit(":", 1)[1])
    stop(process)


def test_health_over_http(server):
    base, _ = server
    status, _headers, body = _get(f"{base}/api/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def test_docs_render_with_their_static_files(server):
    base, _ = server
    status, _, body = _get(f"{base}/api/docs")
    assert status == 200
    html = body.decode()
    assert "swagger-ui" in html
    assert _get(f"{base}/static/ninja/swagger-ui.css")[0] == 200
    status, _, schema = _get(f"{base}/api/openapi.json")
    assert status == 200
    assert "/api/auth/login" in json.loads(schema)["paths"]


async def test_websocket_echo(server):
    _, port = server
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/echo/", origin="http://localhost") as ws:
        await ws.send("ping from a real socket")
        assert await ws.recv() == "ping from a real socket"


async def test_websocket_from_foreign_origin_is_refused(server):
    _, port = server
    with pytest.raises(websockets.exceptions.InvalidStatus):
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/echo/", origin="https://evil.example"):
            pass


@pytest.mark.requires_redis
@pytest.mark.django_db
def test_throttle_is_shared_between_processes(server, api, settings):
    """Three attempts spent against the daphne process exhaust the limit for this process too."""
    base, _ = server
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "verify_email": "3/m"}
    request = urllib.request.Request(
        f"{base}/api/auth/verify-email",
        data=json.dumps({"token": "not-a-token"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    for _ in range(3):
        assert _get(request)[0] == 422
    response = api.post_json("/api/auth/verify-email", {"token": "not-a-token"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
