"""Helpers for end-to-end tests that run real daphne processes against the test database."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_daphne(**env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if request("GET", f"http://{base}/api/health")[0] == 200:
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("daphne did not start")


def request(method: str, url: str, body=None, token: str | None = None) -> tuple[int, dict | None]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=15) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class PrivateRedis:
    """A redis-server of the test's own, to restart, kill or restore from an older RDB snapshot
    without touching the shared one. Snapshots are only taken by save()."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [shutil.which("redis-cli"), "-h", "127.0.0.1", "-p", str(self.port), *args],
            capture_output=True,
            timeout=10,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--dbfilename", "dump.rdb"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while self.cli("ping").stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        """Die without saving, as a crash does."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, *, down_for: float = 0.5) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()

    def save(self) -> None:
        assert self.cli("save").returncode == 0
