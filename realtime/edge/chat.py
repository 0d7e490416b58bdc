"""Chat consumers: global chat (/ws/chat/) and tournament lobbies (/ws/lobbies/<id>/).

On connect a client gets `chat.history` (the room's last 50 messages) and then follows the
room's topic: `chat.message`, `chat.deleted`, `chat.muted`, `chat.unmuted`. Clients send
`chat.send`; in a lobby its host also sends `chat.delete`, `chat.mute` and `chat.unmute`
(an admin can `chat.delete` in global chat). Every frame first spends a flood-control
token (realtime/chat/flood.py). Rules live in realtime/chat/services.py; this module checks
shapes, calls the services off the event loop and turns their errors into error frames.
"""

from channels.db import database_sync_to_async
from redis.exceptions import RedisError

from accounts.models import User
from arena.exceptions import ApplicationError, NotAuthenticated
from realtime.chat import selectors
from realtime.chat import services as chat_services
from realtime.chat.flood import REFILL_PER_SECOND, flood_take
from realtime.edge.base import Deny, TopicConsumer
from realtime.edge.protocol import FLOODING, FORBIDDEN, NO_SUCH_TOPIC, NOT_AUTHENTICATED

# Errors after which the connection is closed too, and with which code.
CLOSE_ON = {"not_a_member": FORBIDDEN, "not_authenticated": NOT_AUTHENTICATED}


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_current_user(service, *, user: User, **kwargs):
    """Run a chat service as the user is now, not as they were at connect: a deactivated
    account stops talking, a demoted admin stops moderating."""
    user.refresh_from_db(fields=["is_active", "role", "is_superuser"])
    if not user.is_active:
        raise NotAuthenticated("This account is no longer active.")
    return service(user=user, **kwargs)


class ChatConsumer(TopicConsumer):
    requires_ticket = True
    tournament_id: int | None = None
    snapshot_type = "chat.history"  # also on a resync after a hole: a chat client's state is its history

    # --- topic and snapshot -----------------------------------------------------------------
    async def snapshot(self) -> dict:
        return await database_sync_to_async(selectors.chat_history)(tournament_id=self.tournament_id)

    # --- receiving --------------------------------------------------------------------------
    async def receive(self, text_data=None, bytes_data=None):
        if self.topic is None or self.closed:
            return
        try:
            verdict = await flood_take(user_id=self.user.pk)
        except (RedisError, OSError):
            await self.send_error("unavailable", "Chat is briefly unavailable; try again in a moment.")
            return
        if not verdict.allowed:
            await self.send_error("flooding", f"Slow down: about {REFILL_PER_SECOND:g} message a second.")
            if verdict.close:
                await self.close(code=FLOODING)
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def on_message(self, message: dict) -> None:
        handler = self.handlers().get(message["type"])
        if handler is None:
            await self.send_error("unknown_type", f"Unknown message type {message['type'][:40]!r}.")
            return
        try:
            await handler(message)
        except ApplicationError as error:
            await self.send_error(error.code, error.message)
            if error.code in CLOSE_ON:
                await self.close(code=CLOSE_ON[error.code])

    def handlers(self) -> dict:
        return {"chat.send": self.chat_send, "chat.delete": self.chat_delete}

    async def _call(self, service, **kwargs):
        return await database_sync_to_async(_as_current_user)(
            service, user=self.user, tournament_id=self.tournament_id, **kwargs
        )

    async def chat_send(self, message: dict) -> None:
        text = message.get("text")
        if not isinstance(text, str):
            await self.send_error("invalid_text", '"text" must be a string.')
            return
        await self._call(chat_services.chat_message_create, text=text)

    async def chat_delete(self, message: dict) -> None:
        message_id = _int(message.get("message_id"))
        if message_id is None:
            await self.send_error("invalid", '"message_id" must be an integer.')
            return
        await self._call(chat_services.chat_message_delete, message_id=message_id)


class GlobalChatConsumer(ChatConsumer):
    async def resolve_topic(self) -> str:
        return chat_services.GLOBAL_TOPIC


class LobbyConsumer(ChatConsumer):
    async def resolve_topic(self) -> str:
        self.tournament_id = self.scope["url_route"]["kwargs"]["tournament_id"]
        allowed = await database_sync_to_async(selectors.lobby_can_join)(
            tournament_id=self.tournament_id, user=self.user
        )
        if allowed is None:
            raise Deny(NO_SUCH_TOPIC)
        if not allowed:
            raise Deny(FORBIDDEN)
        return chat_services.chat_topic(tournament_id=self.tournament_id)

    def handlers(self) -> dict:
        return {**super().handlers(), "chat.mute": self.chat_mute, "chat.unmute": self.chat_unmute}

    async def chat_mute(self, message: dict) -> None:
        target_id = _int(message.get("user_id"))
        minutes = message.get("minutes")
        if target_id is None or (minutes is not None and _int(minutes) is None):
            await self.send_error("invalid", '"user_id" must be an integer, "minutes" an integer or absent.')
            return
        await self._call(chat_services.chat_mute_set, target_id=target_id, minutes=minutes)

    async def chat_unmute(self, message: dict) -> None:
        target_id = _int(message.get("user_id"))
        if target_id is None:
            await self.send_error("invalid", '"user_id" must be an integer.')
            return
        await self._call(chat_services.chat_mute_clear, target_id=target_id)
