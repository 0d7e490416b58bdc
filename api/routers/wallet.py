import uuid
from datetime import date, datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Header, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, StringConstraints

from api.auth import jwt_auth, require_admin
from api.schemas.accounts import ErrorOut
from wallet import catalog, selectors, services

router = Router(tags=["wallet"])

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
