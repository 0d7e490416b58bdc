"""REST throughput: GET standings and the tournament list beside GET /api/health, one server process.

Load comes from `wrk` (apt-get install wrk) when it is installed, else from bench.httpload
(threads in another process; slower, so figures are lower). Server CPU per request is also
the polling side of "polling vs push".
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess

from bench.common import PY, CpuWindow, servers

CONNECTIONS = 20
# With CONN_MAX_AGE > 0 every ASGI request thread keeps a PostgreSQL connection of its own (docs/STACK.md):
# 20 concurrent requests took all 100 of the shared server's. Override with BENCH_REST_CONN_MAX_AGE.
SERVER_ENV = {"DATABASE_CONN_MAX_AGE": os.environ.get("BENCH_REST_CONN_MAX_AGE", "0")}


def paths(tournament_id: int) -> dict[str, str]:
    return {
        "health": "/api/health",
        "standings": f"/api/tournaments/{tournament_id}/standings",
        "tournament list": "/api/tournaments",
    }


def load_command(url: str, duration: float) -> list[str]:
    if shutil.which("wrk"):
        return ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration:g}s", "--latency", url]
    return [PY, "-m", "bench.httpload", url, "--connections", str(CONNECTIONS), "--duration", str(duration)]


def parse_wrk(out: str) -> dict:
    requests = int(re.search(r"(\d+) requests in", out)[1])
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)

    def ms(label: str) -> float | None:
        found = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)\b", out)
        if not found:
            return None
        return float(found[1]) * {"us": 0.001, "ms": 1, "s": 1000}[found[2]]

    return {
        "requests": requests,
        "errors": (int(errors[1]) if errors else 0) + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
    }


# Each endpoint is loaded in ROUNDS slices, interleaved with the others' (health, standings, list,
# health, ...), so a change in the shared machine's load weighs on every endpoint alike and the
# ratios to /api/health stay fair.
ROUNDS = 3


def measure(url: str, pid: int, duration: float) -> dict:
    args = load_command(url, duration)
    window = CpuWindow([pid]).start()
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    window.stop()
    result = parse_wrk(out) if args[0] == "wrk" else json.loads(out)
    return {
        **result,
        "wall": window.wall,
        "cpu": window.cpu,
        "load": " ".join(args[:-1] if args[0] == "wrk" else args[1:3]),
    }


def combined(slices: list[dict]) -> dict:
    """One endpoint's slices as one measurement: totals for throughput and CPU, medians for latency."""
    requests = sum(s["requests"] for s in slices)
    cpu, wall = sum(s["cpu"] for s in slices), sum(s["wall"] for s in slices)
    return {
        "requests": requests,
        "errors": sum(s["errors"] for s in slices),
        "p50_ms": statistics.median(s["p50_ms"] for s in slices if s["p50_ms"] is not None),
        "p99_ms": statistics.median(s["p99_ms"] for s in slices if s["p99_ms"] is not None),
        "rps": requests / wall,
        "cpu_ms_per_request": cpu / requests * 1000 if requests else None,
        "load": slices[0]["load"],
    }


def command(kind: str, duration: float) -> str:
    return f".venv/bin/python -m bench.rest --server {kind} --duration {duration:g}"


def run(kind: str, duration: float, tournament_id: int) -> list[dict]:
    rows = []
    with servers(kind, 1, env=SERVER_ENV) as srv:
        urls = {name: srv.http_url(path) for name, path in paths(tournament_id).items()}
        for url in urls.values():
            subprocess.run(load_command(url, 1), capture_output=True, check=True)  # warm up: imports, caches
        slices: dict[str, list[dict]] = {name: [] for name in urls}
        for _ in range(ROUNDS):
            for name, url in urls.items():
                slices[name].append(measure(url, srv.pids[0], duration / ROUNDS))
        for name, path in paths(tournament_id).items():
            rows.append({"server": kind, "endpoint": name, "path": path, **combined(slices[name])})
    for row in rows:
        row["command"] = command(kind, duration)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", choices=("daphne", "uvicorn"), required=True)
    parser.add_argument("--duration", type=float, default=8)
    args = parser.parse_args()
    from bench.prepare import prepare

    print(json.dumps(run(args.server, args.duration, prepare(fresh=False)["live"])))


if __name__ == "__main__":
    main()
