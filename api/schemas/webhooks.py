from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from arena.choices import choices_literal
from webhooks.models import Delivery, Subscription

EventName = choices_literal(Subscription.Event)


class SubscriptionIn(Schema):
    url: str = Field(max_length=500, description="http(s) endpoint on a public address (Discord: its webhook URL)")
    events: list[EventName] = Field(min_length=1)
    kind: choices_literal(Subscription.Kind) = "generic"  # type: ignore[valid-type]


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
    status: choices_literal(Delivery.Status)  # type: ignore[valid-type]
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict
