from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from webhooks.models import Delivery, Subscription

EventName = Literal[tuple(Subscription.Event.values)]  # type: ignore[valid-type]


class SubscriptionIn(Schema):
    url: str = Field(max_length=500, description="http(s) endpoint on a public address (Discord: its webhook URL)")
    events: list[EventName] = Field(min_length=1)
    kind: Literal[tuple(Subscription.Kind.values)] = "generic"  # type: ignore[valid-type]


class SubscriptionOut(Schema):
    id: int
    kind: str
    url: str
    events: list[str]
    secret: str = Field(
        description='Verify `Arena-Signature: t=<unix>,v1=<hex>` = HMAC-SHA256(secret, "<unix>.<raw body>")'
    )
    created_at: datetime


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: UUID
    event: str
    status: Literal[tuple(Delivery.Status.values)]  # type: ignore[valid-type]
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict
