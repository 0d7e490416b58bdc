"""Shared pieces of the benchmark: settings, process accounting, server lifecycle.

The harness owns one PostgreSQL database and one Redis db index (BENCH_DATABASE_URL,
BENCH_REDIS_URL); it recreates the database and flushes that Redis db on a full run.
"""

import contextlib
import math
import os
import resource
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
BIN = Path(PY).parent
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/arena_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
BASE_PORT = int(os.environ.get("BENCH_PORT", "18700"))
QUICK = os.environ.get("BENCH_QUICK") == "1"
ORIGIN = "http://127.0.0.1"
FLOOR_CHANNEL = "bench.floor"
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR") or tempfile.gettempdir()) / "arena-bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def django_env() -> dict:
    """The environment of every Arena process the harness starts (servers, driver, scripts)."""
    return {
        **os.environ,
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DJANGO_ENV": "development",
        "DJANGO_DEBUG": "0",  # DEBUG keeps every SQL statement in memory
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "arena.settings",
        "PYTHONPATH": str(ROOT),
    }


def django_setup() -> None:
    os.environ.update(django_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- statistics ---------------------------------------------------------------------------


def percentile(values, q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return value / base


# --- process accounting -------------------------------------------------------------------


def cpu_seconds(pid: int, proc: Path = Path("/proc")) -> float:
    """CPU time (user + system) of a process, every thread included, in seconds.

    The process's utime + stime (/proc/<pid>/stat, clock ticks) include threads that have exited:
    Django under ASGI runs each HTTP request in a thread of its own that ends with the request, and
    summing the live threads' schedstat missed all of their CPU (REST rows read 3-10x too low)."""
    fields = (proc / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    # after "(comm)": state is fields[0]; utime and stime are stat fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid: int, proc: Path = Path("/proc")) -> int:
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for {pid}")


@dataclass
class CpuWindow:
    """CPU spent by a set of processes between start() and stop()."""

    pids: list[int]
    reader: object = cpu_seconds
    started: dict = field(default_factory=dict)
    cpu: float = 0.0
    wall: float = 0.0

    def start(self) -> "CpuWindow":
        self.started = {pid: self.reader(pid) for pid in self.pids}
        self._t0 = time.monotonic()
        return self

    def stop(self) -> "CpuWindow":
        self.wall = time.monotonic() - self._t0
        self.cpu = sum(self.reader(pid) - before for pid, before in self.started.items())
        return self

    def per(self, count: int) -> float | None:
        """CPU seconds per unit of work (messages, requests); None when nothing was done."""
        return self.cpu / count if count else None


# --- servers --------------------------------------------------------------------------------

KINDS = ("floor", "daphne", "uvicorn")


def uvicorn_available() -> bool:
    return (BIN / "uvicorn").exists()


def server_command(kind: str, port: int) -> list[str]:
    if kind == "daphne":
        # -v 0: no access log (uvicorn runs with --no-access-log too); errors are still logged.
        return [str(BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"]
    if kind == "uvicorn":
        return [
            str(BIN / "uvicorn"), "arena.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            # As `make run` serves (Makefile SERVE_OPTIONS): the sans-I/O websockets protocol.
            "--ws", "websockets-sansio", "--ws-max-size", "65536", "--ws-per-message-deflate", "false",
            "--lifespan", "off", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if kind == "floor":
        return [PY, "-m", "bench.floor_server", "--port", str(port), "--redis", REDIS_URL, "--channel", FLOOR_CHANNEL]
    raise ValueError(kind)


def _wait_ready(kind: str, port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{kind} on :{port} exited with {process.returncode}")
        try:
            if kind == "floor":
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{kind} on :{port} not ready after {timeout}s")


@dataclass
class Servers:
    kind: str
    processes: list[subprocess.Popen]
    ports: list[int]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def ws_urls(self, tournament_id: int) -> list[str]:
        path = "/" if self.kind == "floor" else f"/ws/tournaments/{tournament_id}/"
        return [f"ws://127.0.0.1:{port}{path}" for port in self.ports]

    def http_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[0]}{path}"

    def rss_kib(self) -> int:
        return sum(rss_kib(pid) for pid in self.pids)

    def command(self) -> str:
        return shlex.join(server_command(self.kind, self.ports[0]))


@contextlib.contextmanager
def servers(kind: str, count: int = 1, env: dict | None = None):
    """Start `count` server processes of one kind on consecutive ports; stop them after.
    `env` overrides the Arena environment (django_env) for these servers.

    The harness's Redis db is flushed first: a server stopped with spectators connected leaves
    their channel names in channels_redis's groups (for a day), and every later group_send
    would still write to them. Seq counters restart above every earlier seq (realtime.publish.buffer)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    ports = [BASE_PORT + i for i in range(count)]
    processes = []
    try:
        for port in ports:
            log = open(LOG_DIR / f"{kind}-{port}.log", "ab")  # noqa: SIM115 - closed with the process
            processes.append(
                subprocess.Popen(
                    server_command(kind, port), cwd=ROOT, env={**django_env(), **(env or {})}, stdout=log, stderr=log
                )
            )
            log.close()
        for process, port in zip(processes, ports, strict=True):
            _wait_ready(kind, port, process)
        yield Servers(kind, processes, ports)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def redis_run_id() -> str:
    """Redis's run_id: a row whose run_id changed ran across a Redis restart (other agents on the machine)."""
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL).info("server")["run_id"]
    except redis.RedisError:
        return "unreachable"


RESTARTED = "Redis restarted during this row (another process on the shared machine): figures disturbed"


def run_json(args: list[str], timeout: float = 600, lines: int = 1) -> dict | list[dict]:
    """Run a harness script in its own process; it prints its JSON object(s) last, one a line."""
    import json

    out = subprocess.run(args, cwd=ROOT, env=django_env(), capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{shlex.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    found = [json.loads(line) for line in out.stdout.strip().splitlines()[-lines:]]
    return found[0] if lines == 1 else found
