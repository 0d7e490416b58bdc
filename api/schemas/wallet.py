"""The wallet, rewards and payments API's request and response bodies (api.routers.wallet)."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from arena.choices import choices_literal
from wallet import payments
from wallet.models import Payment, Refund


class WalletOut(Schema):
    xp: int
    streak: int
    streak_freezes: int
    last_check_in: date | None = Field(None, description="in your profile's time zone")
    checked_in_today: bool
    next_check_in_xp: int | None = Field(None, description="XP the next check-in would award; null when done today")


class LedgerEntryOut(Schema):
    id: int
    amount: int
    source_kind: str
    source_id: str
    reason: str
    balance_after: int
    created_at: datetime


class CheckInOut(Schema):
    xp_awarded: int
    streak: int
    streak_freezes: int
    freeze_used: bool
    freeze_earned: bool
    reset: bool
    balance: int


class PlanOut(Schema):
    slug: str
    name: str
    price: int = Field(..., description="paise")
    description: str


class PackOut(Schema):
    slug: str
    name: str
    price: int = Field(..., description="paise")
    xp: int


class CatalogOut(Schema):
    listing_plans: list[PlanOut]
    xp_packs: list[PackOut]
    streak_freeze_xp: int


class AdjustIn(Schema):
    amount: int = Field(..., ge=-1_000_000, le=1_000_000, description="positive credits, negative debits")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class PaymentIn(Schema):
    purpose: choices_literal(Payment.Purpose)  # type: ignore[valid-type]
    ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        ..., description="registration id, tournament id (listing plan) or XP pack slug"
    )
    gateway: choices_literal(Payment.Gateway) | None = None  # type: ignore[valid-type]


class PaymentOut(Schema):
    id: int
    purpose: choices_literal(Payment.Purpose)  # type: ignore[valid-type]
    ref: str
    amount: int = Field(..., description="paise, decided by the server")
    currency: str
    gateway: choices_literal(Payment.Gateway)  # type: ignore[valid-type]
    state: choices_literal(Payment.State)  # type: ignore[valid-type]
    amount_refunded: int
    created_at: datetime
    succeeded_at: datetime | None
    checkout: dict | None = Field(None, description="what the client needs to pay (while the payment is open)")

    @staticmethod
    def resolve_checkout(obj) -> dict | None:
        return payments.checkout(obj) if obj.state in payments.OPEN else None


class SandboxOutcomeIn(Schema):
    outcome: Literal["succeed", "fail"]


class WebhookOut(Schema):
    detail: str = Field(..., description="`accepted`, or `duplicate` for an event already received")


class RazorpayVerifyIn(Schema):
    razorpay_order_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    razorpay_payment_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    razorpay_signature: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class RefundIn(Schema):
    amount: int | None = Field(
        None, gt=0, description="paise; omit to refund everything not yet refunded", examples=[5000]
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class RefundOut(Schema):
    id: int
    payment_id: int
    amount: int = Field(..., description="paise")
    state: choices_literal(Refund.State) = Field(  # type: ignore[valid-type]
        ..., description="pending → processed | failed"
    )
    reason: str
    xp_debited: int = Field(..., description="XP taken back (XP packs)")
    failure_reason: str
    created_at: datetime
    processed_at: datetime | None
