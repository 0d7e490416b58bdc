"""Helpers for end-to-end tests that run real server processes (uvicorn as `make run` and the
Docker image serve, or daphne) against the test database."""

import json
import os
import shlex
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


def make_run_command(port: int) -> list[str]:
    """The command `make run` serves with (uvicorn and its options, the Dockerfile's CMD too), on
    127.0.0.1:port, read from `make -n` so a test runs exactly what users run."""
    printed = subprocess.run(  # noqa: S603 - fixed argv
        ["make", "-s", "-n", "run", "HOST=127.0.0.1", f"PORT={port}"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    argv = shlex.split(printed.strip().splitlines()[-1])
    while "=" in argv[0]:  # the environment `make run` sets (FRONTEND_URL), not the command
        argv.pop(0)
    assert Path(argv[0]).name == "uvicorn", argv
    # This interpreter's uvicorn (the same virtualenv), not a path relative to the checkout.
    return [sys.executable, "-m", "uvicorn", *argv[1:]]


def cli_options(argv: list[str]) -> dict[str, str | bool]:
    """`--name value` pairs and bare `--flag`s of a command line."""
    options: dict[str, str | bool] = {}
    for i, arg in enumerate(argv):
        if arg.startswith("--"):
            following = argv[i + 1] if i + 1 < len(argv) else "--"
            options[arg] = True if following.startswith("--") else following
    return options


def daphne_command(port: int) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"]


def start_server(
    env: dict[str, str], *, server: str = "uvicorn", inherit: bool = True, output=subprocess.DEVNULL
) -> tuple[subprocess.Popen, str]:
    """A server process from env vars (on top of this process's environment unless inherit=False);
    returns it once /api/health answers, with its "127.0.0.1:port"."""
    port = free_port()
    command = make_run_command(port) if server == "uvicorn" else daphne_command(port)
    base_env = dict(os.environ) if inherit else {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    process = subprocess.Popen(  # noqa: S603 - our own server
        command,
        cwd=ROOT,
        env={**base_env, "PYTHONUNBUFFERED": "1", **env},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    base = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if request("GET", f"http://{base}/api/health")[0] == 200:
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"{server} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_daphne(**env: str) -> tuple[subprocess.Popen, str]:
    return start_server({"DATABASE_URL": database_url(), **env}, server="daphne")


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
