"""Measure a server the way docs/SERVING.md reports it (not a test: run it by hand).

    .venv/bin/python -m tests.ops.measure_serving uvicorn
    .venv/bin/python -m tests.ops.measure_serving daphne

Starts the server as tests do (uvicorn through `make run`'s command), embedded mode on a throwaway
SQLite file, then: (1) one anonymous 200 MiB multipart POST streamed from a generator, reporting
the answer, the seconds until it and the server's resident and peak memory before and after;
(2) GET /api/health and GET /api/games for a few seconds each from 20 concurrent connections."""

import asyncio
import os
import sys
import tempfile
import time

import django
import httpx

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")
django.setup()

from tests.e2e.cluster import start_server, stop  # noqa: E402
from tests.ops.test_serving import MiB, _memory_kib, _multipart, _post_streaming  # noqa: E402


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def throughput(base: str, path: str, seconds: float = 5.0, connections: int = 20) -> tuple[float, dict]:
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    async def worker(client):
        count = 0
        while time.monotonic() < deadline:
            response = await client.get(path)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            count += 1
        return count

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.monotonic()
        total = sum(await asyncio.gather(*(worker(client) for _ in range(connections))))
        return total / (time.monotonic() - started), statuses


def main(server: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3"}
        # migrated, so /api/games answers from the database
        os.system(f"DATABASE_URL={env['DATABASE_URL']} {sys.executable} manage.py migrate -v0")  # noqa: S605
        process, base = start_server(env, server=server, inherit=False)
        try:
            pid = process.pid
            rss, hwm = _memory_kib(pid, "VmRSS"), _memory_kib(pid, "VmHWM")
            length, chunks = _multipart(200 * MiB)
            started = time.monotonic()
            status, body, sent = _post_streaming(base, "/api/me/avatar", length, chunks)
            took = time.monotonic() - started
            say(f"{server}: 200 MiB POST → {status} {body.get('code')} after {took:.1f} s, {sent / MiB:.0f} MiB sent")
            say(f"  VmRSS {rss / 1024:.0f} → {_memory_kib(pid, 'VmRSS') / 1024:.0f} MiB")
            say(f"  VmHWM {hwm / 1024:.0f} → {_memory_kib(pid, 'VmHWM') / 1024:.0f} MiB")
            for path in ("/api/health", "/api/games"):
                rate, statuses = asyncio.run(throughput(f"http://{base}", path))
                say(f"  GET {path}: {rate:.0f} req/s {statuses}")
        finally:
            stop(process)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "uvicorn")
