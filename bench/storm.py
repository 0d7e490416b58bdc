"""Connect storm: N spectators connecting to one server process at a given rate.

Counts the connects that failed (HTTP 403 after daphne's connect timeout, closed, or no
handshake or no snapshot within 10 s each) and the connect → snapshot time of the others.
"""

import argparse
import json
import math

from bench.common import RESTARTED, CpuWindow, percentile, redis_run_id, servers
from bench.fanout import warm
from bench.spectators import Swarm

OPEN_TIMEOUT = 10  # a spectator gives up on a handshake, and then on a snapshot, after this long


def command(kind: str, spectators: int, rate: float) -> str:
    return f".venv/bin/python -m bench.storm --server {kind} --spectators {spectators} --rate {rate:g}"


def run(kind: str, spectators: int, rate: float, tournament_id: int) -> dict:
    redis_before = redis_run_id()
    with servers(kind, 1) as srv:
        urls = srv.ws_urls(tournament_id)
        warm(urls)
        window = CpuWindow(srv.pids).start()
        swarm = Swarm(
            urls, spectators, rate, processes=min(4, math.ceil(spectators / 1000) + 1),
            open_timeout=OPEN_TIMEOUT, deadline=spectators / rate + 2 * OPEN_TIMEOUT,
        )  # fmt: skip
        connected = swarm.connected()
        window.stop()
        stats = swarm.close()
    connect_ms = [s * 1000 for s in stats["connect_s"]]
    return {
        "server": kind,
        "spectators": spectators,
        "rate": rate,
        "connected": connected["connected"],
        "refused": spectators - connected["connected"],
        "failures": connected["failures"],
        "p50_ms": percentile(connect_ms, 50),
        "p99_ms": percentile(connect_ms, 99),
        "max_ms": max(connect_ms, default=None),
        "cpu_ms_per_attempt": window.per(spectators) * 1000,
        "command": command(kind, spectators, rate),
        "note": RESTARTED if redis_run_id() != redis_before else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", choices=("floor", "daphne", "uvicorn"), required=True)
    parser.add_argument("--spectators", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500, help="connects per second")
    args = parser.parse_args()
    from bench.prepare import prepare

    print(json.dumps(run(args.server, args.spectators, args.rate, prepare(fresh=False)["live"]), default=str))


if __name__ == "__main__":
    main()
