"""One server process holds at most DATABASE_POOL_MAX_SIZE PostgreSQL connections however many
requests it serves at once, and a request that cannot get one in time is a 503, not a 500."""

import asyncio
import threading
import time
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from tests.e2e.cluster import database_url, start_server, stop

# transaction=True: the server is another process; it must see (and its lock waits must not be
# hidden by) committed state, and pytest-django creates the test database only for db tests.
pytestmark = [pytest.mark.requires_postgres, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ENDPOINT = "/api/tournaments"  # anonymous, and every request queries competitions_tournament


@pytest.fixture
def dsn() -> str:
    return database_url()


@contextmanager
def server(dsn: str, name: str, **pool: str):
    """`make run`'s server on the test database; its connections carry `name` as application_name."""
    process, base = start_server({"DATABASE_URL": f"{dsn}?application_name={name}", **pool})
    try:
        yield f"http://{base}"
    finally:
        stop(process)


def count(cursor, name: str, extra: str = "") -> int:
    cursor.execute(f"SELECT count(*) FROM pg_stat_activity WHERE application_name = %s {extra}", [name])  # noqa: S608
    return cursor.fetchone()[0]


def test_two_hundred_concurrent_requests_never_take_more_than_the_pool(dsn):
    name = "arena-pool-burst"
    peak, done = [0], threading.Event()

    def watch():
        with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
            while not done.is_set():
                peak[0] = max(peak[0], count(cursor, name))
                time.sleep(0.005)

    async def burst(base: str) -> list[int]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            responses = await asyncio.gather(*(client.get(ENDPOINT) for _ in range(200)))
        return [response.status_code for response in responses]

    with server(dsn, name, DATABASE_POOL_MIN_SIZE="1", DATABASE_POOL_MAX_SIZE="4") as base:
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            statuses = asyncio.run(burst(base))
        finally:
            done.set()
            watcher.join()

    assert statuses == [200] * 200
    # With a persistent connection per request thread instead, one process held dozens.
    assert 1 <= peak[0] <= 4, peak[0]


def test_a_request_that_cannot_get_a_connection_in_time_is_a_503(dsn):
    """The pool's only connection is stuck behind a table lock taken here; the next request waits
    DATABASE_POOL_TIMEOUT for a connection, then gets 503 with Retry-After. Nothing is lost: the
    stuck one finishes once the lock goes."""
    name = "arena-pool-exhausted"
    env = {"DATABASE_POOL_MIN_SIZE": "1", "DATABASE_POOL_MAX_SIZE": "1", "DATABASE_POOL_TIMEOUT": "0.5"}
    # DEBUG off as in production (with it on, pages outside the API show Django's debug page instead).
    env["DJANGO_DEBUG"] = "false"
    with (
        server(dsn, name, **env) as base,
        psycopg.connect(dsn) as locker,
        psycopg.connect(dsn, autocommit=True) as watcher,
    ):
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE competitions_tournament IN ACCESS EXCLUSIVE MODE")
        stuck: list[httpx.Response] = []
        first = threading.Thread(target=lambda: stuck.append(httpx.get(f"{base}{ENDPOINT}", timeout=30)))
        first.start()
        try:
            with watcher.cursor() as cursor:
                deadline = time.monotonic() + 20
                while count(cursor, name, "AND wait_event_type = 'Lock'") == 0:
                    assert time.monotonic() < deadline, "the first request never reached the lock"
                    time.sleep(0.02)

            busy = httpx.get(f"{base}{ENDPOINT}", timeout=30)
            # Outside the API too: the landing page and the spectator page.
            pages = [httpx.get(f"{base}{path}", timeout=30) for path in ("/", "/live/tournaments/1/")]
        finally:
            locker.rollback()
            first.join(timeout=30)

    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "1"
    assert busy.json() == {"detail": "The server is busy; retry shortly.", "code": "server_busy"}
    assert [response.status_code for response in stuck] == [200]
    for page in pages:
        assert (page.status_code, page.headers.get("Retry-After")) == (503, "1")
        assert page.text == "The server is busy; retry shortly."
