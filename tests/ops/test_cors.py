"""CORS_ALLOWED_ORIGINS, as an operator sets it: a real server started from the environment."""

import asyncio
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

from tests.e2e.cluster import start_server, stop

ROOT = Path(__file__).resolve().parents[2]
APP = "https://app.example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Booted from the environment as an operator would (no DATABASE_URL / REDIS_URL: embedded)."""
    tmp = tmp_path_factory.mktemp("cors")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        CORS_ALLOWED_ORIGINS=f"{APP},http://localhost:3000",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        MEDIA_ROOT=str(tmp / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp / "private"),
    )
    process, base = start_server(env, inherit=False)
    yield f"http://{base}", int(base.rsplit(":", 1)[1])
    stop(process)


def _preflight(base: str, origin: str):
    request = urllib.request.Request(
        f"{base}/api/payments",
        method="OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def test_preflight_from_an_allowed_origin_succeeds(server):
    status, headers = _preflight(server[0], APP)
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == APP
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "idempotency-key" in headers["Access-Control-Allow-Headers"]


def test_preflight_from_another_origin_gets_no_cors_grant(server):
    status, headers = _preflight(server[0], "https://evil.example.com")
    assert headers["Access-Control-Allow-Origin"] is None
    assert status == 200  # the browser, not the server, blocks the call: no grant above


def test_simple_request_exposes_retry_and_request_id_headers(server):
    request = urllib.request.Request(f"{server[0]}/api/health", headers={"Origin": APP})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == APP
        assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


async def _handshake(port: int, origin: str) -> str:
    """An authenticated topic without a ticket: a right origin reaches the consumer (close 4401),
    a wrong one is refused at the handshake (HTTP 403)."""
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/me/", origin=origin, open_timeout=10) as ws:
            await asyncio.wait_for(ws.recv(), 10)
    except websockets.ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else None}"
    except websockets.InvalidStatus as refused:
        return f"refused {refused.response.status_code}"
    return "open"


def test_websocket_origins_follow_the_cors_list(server):
    port = server[1]
    assert asyncio.run(_handshake(port, APP)) == "closed 4401"
    assert asyncio.run(_handshake(port, "https://evil.example.com")) == "refused 403"
