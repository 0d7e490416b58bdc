"""The WebSocket edge: authenticate, authorize the topic, snapshot or replay, then follow.

Consumers never compute domain state: snapshots come from selectors, events from
realtime.publish. Clients follow `seq`; a consumer never lets one through out of order
or with a hole (holes are filled from the replay buffer, or answered with a snapshot).
"""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from realtime.buffer import get_buffer
from realtime.publish import group_name
from realtime.tickets import ticket_redeem

MAX_FRAME = 4096

NOT_AUTHENTICATED = 4401
FORBIDDEN = 4403
NO_SUCH_TOPIC = 4404
FLOODING = 4429


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


class TopicConsumer(AsyncWebsocketConsumer):
    requires_ticket = False

    # --- subclasses provide ---------------------------------------------------------------
    async def resolve_topic(self) -> str:
        """Return the topic name, or raise Deny(code)."""
        raise NotImplementedError

    async def snapshot(self) -> dict:
        raise NotImplementedError

    async def on_message(self, message: dict) -> None:
        await self.send_error("read_only", "This topic only sends.")

    # --- connection -------------------------------------------------------------------------
    async def connect(self):
        # Accept first: custom close codes only reach a client after the handshake.
        await self.accept()
        self.topic = None
        self.last_seq = 0
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.user = await self._authenticate(query.get("ticket", [""])[0])
            self.topic = await self.resolve_topic()
        except Deny as denied:
            await self.close(code=denied.code)
            return
        await self.channel_layer.group_add(group_name(self.topic), self.channel_name)
        since = query.get("since", [""])[0]
        if since.isdigit() and await self._replay(int(since)):
            return
        await self.send_snapshot()

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
        if getattr(self, "topic", None):
            await self.channel_layer.group_discard(group_name(self.topic), self.channel_name)

    # --- sending ----------------------------------------------------------------------------
    def envelope(self, event_type: str, data: dict, seq: int) -> str:
        return json.dumps(
            {"type": event_type, "topic": self.topic, "seq": seq, "ts": timezone.now().isoformat(), "data": data},
            cls=DjangoJSONEncoder,
        )

    async def send_snapshot(self, event_type: str = "snapshot") -> None:
        seq = await get_buffer().current(self.topic)
        data = await self.snapshot()
        await self.send(text_data=self.envelope(event_type, data, seq))
        self.last_seq = seq

    async def send_error(self, code: str, detail: str) -> None:
        await self.send(text_data=self.envelope("error", {"code": code, "detail": detail}, self.last_seq))

    async def _replay(self, since: int) -> bool:
        """Send every event after `since`; False when the buffer no longer has them all."""
        current = await get_buffer().current(self.topic)
        if since > current:
            return False
        events = await get_buffer().since(self.topic, since)
        if since < current and (not events or events[0][0] != since + 1):
            return False
        for seq, text in events:
            await self.send(text_data=text)
            self.last_seq = seq
        self.last_seq = max(self.last_seq, since)
        return True

    async def dispatch(self, message):
        # Topic events never touch the ORM: skip Channels' per-message connection cleanup,
        # a thread-pool hop that dominated fan-out CPU (STACK.md).
        if message["type"] == "topic.event":
            await self.topic_event(message)
        else:
            await super().dispatch(message)

    async def topic_event(self, event: dict) -> None:
        seq = event["seq"]
        if seq <= self.last_seq:
            return
        if seq == self.last_seq + 1:
            await self.send(text_data=event["text"])
            self.last_seq = seq
            return
        # A hole: an event overtaken in flight, or dropped by a full channel. Refill or resync.
        if not await self._replay(self.last_seq):
            await self.send_snapshot()

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


class TournamentConsumer(TopicConsumer):
    """Spectators of a published tournament: standings, matches, results, rounds, winner."""

    async def resolve_topic(self) -> str:
        from competitions.selectors import tournament_is_public

        tournament_id = self.scope["url_route"]["kwargs"]["tournament_id"]
        if not await database_sync_to_async(tournament_is_public)(tournament_id=tournament_id):
            raise Deny(NO_SUCH_TOPIC)
        return f"tournament.{tournament_id}"

    async def snapshot(self) -> dict:
        from competitions.selectors import tournament_snapshot

        return await database_sync_to_async(tournament_snapshot)(
            tournament_id=self.scope["url_route"]["kwargs"]["tournament_id"]
        )


class MatchConsumer(TopicConsumer):
    async def resolve_topic(self) -> str:
        from competitions.selectors import match_is_public

        match_id = self.scope["url_route"]["kwargs"]["match_id"]
        if not await database_sync_to_async(match_is_public)(match_id=match_id):
            raise Deny(NO_SUCH_TOPIC)
        return f"match.{match_id}"

    async def snapshot(self) -> dict:
        from competitions.selectors import match_snapshot

        return await database_sync_to_async(match_snapshot)(match_id=self.scope["url_route"]["kwargs"]["match_id"])


class UserConsumer(TopicConsumer):
    """A user's own inbox: notifications, payment and registration status changes."""

    requires_ticket = True

    async def resolve_topic(self) -> str:
        return f"user.{self.user.pk}"

    async def snapshot(self) -> dict:
        from realtime.selectors import notification_inbox

        return await database_sync_to_async(notification_inbox)(user_id=self.user.pk)
