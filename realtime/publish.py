"""The one way domain code announces a change to WebSocket clients.

Called from transaction.on_commit callbacks only, so rolled-back changes never leak.
The realtime issue adds per-topic sequence numbers and the replay buffer here.
"""

import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone


def publish(topic: str, event_type: str, data: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # Serialised once here, not once per connected client.
    text = json.dumps(
        {"type": event_type, "topic": topic, "ts": timezone.now().isoformat(), "data": data}, cls=DjangoJSONEncoder
    )
    async_to_sync(layer.group_send)(topic, {"type": "broadcast", "text": text})
