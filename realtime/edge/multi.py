"""/ws/: one socket, many topics, each followed by the consumer its own route uses."""

import asyncio
import json

from realtime.edge.base import TopicConsumer
from realtime.edge.chat import GlobalChatConsumer, LobbyConsumer
from realtime.edge.protocol import DENIED_ERRORS, MAX_TOPICS, NOT_AUTHENTICATED
from realtime.edge.topics import MatchConsumer, TournamentConsumer, UserConsumer
from realtime.notifications import inbox_topic
from realtime.publish.hub import frame

# Topics a /ws/ socket may follow: name pattern -> (consumer class, its URL keyword).
_MULTI_ROUTES = {
    "tournament": (TournamentConsumer, "tournament_id"),
    "match": (MatchConsumer, "match_id"),
    "lobby": (LobbyConsumer, "tournament_id"),
    "user": (UserConsumer, None),
    "chat": (GlobalChatConsumer, None),
}


class MultiTopicConsumer(TopicConsumer):
    """/ws/: one socket, many topics. The client sends {"type": "subscribe", "topic", "since"?,
    "epoch"?} and {"type": "unsubscribe", "topic"}; each topic is followed by the same consumer
    a single-topic socket would use (same authorization, snapshot, resume and revocation),
    writing into this socket's one send queue. A refused or revoked topic gets an error on that
    topic; a session that ends (4401) or a full queue (4408) closes the socket."""

    async def _start(self) -> None:
        self.followers: dict[str, TopicConsumer] = {}
        await self._signed_in()

    async def stop(self) -> None:
        self.closed = True
        if self.starter is not None:
            self.starter.cancel()
        for follower in list(getattr(self, "followers", {}).values()):
            await follower.stop()

    def _error(self, topic: str, code: str, detail: str) -> None:
        data = json.dumps({"code": code, "detail": detail})
        self.push(frame("error", topic, "", 0, data))

    async def on_message(self, message: dict) -> None:
        await asyncio.wait([self.starter])
        if self.closed:
            return
        topic = message.get("topic")
        if message["type"] not in ("subscribe", "unsubscribe"):
            await self.send_error("unknown_type", 'Send {"type": "subscribe" | "unsubscribe", "topic": ...}.')
            return
        if not isinstance(topic, str) or len(topic) > 60:
            await self.send_error("invalid_topic", '"topic" must be a topic name such as "tournament.12".')
            return
        if message["type"] == "unsubscribe":
            follower = self.followers.pop(topic, None)
            if follower is not None:
                await follower.stop()
            return
        if topic in self.followers:
            return
        if self.user is not None and not await self._session_alive():
            # A socket that followed nothing when its session ended heard no recheck.
            await self.close(code=NOT_AUTHENTICATED)
            return
        if len(self.followers) >= MAX_TOPICS:
            self._error(topic, "too_many_topics", f"One socket follows at most {MAX_TOPICS} topics.")
            return
        follower = self._follower(topic)
        if follower is None:
            self._error(topic, "no_such_topic", "No such topic.")
            return
        if follower.requires_ticket and self.user is None:
            self._error(topic, "not_authenticated", "This topic needs a ?ticket= on the socket.")
            return
        if topic.startswith("user.") and topic != inbox_topic(self.user.pk):
            self._error(topic, "forbidden", "Only your own inbox.")
            return
        self.followers[topic] = follower
        since, epoch = message.get("since"), message.get("epoch")
        since = str(since) if isinstance(since, int) and not isinstance(since, bool) else ""
        follower.starter = asyncio.ensure_future(follower.subscribe(since, epoch if isinstance(epoch, str) else ""))

    def _follower(self, topic: str) -> "TopicConsumer | None":
        kind, _, key = topic.partition(".")
        route = _MULTI_ROUTES.get(kind)
        if route is None:
            return None
        consumer_class, kwarg = route
        kwargs = {}
        if kwarg is not None:
            if not key.isdigit() or len(key) > 18 or key != str(int(key)):
                return None  # "tournament.012" would follow tournament.12 a second time
            kwargs[kwarg] = int(key)
        elif kind == "chat" and key != "global":
            return None
        follower = consumer_class()
        follower._setup()
        follower.parent = self
        follower.requested = topic
        follower.user = self.user
        follower.scope = {**self.scope, "url_route": {"args": (), "kwargs": kwargs}}
        follower.base_send = self.base_send
        return follower

    async def follower_closed(self, follower: TopicConsumer, code: int | None) -> None:
        if self.closed:
            return
        if code == NOT_AUTHENTICATED and self.user is not None:
            await self.close(code=code)  # the session ended: every topic of it
            return
        if self.followers.get(follower.requested) is follower:
            del self.followers[follower.requested]
        await follower.stop()
        name = DENIED_ERRORS.get(code, "forbidden")
        self._error(follower.requested, name, f"This topic is closed to this socket ({name}).")
