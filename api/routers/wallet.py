import json
import uuid
from typing import Annotated

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Status
from ninja.pagination import paginate

from api.auth import jwt_auth, require_admin
from api.schemas.common import ErrorOut
from api.schemas.wallet import (
    AdjustIn,
    CatalogOut,
    CheckInOut,
    LedgerEntryOut,
    PaymentIn,
    PaymentOut,
    RazorpayVerifyIn,
    RefundIn,
    RefundOut,
    SandboxOutcomeIn,
    WalletOut,
    WebhookOut,
)
from arena.exceptions import ApplicationError, NotFound
from wallet import catalog, idempotency, payments, refunds, selectors, services

router = Router(tags=["wallet"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)]


@router.get("/wallet", auth=jwt_auth, response={200: WalletOut, 401: ErrorOut})
def get_wallet(request: HttpRequest):
    return selectors.wallet_summary(user=request.user)


@router.get("/wallet/ledger", auth=jwt_auth, response={200: list[LedgerEntryOut], 401: ErrorOut})
@paginate
def list_ledger(request: HttpRequest):
    """Every XP movement, newest first, with its source."""
    return selectors.ledger_list(user=request.user)


@router.post(
    "/rewards/check-in",
    auth=jwt_auth,
    response={200: CheckInOut, 401: ErrorOut, 409: ErrorOut},
    operation_id="rewards_check_in",
)
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


PaymentIdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=64,
        description=(
            "Optional; a unique value per purchase attempt, such as a UUID. Retrying with the same key and the "
            "same body replays the first response (status and body, with `Idempotent-Replayed: true`) for 24 hours; "
            "the same key with a different body is 422 `idempotency_key_reused`; while the first request with the "
            "key is still running, 409 `idempotency_key_in_use`."
        ),
    ),
]


def _payment_created(request: HttpRequest, payload: PaymentIn) -> tuple[int, str]:
    """Run the request and render its response as the API would, so it can be kept and replayed."""
    from api.api import api
    from api.errors import error_body

    try:
        payment = payments.payment_create(user=request.user, **payload.dict())
    except ApplicationError as error:
        if error.status_code >= 500:
            raise  # not kept: the key is released and a retry runs again
        body = error_body(error.message, code=error.code, errors=error.errors)
        return error.status_code, api.create_response(request, body, status=error.status_code).content.decode()
    body = PaymentOut.from_orm(payment).model_dump()
    return 201, api.create_response(request, body, status=201).content.decode()


@router.post("/payments", auth=jwt_auth, response={201: PaymentOut, **ERRORS})
def create_payment(request: HttpRequest, payload: PaymentIn, idempotency_key: PaymentIdempotencyKey = None):
    """Start paying for a registration, a listing plan or an XP pack. The amount comes from the
    server; an unfinished payment for the same thing is returned instead of a second one (also
    to concurrent identical requests: there is only ever one open payment and one gateway order).

    Send an `Idempotency-Key` header to make retries safe (Stripe's semantics, keys kept 24 hours
    per user): the same key with the same body returns the first response again — status and body,
    with `Idempotent-Replayed: true`; the same key with a different body is 422
    `idempotency_key_reused`; a second request while the first is still running is 409
    `idempotency_key_in_use`. A 503 (gateway unavailable) is not kept: retry with the same key."""
    if idempotency_key is None:
        return Status(201, payments.payment_create(user=request.user, **payload.dict()))
    kept = idempotency.idempotent(
        user_id=request.user.pk,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint(method="POST", path=request.path, body=json.loads(request.body)),
        run=lambda: _payment_created(request, payload),
    )
    response = HttpResponse(kept.body, status=kept.status, content_type="application/json; charset=utf-8")
    if kept.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get("/payments", auth=jwt_auth, response={200: list[PaymentOut], 401: ErrorOut})
@paginate
def list_payments(request: HttpRequest):
    """Your payments, newest first (admins: everyone's)."""
    return selectors.payment_list(user=request.user)


@router.get("/payments/{payment_id}", auth=jwt_auth, response={200: PaymentOut, 401: ErrorOut, 404: ErrorOut})
def get_payment(request: HttpRequest, payment_id: int):
    return selectors.payment_get(user=request.user, payment_id=payment_id)


