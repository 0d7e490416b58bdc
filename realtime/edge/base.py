"""The base of every WebSocket consumer: authenticate, authorize the topic, snapshot or replay,
then follow it through the process's hub.

Consumers never compute domain state: snapshots come from selectors, events from
realtime.publish. Clients follow `seq`; a consumer never lets one through out of order
or with a hole (holes are filled from the replay buffer, or answered with a snapshot).
"""

import asyncio
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from redis.exceptions import RedisError

from arena.metrics import RESYNCS, WS_CONNECTIONS, topic_kind
from realtime.edge.protocol import MAX_FRAME, NO_SUCH_TOPIC, NOT_AUTHENTICATED, TOO_SLOW
from realtime.edge.sockets import LeanConsumer, Outbox
from realtime.edge.tickets import ticket_redeem
from realtime.publish.buffer import get_buffer, parse_seq
from realtime.publish.hub import frame, get_hub

if TYPE_CHECKING:
    from realtime.edge.multi import MultiTopicConsumer

logger = logging.getLogger(__name__)

# Hub events held while a socket catches up; past this they are dropped and the catch-up
# reads them from the replay buffer instead.
MAX_PENDING = 1000
RETRY_SECONDS = 0.5


class Deny(Exception):
    def __init__(self, code: int):
        self.code = code


class EchoConsumer(AsyncWebsocketConsumer):
    """Placeholder route that proves the WebSocket stack works end to end."""

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.send(text_data=text_data)
        elif bytes_data is not None:
            await self.send(bytes_data=bytes_data)


@database_sync_to_async
def _active_user(user_id: int):
    from accounts.models import User

    return User.objects.filter(pk=user_id, is_active=True).first()


async def until_redis_answers(step):
    """Run `step` until it stops failing on Redis: an outage delays a connect, never closes it."""
    while True:
        try:
            return await step()
        except (RedisError, OSError):
            await asyncio.sleep(RETRY_SECONDS)


