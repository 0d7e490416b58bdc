"""Fan-out: N spectators on P server processes, the driver publishing standings at a fixed rate.

Measures, for the servers only (load runs in other processes): CPU per delivered message,
commit → receipt latency (from the event's `ts`), whether every seq reached every socket,
and memory per idle connection (RSS delta ÷ sockets, one-process runs).
"""

import argparse
import json
import math
import subprocess
import sys
import time

from bench.common import PY, RESTARTED, CpuWindow, django_env, percentile, redis_run_id, servers
from bench.spectators import Swarm

INFLIGHT = 25
CONNECT_DEADLINE = 120


def log(what: str) -> None:
    print(f"[bench] {time.strftime('%H:%M:%S')} fanout: {what}", file=sys.stderr, flush=True)


def warm(urls: list[str]) -> None:
    """One spectator per server first, so imports and caches are not charged to the run."""
    from websockets.sync.client import connect

    from bench.common import ORIGIN

    for url in urls:
        with connect(url, origin=ORIGIN, open_timeout=30, compression=None) as ws:
            ws.recv(timeout=30)


def command(kind: str, spectators: int, processes: int, rate: float, duration: float) -> str:
    return (
        f".venv/bin/python -m bench.fanout --server {kind} --spectators {spectators} --processes {processes} "
        f"--rate {rate:g} --duration {duration:g}"
    )


def run(
    kind: str, spectators: int, processes: int, rate: float, duration: float, tournament_id: int,
    profile=None,
) -> dict:  # fmt: skip
    """profile: an optional callable(pid, seconds) -> Popen started while the driver runs.

    Spectators connect as fast as the servers take them (at most INFLIGHT handshakes per
    client process); the connect storm is bench/storm.py's job."""
    redis_before = redis_run_id()
    with servers(kind, processes) as srv:
        urls = srv.ws_urls(tournament_id)
        warm(urls)
        log("servers up")
        rss_before = srv.rss_kib()
        swarm = Swarm(
            urls, spectators, rate=10_000, processes=min(4, math.ceil(spectators / 1000) + 1),
            inflight=INFLIGHT, deadline=CONNECT_DEADLINE,
        )  # fmt: skip
        connected = swarm.connected()
        log("connected")
        target = "floor" if kind == "floor" else "arena"
        driver = subprocess.Popen(
            [PY, "-m", "bench.driver", "--target", target, "--tournament", str(tournament_id),
             "--rate", str(rate), "--duration", str(duration), "--wait"],
            env=django_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(1)
        rss_idle = srv.rss_kib()
        idle = CpuWindow(srv.pids).start()
        time.sleep(2)
        idle.stop()
        driver.stdout.readline()  # "ready": Django imported, standings read
        window = CpuWindow(srv.pids).start()
        profiler = profile(srv.pids[0], duration) if profile else None
        driver.stdin.write("go\n")
        driver.stdin.flush()
        out = driver.communicate(timeout=duration + 120)[0]
        log("driver done")
        published = json.loads(out.strip().splitlines()[-1])
        seqs = published["seqs"]
        swarm.drain(max(seqs, default=0), timeout=15)
        log("drained")
        window.stop()
        stats = swarm.close()
        log("closed")
        if profiler:
            profiler.wait(timeout=60)
    restarted = redis_run_id() != redis_before
    delivered = sum(stats["seen"].get(seq, 0) for seq in seqs)
    expected = len(seqs) * connected["connected"]
    latency_ms = [s * 1000 for s in stats["latency_s"]]
    return {
        "server": kind,
        "spectators": spectators,
        "processes": processes,
        "rate": rate,
        "duration": duration,
        "connected": connected["connected"],
        "connect_failures": connected["failures"],
        "published": len(seqs),
        "delivered": delivered,
        "expected": expected,
        "dropped": stats["dropped"],
        "holes": stats["holes"],
        "repeats": stats["repeats"],
        "frame_bytes": round(stats["bytes"] / stats["messages"]) if stats["messages"] else None,
        "cpu_us_per_msg": window.per(delivered) * 1e6 if delivered else None,
        "cpu_pct": round(100 * window.cpu / window.wall, 1),
        "idle_cpu_pct": round(100 * idle.cpu / idle.wall, 1),
        "p50_ms": percentile(latency_ms, 50),
        "p99_ms": percentile(latency_ms, 99),
        "max_ms": max(latency_ms, default=None),
        "kib_per_conn": (rss_idle - rss_before) / connected["connected"]
        if processes == 1 and connected["connected"]
        else None,
        "driver_late_s": published["late_s"],
        "command": command(kind, spectators, processes, rate, duration),
        "disturbed": restarted,
        "note": RESTARTED if restarted else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", choices=("floor", "daphne", "uvicorn"), required=True)
    parser.add_argument("--spectators", type=int, required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument("--duration", type=float, default=15)
    args = parser.parse_args()
    from bench.prepare import prepare

    tournament_id = prepare(fresh=False)["live"]
    row = run(args.server, args.spectators, args.processes, args.rate, args.duration, tournament_id)
    print(json.dumps(row, default=str))


if __name__ == "__main__":
    main()
