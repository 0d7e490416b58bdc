"""Real concurrent clients for PostgreSQL tests: each call runs in its own thread, with its own
database connection and test client, released together by a barrier."""

import threading

from django.db import connection

from tests.conftest import ApiClient


def race(calls, on_each=None) -> list:
    """Run every `call(client)` at once; their results, in the order they finished."""
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            client = ApiClient()
            barrier.wait()
            results.append(call(client))
            if on_each:
                on_each()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