@router.post(
    "/payments/{payment_id}/sandbox-outcome",
    auth=jwt_auth,
    response={200: PaymentOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def simulate_sandbox_payment(request: HttpRequest, payment_id: int, payload: SandboxOutcomeIn):
    """Development only (the sandbox gateway is never enabled in production): what the sandbox
    checkout page's buttons do, as JSON, for mobile apps and CI: the gateway's signed callback is
    sent and processed as a real one is; read the payment again for its new state. The payer (or an
    admin) only; 404 when the sandbox gateway is disabled or the payment is not a sandbox one."""
    payment = selectors.payment_get(user=request.user, payment_id=payment_id)
    if "sandbox" not in settings.PAYMENT_GATEWAYS or payment.gateway != "sandbox":
        raise NotFound("No such sandbox payment.", code="not_found")
    return payments.sandbox_outcome_send(payment=payment, outcome=payload.outcome)


WEBHOOK_RESPONSES = {200: WebhookOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _webhook(request: HttpRequest, gateway: str) -> dict:
    _, created = payments.webhook_receive(gateway=gateway, body=request.body, headers=request.headers)
    return {"detail": "accepted" if created else "duplicate"}


@router.post("/payments/webhooks/sandbox", response=WEBHOOK_RESPONSES)
def sandbox_webhook(request: HttpRequest):
    """The sandbox gateway's signed callback (`X-Sandbox-Signature`: HMAC-SHA256 of the raw body).
    Stored once per event id and answered at once; processing runs in a task."""
    return _webhook(request, "sandbox")


@router.post("/payments/webhooks/razorpay", response=WEBHOOK_RESPONSES)
def razorpay_webhook(request: HttpRequest):
    """Razorpay webhooks (`payment.captured`, `payment.failed`, `order.paid`, `refund.processed`,
    `refund.failed`). `X-Razorpay-Signature` is checked over the raw body with the webhook secret
    (401 otherwise); deliveries are deduplicated by `X-Razorpay-Event-Id`."""
    return _webhook(request, "razorpay")


@router.post("/payments/webhooks/phonepe", response=WEBHOOK_RESPONSES)
def phonepe_webhook(request: HttpRequest):
    """PhonePe Standard Checkout v2 callbacks. `Authorization` must be SHA256(username:password)
    as configured on PhonePe's dashboard (401 otherwise). A callback only triggers a check: the
    payment moves on what PhonePe's Order Status API says, never on the callback's body."""
    return _webhook(request, "phonepe")


@router.post(
    "/payments/razorpay/verify",
    auth=jwt_auth,
    response={200: PaymentOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def razorpay_verify(request: HttpRequest, payload: RazorpayVerifyIn):
    """What Razorpay Checkout's success handler returns. The signature must be HMAC-SHA256 of
    `<our stored order id>|<payment id>` with our key secret (400 `bad_signature` otherwise).
    Safe to race the webhook: the payment is fulfilled once, whichever arrives first."""
    return payments.razorpay_verify(
        user=request.user,
        order_id=payload.razorpay_order_id,
        razorpay_payment_id=payload.razorpay_payment_id,
        signature=payload.razorpay_signature,
    )


RequiredIdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=64)]


@router.post(
    "/payments/{payment_id}/refund",
    auth=jwt_auth,
    response={202: RefundOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut},
)
def refund_payment(request: HttpRequest, payment_id: int, payload: RefundIn, idempotency_key: RequiredIdempotencyKey):
    """Admins, or the tournament's host for an entry fee: refund all or part of a succeeded payment.
    The `Idempotency-Key` header is required: a retry with the same key returns the same refund
    and never pays out twice. Refunds never exceed what was paid (422 `refund_too_large`).
    An XP pack refund takes back the XP that share bought; if it has been spent, 409 `xp_already_spent`.
    The refund is sent to the gateway in the background; its `state` moves pending → processed."""
    refund = refunds.payment_refund(
        payment_id=payment_id, actor=request.user, idempotency_key=idempotency_key,
        amount=payload.amount, reason=payload.reason,
    )  # fmt: skip
    refund.refresh_from_db()
    return Status(202, refund)


@router.get(
    "/payments/{payment_id}/refunds", auth=jwt_auth, response={200: list[RefundOut], 401: ErrorOut, 404: ErrorOut}
)
def list_refunds(request: HttpRequest, payment_id: int):
    """The refunds of one of your payments (admins: any payment)."""
    return selectors.payment_get(user=request.user, payment_id=payment_id).refunds.all()
