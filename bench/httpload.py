"""A small keep-alive HTTP load generator for when `wrk` is not installed.

`python -m bench.httpload URL --connections 20 --duration 8` prints
{"requests", "errors", "p50_ms", "p99_ms"} as JSON.
"""

import argparse
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

from bench.common import percentile


def worker(url: str, deadline: float, latencies: list, errors: list) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            connection.request("GET", parts.path or "/")
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                errors.append(response.status)
            latencies.append(time.monotonic() - start)
        except (OSError, http.client.HTTPException):
            errors.append("socket")
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--duration", type=float, default=8)
    args = parser.parse_args()
    latencies, errors = [], []
    deadline = time.monotonic() + args.duration
    threads = [
        threading.Thread(target=worker, args=(args.url, deadline, latencies, errors)) for _ in range(args.connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = [s * 1000 for s in latencies]
    result = {"requests": len(latencies), "errors": len(errors)}
    print(json.dumps({**result, "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)}))


if __name__ == "__main__":
    main()
