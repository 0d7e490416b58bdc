"""The process-local hub: one Redis subscription per process per topic, fanned out in-process.

A consumer joins its topic's hub (one per event loop, i.e. per server process). The hub
subscribes to the topic's pub/sub channel once, whatever the number of local sockets, and
hands each published text (already encoded, with its epoch and seq) to every local
subscriber: no channel-layer message, task or queue per socket per event (the pattern of
Socket.IO's Redis adapter and Centrifugo's broker). Without Redis (embedded mode) publish()
hands events to every hub of the process directly.

Every REALTIME_POSITION_SECONDS the hub reads the position (epoch, seq) of each topic it
follows and records how many local sockets follow it (presence, summed across processes):
subscribers behind the position refill their hole from the replay buffer, so a lost tail
(a stalled process, a dropped pub/sub connection) is caught up without a further event.
A Redis outage never reaches the sockets: the hub resubscribes when Redis is back and tells
every subscriber to resync (replay, or a snapshot under a new epoch).
"""

import asyncio
import contextlib
import json
import logging
import threading
import uuid
import weakref
from collections.abc import Awaitable, Callable
from typing import Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from redis.exceptions import RedisError

from arena.metrics import WS_MESSAGES, topic_kind
from realtime.publish import presence
from realtime.publish.buffer import channel, channel_topic, get_buffer
from realtime.publish.presence import is_public

logger = logging.getLogger(__name__)

# The channel every hub follows for access changes (realtime.publish.access_recheck).
CONTROL = "_control"


class Subscriber(Protocol):
    def hub_event(self, epoch: str, seq: int, text: str) -> None: ...
    def hub_position(self, epoch: str, seq: int, frame: str) -> None: ...
    def hub_resync(self) -> None: ...
    def hub_recheck(self) -> None: ...


def frame(message_type: str, topic: str, epoch: str, seq: int, data_json: str) -> str:
    """A server message around already-encoded data."""
    return (
        f'{{"type": "{message_type}", "topic": {json.dumps(topic)}, "epoch": "{epoch}", "seq": {seq}, '
        f'"ts": "{timezone.now().isoformat()}", "data": {data_json}}}'
    )


