import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Header, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StringConstraints

from api.auth import jwt_auth, require_admin
from api.schemas.accounts import ErrorOut
from wallet import catalog, payments, selectors, services

router = Router(tags=["wallet"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)]


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


@router.get("/wallet", auth=jwt_auth, response={200: WalletOut, 401: ErrorOut})
def get_wallet(request: HttpRequest):
    return selectors.wallet_summary(user=request.user)


@router.get("/wallet/ledger", auth=jwt_auth, response={200: list[LedgerEntryOut], 401: ErrorOut})
@paginate
def list_ledger(request: HttpRequest):
    """Every XP movement, newest first, with its source."""
    return selectors.ledger_list(user=request.user)


@router.post("/rewards/check-in", auth=jwt_auth, response={200: CheckInOut, 401: ErrorOut, 409: ErrorOut})
def check_in(request: HttpRequest):
    """Once per day in your profile's time zone. Consecutive days grow the streak; one missed day
    spends a freeze if you have one; otherwise the streak restarts. XP: 5 × (day of the 7-day cycle)."""
    result, entry = services.check_in_perform(user=request.user)
    return {
        "xp_awarded": entry.amount,
        "streak": result.state.streak,
        "streak_freezes": result.state.freezes,
        "freeze_used": result.freeze_used,
        "freeze_earned": result.freeze_earned,
        "reset": result.reset,
        "balance": entry.balance_after,
    }


@router.post("/rewards/freezes", auth=jwt_auth, response={200: WalletOut, 401: ErrorOut, 409: ErrorOut})
def buy_streak_freeze(request: HttpRequest, idempotency_key: IdempotencyKey = None):
    """Buy a streak freeze with XP (at most 2 held). Send an `Idempotency-Key` header to make retries safe."""
    services.streak_freeze_buy(user=request.user, request_id=idempotency_key or uuid.uuid4().hex)
    return selectors.wallet_summary(user=request.user)


@router.get("/payments/catalog", response=CatalogOut)
def get_catalog(request: HttpRequest):
    """Listing plans and XP packs. Prices are set here; a client only ever names an item."""
    return {
        "listing_plans": list(catalog.LISTING_PLANS.values()),
        "xp_packs": list(catalog.XP_PACKS.values()),
        "streak_freeze_xp": catalog.STREAK_FREEZE_PRICE_XP,
    }


@router.post(
    "/admin/users/{user_id}/xp",
    auth=jwt_auth,
    response={201: LedgerEntryOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def adjust_xp(
    request: HttpRequest,
    user_id: int,
    payload: AdjustIn,
    idempotency_key: IdempotencyKey = None,
):
    """Admins: credit or debit XP with a reason (never below zero). `Idempotency-Key` makes retries safe."""
    admin = require_admin(request)
    entry = services.xp_admin_adjust(
        user_id=user_id, amount=payload.amount, reason=payload.reason, admin_id=admin.pk,
        request_id=idempotency_key or uuid.uuid4().hex,
    )  # fmt: skip
    return Status(201, entry)


class PaymentIn(Schema):
    purpose: Literal["registration", "listing_plan", "xp_pack"]
    ref: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        ..., description="registration id, tournament id (listing plan) or XP pack slug"
    )
    gateway: Literal["sandbox", "razorpay", "phonepe"] | None = None


class PaymentOut(Schema):
    id: int
    purpose: str
    ref: str
    amount: int = Field(..., description="paise, decided by the server")
    currency: str
    gateway: str
    state: str
    amount_refunded: int
    created_at: datetime
    succeeded_at: datetime | None
    checkout: dict | None = Field(None, description="what the client needs to pay (while the payment is open)")

    @staticmethod
    def resolve_checkout(obj) -> dict | None:
        return payments.checkout(obj) if obj.state in payments.OPEN else None


@router.post("/payments", auth=jwt_auth, response={201: PaymentOut, **ERRORS})
def create_payment(request: HttpRequest, payload: PaymentIn):
    """Start paying for a registration, a listing plan or an XP pack. The amount comes from the
    server; an unfinished payment for the same thing is returned instead of a second one."""
    return Status(201, payments.payment_create(user=request.user, **payload.dict()))


@router.get("/payments", auth=jwt_auth, response={200: list[PaymentOut], 401: ErrorOut})
@paginate
def list_payments(request: HttpRequest):
    """Your payments, newest first (admins: everyone's)."""
    return selectors.payment_list(user=request.user)


@router.get("/payments/{payment_id}", auth=jwt_auth, response={200: PaymentOut, 401: ErrorOut, 404: ErrorOut})
def get_payment(request: HttpRequest, payment_id: int):
    return selectors.payment_get(user=request.user, payment_id=payment_id)


class WebhookOut(Schema):
    detail: str


@router.post("/payments/webhooks/sandbox", response={200: WebhookOut, 400: ErrorOut, 401: ErrorOut})
def sandbox_webhook(request: HttpRequest):
    """The sandbox gateway's signed callback (`X-Sandbox-Signature`: HMAC-SHA256 of the raw body).
    Stored once per event id and answered at once; processing runs in a task."""
    _, created = payments.webhook_receive_sandbox(
        body=request.body, signature=request.headers.get("X-Sandbox-Signature", "")
    )
    return {"detail": "accepted" if created else "duplicate"}
