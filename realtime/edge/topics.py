"""The read-only topics: a tournament's and a match's spectators (anyone may watch a published
one), and a user's own inbox. Snapshots come from the domains' selectors."""

from channels.db import database_sync_to_async
from redis.exceptions import RedisError

from realtime.edge.base import Deny, TopicConsumer
from realtime.edge.protocol import NO_SUCH_TOPIC
from realtime.notifications import inbox_topic
from realtime.publish.buffer import get_buffer
from realtime.publish.hub import get_hub


def _tournament_snapshot(tournament_id: int) -> dict:
    from competitions.selectors import tournament_snapshot
    from realtime.announcements import announcements_recent

    return {
        **tournament_snapshot(tournament_id=tournament_id),
        "announcements": announcements_recent(tournament_id=tournament_id),
    }


class PublicTopicConsumer(TopicConsumer):
    """Topics anyone may watch. Visibility and the snapshot are cached by the hub per
    (epoch, seq): while nothing changed, a connect is a Redis read and a send, no query."""

    def topic_name(self) -> str:
        raise NotImplementedError

    async def is_visible(self) -> bool:
        raise NotImplementedError

    async def resolve_topic(self) -> str:
        topic = self.topic_name()
        try:
            cached = get_hub().snapshot_cached(topic, await get_buffer().position(topic))
        except (RedisError, OSError):
            cached = False
        if not cached and not await self.is_visible():
            raise Deny(NO_SUCH_TOPIC)
        return topic

    async def snapshot_data(self, epoch: str, seq: int) -> str | None:
        hub = get_hub()
        data = await hub.snapshot(self.topic, epoch, seq, self.snapshot)
        if data is None:
            return None
        return f'{data[:-1]}, "spectators": {hub.spectators(self.topic)}}}'


class TournamentConsumer(PublicTopicConsumer):
    """Spectators of a published tournament: standings, matches, results, rounds, winner."""

    def topic_name(self) -> str:
        return f"tournament.{self.scope['url_route']['kwargs']['tournament_id']}"

    async def is_visible(self) -> bool:
        from competitions.selectors import tournament_is_public

        return await database_sync_to_async(tournament_is_public)(
            tournament_id=self.scope["url_route"]["kwargs"]["tournament_id"]
        )

    async def snapshot(self) -> dict:
        return await database_sync_to_async(_tournament_snapshot)(self.scope["url_route"]["kwargs"]["tournament_id"])


class MatchConsumer(PublicTopicConsumer):
    def topic_name(self) -> str:
        return f"match.{self.scope['url_route']['kwargs']['match_id']}"

    async def is_visible(self) -> bool:
        from competitions.selectors import match_is_public

        return await database_sync_to_async(match_is_public)(match_id=self.scope["url_route"]["kwargs"]["match_id"])

    async def snapshot(self) -> dict | None:
        from competitions.selectors import match_snapshot

        return await database_sync_to_async(match_snapshot)(match_id=self.scope["url_route"]["kwargs"]["match_id"])


class UserConsumer(TopicConsumer):
    """A user's own inbox: notifications, payment and registration status changes."""

    requires_ticket = True

    async def resolve_topic(self) -> str:
        return inbox_topic(self.user.pk)

    async def snapshot(self) -> dict:
        from realtime.notifications import notification_inbox

        return await database_sync_to_async(notification_inbox)(user_id=self.user.pk)