class Hub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.process = uuid.uuid4().hex
        self.topics: dict[str, set[Subscriber]] = {}
        self.users: dict[int, set[Subscriber]] = {}  # signed-in sockets, by user id
        # topic -> (total across processes, this process's count) at the last tick
        self._presence: dict[str, tuple[int, int]] = {}
        # topic -> (epoch, seq, encoded snapshot data), computed once per change
        self._snapshots: dict[str, tuple[str, int, str]] = {}
        self._snapshot_locks: dict[str, asyncio.Lock] = {}
        self._ticker: asyncio.Task | None = None

    # --- membership -------------------------------------------------------------------------
    async def join(self, topic: str, subscriber: Subscriber, *, user_id: int | None = None) -> None:
        if user_id is not None:
            self.users.setdefault(user_id, set()).add(subscriber)
        subscribers = self.topics.setdefault(topic, set())
        subscribers.add(subscriber)
        if self._ticker is None or self._ticker.done():
            self._ticker = self.loop.create_task(self._tick_forever())
        if len(subscribers) == 1:
            await self._subscribe(topic)

    async def leave(self, topic: str, subscriber: Subscriber, *, user_id: int | None = None) -> None:
        if user_id is not None and user_id in self.users:
            self.users[user_id].discard(subscriber)
            if not self.users[user_id]:
                del self.users[user_id]
        subscribers = self.topics.get(topic)
        if subscribers is None:
            return
        subscribers.discard(subscriber)
        if not subscribers:
            del self.topics[topic]
            self._snapshots.pop(topic, None)
            self._snapshot_locks.pop(topic, None)
            self._presence.pop(topic, None)
            await self._unsubscribe(topic)
        if not self.topics:
            await self._idle()

    def subscriptions(self) -> int:
        return len(self.topics)

    # --- delivery -----------------------------------------------------------------------------
    def dispatch(self, topic: str, epoch: str, seq: int, text: str) -> None:
        if topic == CONTROL:
            for user_id in json.loads(text).get("recheck", ()):
                for subscriber in list(self.users.get(user_id, ())):
                    subscriber.hub_recheck()
            return
        subscribers = list(self.topics.get(topic, ()))
        for subscriber in subscribers:
            subscriber.hub_event(epoch, seq, text)
        if subscribers:
            WS_MESSAGES.labels(topic_kind(topic)).inc(len(subscribers))

    def resync_all(self) -> None:
        for subscribers in list(self.topics.values()):
            for subscriber in list(subscribers):
                subscriber.hub_resync()

    def spectators(self, topic: str) -> int:
        total, counted = self._presence.get(topic, (0, 0))
        return max(0, total - counted + len(self.topics.get(topic, ())))

    # --- snapshots ----------------------------------------------------------------------------
    async def snapshot(
        self, topic: str, epoch: str, seq: int, compute: Callable[[], Awaitable[dict | None]]
    ) -> str | None:
        """The topic's snapshot data at (epoch, seq), encoded once: a connect storm computes it
        once, and later connects read it until the next event."""
        cached = self._snapshots.get(topic)
        if cached and cached[:2] == (epoch, seq):
            return cached[2]
        lock = self._snapshot_locks.setdefault(topic, asyncio.Lock())
        async with lock:
            cached = self._snapshots.get(topic)
            if cached and cached[:2] == (epoch, seq):
                return cached[2]
            data = await compute()
            if data is None:
                return None
            encoded = json.dumps(data, cls=DjangoJSONEncoder)
            if topic in self.topics:
                self._snapshots[topic] = (epoch, seq, encoded)
            return encoded

    def snapshot_cached(self, topic: str, position: tuple[str, int]) -> bool:
        cached = self._snapshots.get(topic)
        return bool(cached) and cached[:2] == position

    # --- positions and presence ---------------------------------------------------------------
    async def _tick_forever(self) -> None:
        while self.topics:
            await asyncio.sleep(settings.REALTIME_POSITION_SECONDS)
            await self.tick()

    async def tick(self) -> None:
        topics = list(self.topics)
        if not topics:
            return
        counts = [len(self.topics.get(topic, ())) for topic in topics]
        try:
            rows = await self._positions(topics, counts)
        except (RedisError, OSError):
            return  # the reader notices the outage and resyncs everyone when Redis is back
        for topic, count, (epoch, seq, total) in zip(topics, counts, rows, strict=True):
            self._presence[topic] = (total, count)
            data = f'{{"spectators": {self.spectators(topic)}}}' if is_public(topic) else "{}"
            position = frame("position", topic, epoch, seq, data)
            for subscriber in list(self.topics.get(topic, ())):
                subscriber.hub_position(epoch, seq, position)

    async def _positions(self, topics: list[str], counts: list[int]) -> list[tuple[str, int, int]]:
        positions = await get_buffer().positions(topics)
        return [(epoch, seq, count) for (epoch, seq), count in zip(positions, counts, strict=True)]

    # --- transport (overridden with Redis) ------------------------------------------------------
    async def _subscribe(self, topic: str) -> None:
        pass

    async def _unsubscribe(self, topic: str) -> None:
        pass

    async def _idle(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None


class RedisHub(Hub):
    """Reads one pub/sub connection per process; (re)subscribes on its own after an outage."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        # No silent reconnects: the reader must know when it lost messages, to resync.
        self._client = redis.asyncio.Redis.from_url(settings.REDIS_URL, retry=Retry(NoBackoff(), 0))
        self._pubsub = None
        self._reader: asyncio.Task | None = None
        self._confirmed: dict[str, asyncio.Event] = {}
        # Channels of a (re)connect whose subscription Redis has not confirmed yet; when the
        # last is, every subscriber resyncs (what was published before it was never received).
        self._unconfirmed: set[str] = set()

    async def _subscribe(self, topic: str) -> None:
        if self._reader is None or self._reader.done():
            self._reader = self.loop.create_task(self._read_forever())
        if self._pubsub is None:
            return  # connecting: the reader subscribes every topic, then resyncs everyone
        confirmed = self._confirmed.setdefault(channel(topic), asyncio.Event())
        try:
            await self._pubsub.subscribe(channel(topic))
            # Until Redis confirms, a consumer reading the buffer could miss an event in between.
            await asyncio.wait_for(confirmed.wait(), timeout=2)
        except (RedisError, OSError, TimeoutError):
            pass  # the reader reconnects; the tick catches up whatever was missed

    async def _unsubscribe(self, topic: str) -> None:
        self._confirmed.pop(channel(topic), None)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel(topic))

    async def _idle(self) -> None:
        await super()._idle()
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        await self._drop_pubsub()

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()

    async def _read_forever(self) -> None:
        delay, lost = 0.1, False
        while self.topics:
            try:
                if self._pubsub is None:
                    pubsub = self._client.pubsub()
                    channels = [channel(CONTROL), *[channel(t) for t in self.topics]]
                    self._unconfirmed = set(channels)
                    await pubsub.subscribe(*channels)
                    self._pubsub = pubsub
                    # Topics joined while it connected subscribed nothing (no pubsub yet).
                    if joined := [channel(t) for t in self.topics if channel(t) not in self._unconfirmed]:
                        self._unconfirmed.update(joined)
                        await pubsub.subscribe(*joined)
                    if lost:
                        logger.warning("Redis is back: resubscribed %d topics", len(self.topics))
                    delay, lost = 0.1, False
                message = await self._pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    name = message["channel"].decode()
                    event = self._confirmed.get(name)
                    if event is not None:
                        event.set()
                    if self._unconfirmed:
                        self._unconfirmed.discard(name)
                        if not self._unconfirmed:
                            # Subscribed from here on: whoever read the buffer before this (a
                            # first connect, or everyone after an outage or a dropped
                            # connection) reads it again, without waiting for a position.
                            self.resync_all()
                elif message["type"] == "message":
                    seq, epoch, text = message["data"].decode().split(" ", 2)
                    self.dispatch(channel_topic(message["channel"].decode()), epoch, int(seq), text)
                    await asyncio.sleep(0)  # let sockets' writers run between events of a burst
            except (RedisError, OSError) as error:
                if not lost:
                    logger.warning("Redis pub/sub lost (%s); sockets stay open, retrying", error)
                lost = True
                await self._drop_pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _positions(self, topics: list[str], counts: list[int]) -> list[tuple[str, int, int]]:
        return await presence.positions_and_presence(self._client, self.process, topics, counts)


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()
_hubs_lock = threading.Lock()


def get_hub() -> Hub:
    """The hub of the running event loop (a server process has one; tests make several)."""
    loop = asyncio.get_running_loop()
    with _hubs_lock:
        hub = _hubs.get(loop)
        if hub is None:
            hub = _hubs[loop] = RedisHub(loop) if settings.REDIS_URL else Hub(loop)
        return hub


def deliver_in_process(topic: str, epoch: str, seq: int, text: str) -> None:
    """Embedded mode: hand a just-numbered event to every hub of this process following it."""
    with _hubs_lock:
        hubs = [hub for hub in _hubs.values() if (topic == CONTROL or topic in hub.topics) and not hub.loop.is_closed()]
    for hub in hubs:
        with contextlib.suppress(RuntimeError):  # its loop closed meanwhile: nobody left to deliver to
            hub.loop.call_soon_threadsafe(hub.dispatch, topic, epoch, seq, text)


def control_publish(message: dict) -> None:
    """Send an access change to every process's hub (after commit)."""
    get_buffer().broadcast(CONTROL, json.dumps(message), deliver=deliver_in_process)
