"""The one way domain code announces a change to WebSocket clients.

Call it from transaction.on_commit callbacks only, so rolled-back changes never leak.
Each event is serialised once, numbered and buffered atomically, then broadcast once
to the topic's group; consumers forward the same text to every client.
"""

import json
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from redis.exceptions import RedisError

from realtime.buffer import get_buffer

logger = logging.getLogger(__name__)


def group_name(topic: str) -> str:
    return f"topic.{topic}"


def publish(topic: str, event_type: str, data: dict) -> int | None:
    """Number, buffer and broadcast one event. Returns its seq, or None if Redis was unreachable:
    the change itself is committed, and clients catch up by seq or snapshot when it is back."""
    body = json.dumps(
        {"type": event_type, "topic": topic, "ts": timezone.now().isoformat(), "data": data}, cls=DjangoJSONEncoder
    )
    try:
        seq, text = get_buffer().append(topic, body)
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group_name(topic), {"type": "topic.event", "seq": seq, "text": text})
    except (RedisError, OSError):
        logger.exception("Could not publish %s on %s", event_type, topic)
        return None
    return seq
