"""LOG_FORMAT=json as an operator runs it: a real server and a real Celery worker, each logging
JSON lines that carry the request id of the HTTP request that caused them."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from arena.celery import app as celery_app
from tests.e2e.cluster import database_url, free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.requires_redis,
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
]


def _json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _wait(predicate, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"never saw {what}:\n" + "\n".join(p.read_text(errors="replace")[-3000:] for p in logs))


def test_json_log_lines_carry_the_request_id_into_the_worker(tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url(), "LOG_FORMAT": "json", "PYTHONUNBUFFERED": "1"}
    env.pop("EMAIL_URL", None)  # the worker logs the verification email: a line to find
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    celery_app.conf.task_always_eager = False
    with server_log.open("wb") as s_out, worker_log.open("wb") as w_out:
        server = subprocess.Popen(  # noqa: S603 - our own server
            [sys.executable, "-m", "daphne", "--verbosity", "0", "-b", "127.0.0.1", "-p", str(port),
             "arena.asgi:application"],
            cwd=ROOT, env=env, stdout=s_out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "arena", "worker", "--pool=solo", "--without-mingle",
             "--without-gossip", "--loglevel=info"],
            cwd=ROOT, env=env, stdout=w_out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2):
                    return True
            except OSError:
                return False

        _wait(up, "the server answer", [server_log])
        body = {"email": "logs@example.com", "password": "a-long-fresh-pass", "username": "logs", "role": "player"}
        request = urllib.request.Request(
            f"{base}/api/auth/register",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Request-ID": "req-7f3a-e2e"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
            assert response.headers["X-Request-ID"] == "req-7f3a-e2e"

        _wait(
            lambda: any(line.get("request_id") == "req-7f3a-e2e" for line in _json_lines(server_log)),
            "the server's access line",
            [server_log],
        )
        access = [line for line in _json_lines(server_log) if line.get("request_id") == "req-7f3a-e2e"]
        assert access[-1]["logger"] == "arena.access"
        assert (access[-1]["method"], access[-1]["path"], access[-1]["status"]) == ("POST", "/api/auth/register", 201)
        assert {"time", "level", "message"} <= access[-1].keys()

        def worker_lines() -> list[dict]:
            return [line for line in _json_lines(worker_log) if line.get("request_id") == "req-7f3a-e2e"]

        _wait(lambda: any(line["logger"] == "arena.mail" for line in worker_lines()), "the task's email", [worker_log])
        mail = next(line for line in worker_lines() if line["logger"] == "arena.mail")
        assert "logs@example.com" in mail["message"]
        assert "/verify-email?token=" in mail["message"]
    finally:
        for process in (server, worker):
            process.terminate()
        for process in (server, worker):
            process.wait(timeout=20)
