"""Payments: one state machine, fed by gateway callbacks (and later verify calls and the
reconciler). Every transition happens under the payment's row lock; fulfilment happens in
the same transaction as the move to `succeeded`, so it runs exactly once."""

import hashlib
import hmac
import json
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from arena.exceptions import Conflict, Invalid, NotAuthenticated, NotFound, PermissionDenied
from wallet import catalog
from wallet.models import LedgerEntry, Payment, PaymentEvent

OPEN = (Payment.State.CREATED, Payment.State.PENDING)
# Where each state may go. Nothing goes back: a late "failed" never undoes "succeeded",
# but money captured after a failure or expiry still counts.
TRANSITIONS = {
    Payment.State.CREATED: {
        Payment.State.PENDING,
        Payment.State.SUCCEEDED,
        Payment.State.FAILED,
        Payment.State.EXPIRED,
    },
    Payment.State.PENDING: {Payment.State.SUCCEEDED, Payment.State.FAILED, Payment.State.EXPIRED},
    Payment.State.FAILED: {Payment.State.SUCCEEDED},
    Payment.State.EXPIRED: {Payment.State.SUCCEEDED},
    Payment.State.SUCCEEDED: {Payment.State.PARTIALLY_REFUNDED, Payment.State.REFUNDED},
    Payment.State.PARTIALLY_REFUNDED: {Payment.State.PARTIALLY_REFUNDED, Payment.State.REFUNDED},
    Payment.State.REFUNDED: set(),
}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS[current]


# --- creating a payment -----------------------------------------------------------------------


def _price(*, user, purpose: str, ref: str) -> int:
    """What this purchase costs, decided here: clients only name what they buy."""
    from competitions.models import Registration, Tournament

    if purpose == Payment.Purpose.XP_PACK:
        pack = catalog.XP_PACKS.get(ref)
        if pack is None:
            raise Invalid(f"Unknown XP pack {ref!r}; see GET /api/payments/catalog.", code="unknown_item")
        return pack.price
    if not ref.isdigit():
        raise Invalid("ref must be the id of the registration or tournament.", code="unknown_item")
    if purpose == Payment.Purpose.LISTING_PLAN:
        tournament = Tournament.objects.filter(pk=int(ref)).first()
        if tournament is None:
            raise NotFound("No such tournament.")
        if tournament.host_id != user.pk:
            raise PermissionDenied("Only the tournament's host pays its listing plan.", code="not_host")
        if tournament.listing_paid_at:
            raise Conflict("This tournament's listing plan is already paid.", code="already_paid")
        return catalog.LISTING_PLANS[tournament.listing_plan].price
    registration = Registration.objects.select_related("tournament", "team").filter(pk=int(ref)).first()
    if registration is None:
        raise NotFound("No such registration.")
    if registration.team.captain_id != user.pk:
        raise PermissionDenied("Only the team captain pays the entry fee.", code="not_captain")
    if registration.status != Registration.Status.PENDING_PAYMENT:
        raise Conflict(f"This registration is {registration.status}; nothing to pay.", code="nothing_to_pay")
    return registration.tournament.entry_fee


@transaction.atomic
def payment_create(*, user, purpose: str, ref: str, gateway: str | None = None) -> Payment:
    if not user.is_email_verified:
        raise PermissionDenied("Verify your email address before paying.", code="email_unverified")
    gateway = gateway or settings.PAYMENT_DEFAULT_GATEWAY
    if gateway not in settings.PAYMENT_GATEWAYS:
        raise Invalid(f"Gateway {gateway!r} is not available; use one of {settings.PAYMENT_GATEWAYS}.", code="gateway")
    amount = _price(user=user, purpose=purpose, ref=ref)
    # An unfinished payment for the same thing is reused rather than duplicated.
    existing = (
        Payment.objects.select_for_update()
        .filter(user=user, purpose=purpose, ref=ref, gateway=gateway, state__in=OPEN, amount=amount)
        .first()
    )
    if existing is not None:
        return existing
    payment = Payment.objects.create(user=user, purpose=purpose, ref=ref, amount=amount, gateway=gateway)
    payment.gateway_order_id = f"{gateway}_order_{payment.pk}_{uuid.uuid4().hex[:12]}"
    payment.state = Payment.State.PENDING
    payment.save(update_fields=["gateway_order_id", "state", "updated_at"])
    return payment


def checkout(payment: Payment) -> dict:
    """What the client needs to pay: for the sandbox, the local checkout page."""
    return {"gateway": payment.gateway, "order_id": payment.gateway_order_id, "url": f"/payments/sandbox/{payment.pk}/"}


