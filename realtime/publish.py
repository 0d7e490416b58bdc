"""The one way domain code announces a change to WebSocket clients.

Call it from transaction.on_commit callbacks only, so rolled-back changes never leak.
Each event is serialised once, numbered and buffered atomically, then broadcast once
to the topic's group; consumers forward the same text to every client.
"""

import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from realtime.buffer import get_buffer


def group_name(topic: str) -> str:
    return f"topic.{topic}"


def publish(topic: str, event_type: str, data: dict) -> int:
    body = json.dumps(
        {"type": event_type, "topic": topic, "ts": timezone.now().isoformat(), "data": data}, cls=DjangoJSONEncoder
    )
    seq, text = get_buffer().append(topic, body)
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_name(topic), {"type": "topic.event", "seq": seq, "text": text})
    return seq
