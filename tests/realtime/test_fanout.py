"""The process-local hub: one subscription per process per topic, a bounded send queue per
socket, snapshots computed once per change (realtime/publish/hub.py, realtime/edge/)."""

import asyncio
import json

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db.backends.utils import CursorWrapper

from arena.asgi import application
from realtime.publish import publish
from realtime.publish.buffer import channel
from realtime.publish.hub import get_hub
from tests.competitions.conftest import create_published
from tests.factories import UserFactory
from tests.realtime.asyncapi import assert_valid_message

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://localhost")]


@pytest.fixture
def tournaments(api, games_catalog):
    host = UserFactory(role="host", host_status="approved")
    return [create_published(api, host, max_teams=2, group_size=2, rounds_count=1)["id"] for _ in range(2)]


async def _spectator(tournament_id: int, query: str = "") -> tuple[WebsocketCommunicator, dict]:
    communicator = WebsocketCommunicator(application, f"/ws/tournaments/{tournament_id}/{query}", headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = json.loads(await communicator.receive_from(timeout=5))
    assert_valid_message("tournament", snapshot)
    return communicator, snapshot


async def _events(communicator: WebsocketCommunicator, count: int) -> list[dict]:
    """The next `count` events, skipping position messages (they only repeat the seq)."""
    received = []
    while len(received) < count:
        message = assert_valid_message("tournament", json.loads(await communicator.receive_from(timeout=5)))
        if message["type"] != "position":
            received.append(message)
    return received


def _subscribers(topic: str) -> int:
    """How many connections Redis has subscribed to this topic's channel (all processes)."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    return dict(client.pubsub_numsub(channel(topic)))[channel(topic).encode()]


@pytest.mark.requires_redis
def test_one_redis_subscription_per_process_per_topic_whatever_the_spectators(tournaments):
    first, second = tournaments

    async def scenario():
        crowd = [await _spectator(first) for _ in range(25)] + [await _spectator(second) for _ in range(3)]
        assert await sync_to_async(_subscribers)(f"tournament.{first}") == 1
        assert await sync_to_async(_subscribers)(f"tournament.{second}") == 1
        assert get_hub().subscriptions() == 2
        # One publish reaches every socket, each with the same text.
        await sync_to_async(publish)(f"tournament.{first}", "registrations.count", {"count": 1})
        texts = set()
        for communicator, snapshot in crowd[:25]:
            (event,) = await _events(communicator, 1)
            assert event["seq"] == snapshot["seq"] + 1
            texts.add(json.dumps(event))
        assert len(texts) == 1
        for communicator, _ in crowd:
            await communicator.disconnect()
        assert await sync_to_async(_subscribers)(f"tournament.{first}") == 0
        assert get_hub().subscriptions() == 0

    async_to_sync(scenario)()


class StalledClient:
    """An ASGI server whose client takes its first frames, then stops reading: as a server
    with backpressure (uvicorn) does, each further send blocks until the client reads."""

    def __init__(self, path: str, reads: int):
        self.reads = reads
        self.frames: list[str] = []
        self.closed_with: int | None = None
        self.closed = asyncio.Event()
        self.incoming: asyncio.Queue = asyncio.Queue()
        scope = {"type": "websocket", "path": path, "query_string": b"", "headers": ORIGIN, "subprotocols": []}
        self.incoming.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.ensure_future(application(scope, self.incoming.get, self.send))

    async def send(self, message: dict) -> None:
        if message["type"] == "websocket.send":
            if len(self.frames) >= self.reads:
                await asyncio.Event().wait()  # the client never reads again
            self.frames.append(message["text"])
        elif message["type"] == "websocket.close":
            self.closed_with = message.get("code")
            self.closed.set()

    async def stop(self) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1006})
        await asyncio.wait_for(self.task, timeout=5)


def test_a_slow_client_is_closed_4408_at_its_queue_limit_while_others_keep_receiving(tournaments, settings):
    settings.REALTIME_SEND_QUEUE = 8
    settings.REALTIME_POSITION_SECONDS = 3600
    tournament_id = tournaments[0]
    topic = f"tournament.{tournament_id}"

    async def scenario():
        reader, snapshot = await _spectator(tournament_id)
        stalled = StalledClient(f"/ws/tournaments/{tournament_id}/", reads=1)  # takes its snapshot only
        while not stalled.frames:
            await asyncio.sleep(0.01)
        for n in range(8):
            await sync_to_async(publish)(topic, "registrations.count", {"count": n})
        # One frame blocked in the server's send, eight queued: the queue is full, still open.
        received = await _events(reader, 8)
        assert stalled.closed_with is None
        for n in range(8, 20):
            await sync_to_async(publish)(topic, "registrations.count", {"count": n})
        await asyncio.wait_for(stalled.closed.wait(), timeout=5)
        assert stalled.closed_with == 4408
        received += await _events(reader, 12)
        assert [m["seq"] for m in received] == list(range(snapshot["seq"] + 1, snapshot["seq"] + 21))
        assert [m["data"]["count"] for m in received] == list(range(20))
        await stalled.stop()
        await reader.disconnect()
        assert get_hub().subscriptions() == 0

    async_to_sync(scenario)()


class Queries:
    """Counts SQL statements run by any connection: the consumers' run in their own
    contexts (asgiref gives each its own connection object), out of CaptureQueriesContext's sight."""

    def __init__(self, monkeypatch):
        self.count = 0
        execute = CursorWrapper._execute

        def counting(cursor, *args, **kwargs):
            self.count += 1
            return execute(cursor, *args, **kwargs)

        monkeypatch.setattr(CursorWrapper, "_execute", counting)

    async def during(self, step):
        before = self.count
        result = await step
        return self.count - before, result


def test_a_connect_makes_no_database_query_when_the_snapshot_is_cached(tournaments, monkeypatch):
    tournament_id = tournaments[0]
    topic = f"tournament.{tournament_id}"
    queries = Queries(monkeypatch)

    async def scenario():
        count, (first, snapshot) = await queries.during(_spectator(tournament_id))
        assert count > 0  # visibility and the snapshot, computed once
        count, (second, cached) = await queries.during(_spectator(tournament_id))
        assert count == 0
        assert (cached["seq"], cached["data"]["standings"]) == (snapshot["seq"], snapshot["data"]["standings"])
        assert cached["data"]["spectators"] == 2
        # A change makes the next connect compute the snapshot once, at the new seq.
        await sync_to_async(publish)(topic, "registrations.count", {"count": 1})
        count, (third, fresh) = await queries.during(_spectator(tournament_id))
        assert count > 0
        assert fresh["seq"] == snapshot["seq"] + 1
        count, (fourth, _) = await queries.during(_spectator(tournament_id))
        assert count == 0
        for communicator in (first, second, third, fourth):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_resume_too_long_for_the_send_queue_gets_a_snapshot_not_4408(tournaments, settings):
    """Replaying more events than the send queue holds would close a fast client with 4408:
    it gets one snapshot instead."""
    from tests.realtime.test_topics import _drop

    settings.REALTIME_SEND_QUEUE = 8
    tournament_id = tournaments[0]
    topic = f"tournament.{tournament_id}"

    async def scenario():
        first, snapshot = await _spectator(tournament_id)
        await first.disconnect()
        await sync_to_async(lambda: [_drop(topic, n) for n in range(5)])()
        resume = f"?since={snapshot['seq']}&epoch={snapshot['epoch']}"
        short = WebsocketCommunicator(application, f"/ws/tournaments/{tournament_id}/{resume}", headers=ORIGIN)
        assert (await short.connect())[0]
        assert [m["type"] for m in await _events(short, 5)] == ["registrations.count"] * 5
        await short.disconnect()
        await sync_to_async(lambda: [_drop(topic, n) for n in range(5, 25)])()
        long, fresh = await _spectator(tournament_id, resume)
        assert (fresh["type"], fresh["seq"]) == ("snapshot", snapshot["seq"] + 25)
        assert await long.receive_nothing(timeout=0.3)
        await long.disconnect()

    async_to_sync(scenario)()


def test_an_idle_spectator_holds_no_task_of_its_own(tournaments):
    """Per socket only its application task runs: no writer task, no task around `receive`
    (realtime/edge/sockets.py); a frame is written without a task while nothing waits before it."""
    tournament_id = tournaments[0]

    async def scenario():
        first, _ = await _spectator(tournament_id)  # the hub's reader and ticker start here
        await asyncio.sleep(0.05)  # and its start-up (snapshot, hub resync) is over
        before = len(asyncio.all_tasks())
        crowd = [await _spectator(tournament_id) for _ in range(10)]
        await asyncio.sleep(0.05)
        assert len(asyncio.all_tasks()) - before == 10  # the communicators' application tasks
        await sync_to_async(publish)(f"tournament.{tournament_id}", "registrations.count", {"count": 1})
        for communicator, _ in crowd:
            (event,) = await _events(communicator, 1)
            assert event["data"] == {"count": 1}
        assert len(asyncio.all_tasks()) - before == 10
        for communicator in [first, *(c for c, _ in crowd)]:
            await communicator.disconnect()

    async_to_sync(scenario)()
