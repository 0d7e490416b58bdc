"""Chat consumers (global and lobby). Being built; see tests/realtime/test_chat.py."""

from realtime.consumers import NOT_AUTHENTICATED, Deny, TopicConsumer


class GlobalChatConsumer(TopicConsumer):
    requires_ticket = True

    async def resolve_topic(self) -> str:
        raise Deny(NOT_AUTHENTICATED)


class LobbyConsumer(TopicConsumer):
    requires_ticket = True

    async def resolve_topic(self) -> str:
        raise Deny(NOT_AUTHENTICATED)