class TopicConsumer(LeanConsumer, AsyncWebsocketConsumer):
    """One socket following one topic through the process's hub (realtime/publish/hub.py).

    Everything sent goes through a bounded send queue (realtime/edge/sockets.Outbox): a client
    that does not read fills it and is closed with 4408 (it resumes with ?since=&epoch=).
    The socket tracks (epoch, last_seq); a hub event that is not last_seq + 1 in the same
    epoch, or a position ahead of it, starts a catch-up: replay from the buffer, else a
    snapshot, while further events wait in `pending`."""

    requires_ticket = False
    snapshot_type = "snapshot"
    # Not a configured layer: no channel-layer channel per socket; events come from the hub.
    channel_layer_alias = "realtime.publish.hub"

    # --- subclasses provide ---------------------------------------------------------------
    async def resolve_topic(self) -> str:
        """Return the topic name, or raise Deny(code)."""
        raise NotImplementedError

    async def snapshot(self) -> dict | None:
        raise NotImplementedError

    async def on_message(self, message: dict) -> None:
        await self.send_error("read_only", "This topic only sends.")

    # --- connection -------------------------------------------------------------------------
    async def connect(self):
        # Accept first: custom close codes only reach a client after the handshake.
        await self.accept()
        self._setup()
        self.outbox = Outbox(self.base_send, settings.REALTIME_SEND_QUEUE)
        self.starter = asyncio.ensure_future(self._start())

    def _setup(self) -> None:
        self.parent: MultiTopicConsumer | None = None
        self.topic = None
        self.user = None
        self.epoch: str | None = None
        self.last_seq = 0
        self.closed = False
        self.syncing = True
        self.stalled = False
        # Set while a catch-up runs when something says it may already be stale (a position
        # ahead of it, a resync, events dropped from a full `pending`): it runs once more.
        self.again = False
        self.pending: list[tuple[str, int, str]] = []
        self.starter: asyncio.Task | None = None
        self.sync_task: asyncio.Task | None = None

    async def _start(self) -> None:
        query = await self._signed_in()
        if query is not None:
            await self.subscribe(query.get("since", [""])[0], query.get("epoch", [""])[0])

    async def _signed_in(self) -> dict[str, list[str]] | None:
        """The socket's query once its ticket's user (or nobody, without a ticket) is known; None
        when the ticket was refused and the socket closed."""
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.user = await until_redis_answers(lambda: self._authenticate(query.get("ticket", [""])[0]))
        except Deny as denied:
            await self.close(code=denied.code)
            return None
        self.password = self.user.password if self.user else None
        return query

    async def subscribe(self, since: str, epoch: str) -> None:
        try:
            topic = await self.resolve_topic()
        except Deny as denied:
            await self.close(code=denied.code)
            return
        self.topic = topic
        # The session this socket belongs to: a password change ends it (access_recheck).
        self.password = self.user.password if self.user else None
        await get_hub().join(topic, self, user_id=self.user.pk if self.user else None)
        WS_CONNECTIONS.labels(topic_kind(topic)).inc()
        if since.isdigit() and epoch:
            # A resume: only the same epoch makes SEQ meaningful (else the catch-up snapshots).
            self.epoch, self.last_seq = epoch[:40], int(since)
        await self._follow()

    async def _authenticate(self, ticket: str):
        if not ticket:
            if self.requires_ticket:
                raise Deny(NOT_AUTHENTICATED)
            return None
        user_id = await ticket_redeem(ticket)
        user = await _active_user(user_id) if user_id is not None else None
        if user is None:
            raise Deny(NOT_AUTHENTICATED)
        return user

    async def disconnect(self, code):
        await self.stop()
        self.outbox.cancel()

    async def stop(self) -> None:
        """Stop following the topic."""
        self.closed = True
        for task in (self.starter, self.sync_task):
            if task is not None:
                task.cancel()
        if self.topic is not None:
            await get_hub().leave(self.topic, self, user_id=self.user.pk if self.user else None)
            WS_CONNECTIONS.labels(topic_kind(self.topic)).dec()

    async def close(self, code=None, reason=None):
        """Close after what is already queued (an error frame before its close code)."""
        if self.parent is not None:
            await self.parent.follower_closed(self, code)
            return
        if not self.closed:
            self.closed = True
            await self.outbox.flush()
        await super().close(code=code, reason=reason)

    # --- sending ----------------------------------------------------------------------------
    def _room(self) -> int:
        """Frames the send queue can still take."""
        if self.parent is not None:
            return self.parent._room()
        return self.outbox.room()

    def push(self, text: str) -> None:
        if self.closed:
            return
        if self.parent is not None:
            self.parent.push(text)
            return
        if not self.outbox.put(text):
            # The client reads slower than the topic changes: its memory stays bounded.
            self.closed = True
            self.outbox.cancel()
            self.closer = asyncio.ensure_future(super().close(code=TOO_SLOW))

    async def send(self, text_data=None, bytes_data=None, close=False):
        self.push(text_data)

    def envelope(self, event_type: str, data: dict, seq: int) -> str:
        data_json = json.dumps(data, cls=DjangoJSONEncoder)
        return frame(event_type, self.topic or "", self.epoch or "", seq, data_json)

    async def send_error(self, code: str, detail: str) -> None:
        self.push(self.envelope("error", {"code": code, "detail": detail}, self.last_seq))

    # --- following the topic ----------------------------------------------------------------
    def hub_event(self, epoch: str, seq: int, text: str) -> None:
        if self.closed:
            return
        if self.syncing:
            if len(self.pending) < MAX_PENDING:
                self.pending.append((epoch, seq, text))
            else:
                self.again = True  # the dropped tail is read from the buffer, not waited for
            return
        if epoch == self.epoch:
            if seq <= self.last_seq:
                return
            if seq == self.last_seq + 1:
                self.push(text)
                self.last_seq = seq
                return
        # A hole (an event overtaken in flight, or lost while Redis was away) or a new epoch.
        self.pending.append((epoch, seq, text))
        self._start_sync()

    def hub_position(self, epoch: str, seq: int, position: str) -> None:
        if self.closed:
            return
        if self.syncing:
            if self.stalled:
                self._start_sync()
            elif epoch != self.epoch or seq > self.last_seq:
                self.again = True  # the running catch-up may have read an older position
            return
        if epoch != self.epoch or seq > self.last_seq:
            self._start_sync()  # the tail of a burst never arrived: refill it now
        elif seq == self.last_seq:
            self.push(position)

    def hub_resync(self) -> None:
        if self.closed:
            return
        if self.syncing and not self.stalled:
            # A catch-up that read the buffer before the hub resubscribed can miss what was
            # published in between: it reads once more instead of waiting for the next position.
            self.again = True
            return
        self._start_sync()

    def hub_recheck(self) -> None:
        if not self.closed and self.user is not None:
            self.rechecker = asyncio.ensure_future(self._recheck())

    async def _session_alive(self) -> bool:
        """The account is still active and its password unchanged since this socket connected."""
        user = await _active_user(self.user.pk)
        if user is None or user.password != self.password:
            return False
        self.user = user
        return True

    async def _recheck(self) -> None:
        """Access changed somewhere (realtime.publish.access_recheck): is it still granted?"""
        if not await self._session_alive():
            await self.close(code=NOT_AUTHENTICATED)
            return
        try:
            await self.resolve_topic()
        except Deny as denied:
            await self.close(code=denied.code)

    def _start_sync(self) -> None:
        if self.sync_task is not None and not self.sync_task.done():
            return
        self.syncing = True
        self.sync_task = asyncio.ensure_future(self._follow())

    async def _follow(self) -> None:
        """Bring the client to the topic's current position, then apply what the hub delivered
        meanwhile; hub events wait in `pending` until it is done."""
        self.syncing = True
        while not self.closed:
            self.again = False
            try:
                await self._catch_up()
            except (RedisError, OSError):
                self.stalled = True  # the hub restarts this when Redis answers again
                return
            self.stalled = False
            if self._apply_pending() and not self.again:
                self.syncing = False
                return

    def _apply_pending(self) -> bool:
        pending, self.pending = self.pending, []
        for epoch, seq, text in pending:
            if epoch != self.epoch or seq > self.last_seq + 1:
                return False
            if seq == self.last_seq + 1:
                self.push(text)
                self.last_seq = seq
        return True

    async def _catch_up(self) -> None:
        """Replay every event after last_seq when the buffer still has them all in this
        epoch and they fit in the send queue; otherwise (too old or too many, from the future,
        another epoch) a fresh snapshot: one frame instead of hundreds."""
        epoch, current, events = await get_buffer().since(self.topic, self.last_seq if self.epoch else None)
        if (
            epoch == self.epoch
            and self.last_seq <= current
            and len(events) == current - self.last_seq
            and (not events or parse_seq(events[0]) == self.last_seq + 1)
            and len(events) < self._room()
        ):
            for text in events:
                self.push(text)
            if events:
                RESYNCS.labels(topic_kind(self.topic), "refill").inc()
            self.last_seq = current
            return
        if self.epoch is not None:  # not a first connect: the client was brought back by a snapshot
            RESYNCS.labels(topic_kind(self.topic), "snapshot").inc()
        await self.send_snapshot(epoch, current)

    async def snapshot_data(self, epoch: str, seq: int) -> str | None:
        data = await self.snapshot()
        return None if data is None else json.dumps(data, cls=DjangoJSONEncoder)

    async def send_snapshot(self, epoch: str, seq: int) -> None:
        data = await self.snapshot_data(epoch, seq)
        if data is None:  # the topic went away (e.g. its match was deleted)
            await self.close(code=NO_SUCH_TOPIC)
            return
        self.epoch, self.last_seq = epoch, seq
        self.push(frame(self.snapshot_type, self.topic, epoch, seq, data))

    # --- receiving --------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None or text_data is None:
            await self.send_error("bad_frame", "Send JSON text frames.")
            return
        if len(text_data.encode()) > MAX_FRAME:
            await self.send_error("frame_too_large", f"Frames are limited to {MAX_FRAME} bytes.")
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):  # 3,000 nested `[` fit in a frame and exhaust the stack
            await self.send_error("bad_json", "Frames must be JSON objects.")
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.send_error("bad_message", 'Messages look like {"type": "...", ...}.')
            return
        await self.on_message(message)
