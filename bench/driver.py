"""The update driver: publishes the live tournament's standings at a fixed rate.

`--target arena` calls realtime.publish.publish, the function results PUTs call after commit
(it stamps `ts` when it runs, i.e. after the commit), so the figures are fan-out only.
`--target floor` publishes the same standings frame, numbered and stamped the same way, on
the floor server's Redis channel. Prints {"seqs": [...], "bytes": <frame size>} as JSON.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime

from bench.common import FLOOR_CHANNEL, REDIS_URL, django_setup


def standings(tournament_id: int) -> dict:
    from competitions.selectors import standings_table

    return {"overall": standings_table(tournament_id=tournament_id)}


def floor_publisher(tournament_id: int):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    topic = f"tournament.{tournament_id}"
    seq = [0]

    def publish(data: dict) -> tuple[int, int]:
        seq[0] += 1
        body = {"seq": seq[0], "type": "standings.updated", "topic": topic, "ts": datetime.now(UTC).isoformat()}
        frame = json.dumps({**body, "data": data})
        client.publish(FLOOR_CHANNEL, frame)
        return seq[0], len(frame)

    return publish


def arena_publisher(tournament_id: int):
    from realtime.publish import publish as arena_publish

    topic = f"tournament.{tournament_id}"

    def publish(data: dict) -> tuple[int | None, int]:
        return arena_publish(topic, "standings.updated", data), 0

    return publish


def drive(target: str, tournament_id: int, rate: float, duration: float, wait: bool = False) -> dict:
    """Publish rate × duration updates; with `wait`, print "ready" and start on a line from stdin."""
    data = standings(tournament_id)
    publish = (floor_publisher if target == "floor" else arena_publisher)(tournament_id)
    count = max(1, round(rate * duration))
    if wait:
        print("ready", flush=True)
        sys.stdin.readline()
    start = time.monotonic()
    seqs, size = [], 0
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        seq, size = publish(data)
        if seq is not None:
            seqs.append(seq)
    return {"seqs": seqs, "bytes": size, "late_s": round(time.monotonic() - start - (count - 1) / rate, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", choices=("arena", "floor"), required=True)
    parser.add_argument("--tournament", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True, help="updates per second")
    parser.add_argument("--duration", type=float, required=True, help="seconds")
    parser.add_argument("--wait", action="store_true", help='print "ready", start on a line from stdin')
    args = parser.parse_args()
    django_setup()
    print(json.dumps(drive(args.target, args.tournament, args.rate, args.duration, args.wait)))


if __name__ == "__main__":
    main()
