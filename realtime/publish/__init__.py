"""The one way domain code announces a change to WebSocket clients.

Call it from transaction.on_commit callbacks only, so rolled-back changes never leak.
Each event is serialised once, numbered, buffered and broadcast in one step (realtime/publish/buffer.py);
every process's hub (realtime/publish/hub.py) hands the same text to each of its sockets.
"""

import json
import logging
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from arena.metrics import PUBLISHES, topic_kind
from realtime.publish import hub
from realtime.publish.buffer import get_buffer

logger = logging.getLogger(__name__)


def publish(topic: str, event_type: str, data: dict) -> int | None:
    """Number, buffer and broadcast one event. Returns its seq, or None if Redis was unreachable:
    the change itself is committed, and clients catch up by seq or snapshot when it is back."""
    body = json.dumps(
        {"type": event_type, "topic": topic, "ts": timezone.now().isoformat(), "data": data}, cls=DjangoJSONEncoder
    )
    try:
        _, seq, _ = get_buffer().append(topic, body, deliver=hub.deliver_in_process)
    except (RedisError, OSError):
        logger.exception("Could not publish %s on %s", event_type, topic)
        return None
    PUBLISHES.labels(topic_kind(topic)).inc()
    return seq


def access_recheck(*, user_ids: Iterable[int]) -> None:
    """These users' access may have ended (password reset, ban, withdrawal, removal from a team):
    on every process, their open sockets check it again at once and close with 4401 (session
    ended) or 4403 (no longer allowed on the topic). Registers itself to run after commit."""
    ids = sorted(set(user_ids))
    if ids:
        transaction.on_commit(lambda: hub.control_publish({"recheck": ids}), robust=True)