# --- callbacks --------------------------------------------------------------------------------


def sandbox_signature(body: bytes) -> str:
    return hmac.new(settings.SANDBOX_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def sandbox_callback_body(*, payment: Payment, outcome: str) -> bytes:
    """The callback the sandbox checkout sends, shaped like a gateway's: one event id per click."""
    return json.dumps(
        {
            "event_id": f"evt_{uuid.uuid4().hex}",
            "order_id": payment.gateway_order_id,
            "payment_id": f"sandbox_pay_{uuid.uuid4().hex[:14]}",
            "status": "captured" if outcome == "succeed" else "failed",
            "amount": payment.amount,
        },
        separators=(",", ":"),
    ).encode()


def webhook_receive_sandbox(*, body: bytes, signature: str) -> tuple[PaymentEvent, bool]:
    """Verify and store; processing runs in a task. Returns (event, created)."""
    if not signature or not hmac.compare_digest(sandbox_signature(body), signature):
        raise NotAuthenticated("Bad signature.", code="bad_signature")
    try:
        payload = json.loads(body)
        event_id, order_id = str(payload["event_id"]), str(payload["order_id"])
    except (ValueError, KeyError, TypeError):
        raise Invalid("Malformed callback.", code="bad_payload") from None
    payment = Payment.objects.filter(gateway=Payment.Gateway.SANDBOX, gateway_order_id=order_id).first()
    try:
        with transaction.atomic():
            event = PaymentEvent.objects.create(
                gateway=Payment.Gateway.SANDBOX, event_id=event_id, payment=payment, payload=payload
            )
    except IntegrityError:
        # The same event again (a retry, or a duplicate delivered concurrently): acknowledged once.
        return PaymentEvent.objects.get(gateway=Payment.Gateway.SANDBOX, event_id=event_id), False

    def process():
        from wallet.tasks import process_payment_event

        process_payment_event.delay(event.pk)

    transaction.on_commit(process)
    return event, True


@transaction.atomic
def payment_event_process(*, event_id: int) -> None:
    event = PaymentEvent.objects.select_for_update().filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return
    if event.payment_id is not None:
        status = event.payload.get("status")
        target = {"captured": Payment.State.SUCCEEDED, "failed": Payment.State.FAILED}.get(status)
        if target is not None:
            payment_transition(
                payment_id=event.payment_id,
                target=target,
                gateway_payment_id=str(event.payload.get("payment_id", "")),
                payload=event.payload,
            )
    event.processed_at = timezone.now()
    event.save(update_fields=["processed_at"])


@transaction.atomic
def payment_transition(*, payment_id: int, target: str, gateway_payment_id: str = "", payload: dict) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.payloads = [*payment.payloads, payload]
    if payment.state == target or not can_transition(payment.state, target):
        payment.save(update_fields=["payloads", "updated_at"])
        return payment
    payment.state = target
    if gateway_payment_id:
        payment.gateway_payment_id = gateway_payment_id
    if target == Payment.State.SUCCEEDED:
        payment.succeeded_at = timezone.now()
        _fulfil(payment)
        payment.fulfilled_at = timezone.now()
    payment.save()
    _notify_payment(payment)
    return payment


def _fulfil(payment: Payment) -> None:
    """Runs once: only the transition into `succeeded` calls it, under the payment lock."""
    from competitions.services import registration_confirm_paid, tournament_listing_paid
    from wallet.services import xp_credit

    if payment.purpose == Payment.Purpose.XP_PACK:
        xp_credit(
            user_id=payment.user_id,
            amount=catalog.XP_PACKS[payment.ref].xp,
            source_kind=LedgerEntry.Source.XP_PACK,
            source_id=payment.pk,
            idempotency_key=f"payment:{payment.pk}",
            reason=catalog.XP_PACKS[payment.ref].name,
        )
    elif payment.purpose == Payment.Purpose.LISTING_PLAN:
        tournament_listing_paid(tournament_id=int(payment.ref))
    else:
        registration_confirm_paid(registration_id=int(payment.ref))


def _notify_payment(payment: Payment) -> None:
    from realtime.services import notification_create

    if payment.state in (Payment.State.SUCCEEDED, Payment.State.FAILED):
        succeeded = payment.state == Payment.State.SUCCEEDED
        notification_create(
            user_ids=[payment.user_id],
            kind="payment_succeeded" if succeeded else "payment_failed",
            title=f"Payment of {payment.amount_display} {'succeeded' if succeeded else 'failed'}",
            data={"payment_id": payment.pk, "purpose": payment.purpose, "ref": payment.ref},
        )
