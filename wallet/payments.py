"""Payments: one state machine, fed by the client's verify call, gateway callbacks and the
reconciler. Every transition happens under the payment's row lock; fulfilment happens in
the same transaction as the move to `succeeded`, so it runs exactly once.

Work after commit (tasks, emails) is scheduled with `robust=True`: when the broker or a
gateway fails at that moment, what matters is already stored, and the reconciler finishes it."""

import json
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from arena.metrics import PAYMENT_TRANSITIONS
from wallet import tasks
from wallet.gateways import GatewayUpdate, gateway_get
from wallet.models import Payment, PaymentEvent
from wallet.purchases import purchase_get
from wallet.reconcile import reconcile_step
from wallet.refunds import refund_apply, refunds_reconcile

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


def payment_create(*, user, purpose: str, ref: str, gateway: str | None = None) -> Payment:
    if not user.is_email_verified:
        raise PermissionDenied("Verify your email address before paying.", code="email_unverified")
    gateway = gateway or settings.PAYMENT_DEFAULT_GATEWAY
    if gateway not in settings.PAYMENT_GATEWAYS:
        raise Invalid(f"Gateway {gateway!r} is not available; use one of {settings.PAYMENT_GATEWAYS}.", code="gateway")
    with transaction.atomic():
        amount = purchase_get(purpose).price(user=user, ref=ref)
        payment = _open_payment_get_or_create(user=user, purpose=purpose, ref=ref, gateway=gateway, amount=amount)
    if not payment.gateway_order_id:
        payment = _order_attach(payment_id=payment.pk)
    return payment


def _open_payment_get_or_create(**fields) -> Payment:
    """An unfinished payment for the same thing is reused rather than duplicated. The partial
    unique constraint `one_open_payment` decides between concurrent requests: the loser's INSERT
    waits for the winner's commit, fails, and the loser reads the winner's row."""
    lookup = Payment.objects.filter(state__in=OPEN, **fields)
    for _ in range(3):
        payment = lookup.first()
        if payment is not None:
            return payment
        try:
            with transaction.atomic():
                return Payment.objects.create(**fields)
        except IntegrityError:
            continue  # created concurrently: read it (or, if it closed meanwhile, try again)
    raise Conflict("This payment is being created by another request; try again.", code="payment_in_progress")


@transaction.atomic
def _order_attach(*, payment_id: int) -> Payment:
    """Create the payment's gateway order, once. The new payment's row stays locked while the
    gateway answers: an identical request arriving meanwhile waits here, then finds the order,
    so a gateway never gets two orders for one payment. Webhooks and verify calls need the order
    id, so they never wait on this lock (only the reconciler expiring an hour-old `created`
    payment could). If the gateway fails, nothing is written: the payment stays `created` and
    the next attempt retries."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.gateway_order_id or payment.state not in OPEN:
        return payment
    order = gateway_get(payment.gateway).order_create(payment)
    payment.gateway_order_id = order.order_id
    payment.checkout_data = order.checkout
    payment.state = Payment.State.PENDING
    payment.save(update_fields=["gateway_order_id", "checkout_data", "state", "updated_at"])
    return payment


def checkout(payment: Payment) -> dict:
    """What the client needs to pay: the sandbox page, Razorpay Checkout options or PhonePe's page."""
    return gateway_get(payment.gateway).checkout(payment)


# --- callbacks --------------------------------------------------------------------------------


def sandbox_signature(body: bytes) -> str:
    return gateway_get(Payment.Gateway.SANDBOX).signature(body)


SANDBOX_LINK_SALT = "arena.wallet.sandbox-checkout"


def sandbox_checkout_url(payment: Payment) -> str:
    """An absolute, signed link to the sandbox checkout page: only whoever received it from
    POST /api/payments (the payer) can succeed or fail the payment there."""
    token = signing.dumps(payment.pk, salt=SANDBOX_LINK_SALT)
    return f"{settings.SITE_URL}/payments/sandbox/{payment.pk}/?{urlencode({'sig': token})}"


def sandbox_link_valid(*, payment: Payment, token: str) -> bool:
    try:
        signed = signing.loads(token, salt=SANDBOX_LINK_SALT, max_age=settings.PAYMENT_EXPIRE_AFTER_MINUTES * 60)
    except signing.BadSignature:
        return False
    return signed == payment.pk


def sandbox_outcome_send(*, payment: Payment, outcome: str) -> Payment:
    """What the sandbox checkout's buttons do: the gateway's signed callback, through the same
    code as a real webhook. Development only (the sandbox is refused in production)."""
    body = sandbox_callback_body(payment=payment, outcome=outcome)
    webhook_receive(
        gateway=Payment.Gateway.SANDBOX, body=body, headers={"X-Sandbox-Signature": sandbox_signature(body)}
    )
    payment.refresh_from_db()
    return payment


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


def webhook_receive(*, gateway: str, body: bytes, headers) -> tuple[PaymentEvent, bool]:
    """Verify and store; processing runs in a task, so the gateway gets its 2xx at once.
    Returns (event, created): the same event delivered again is acknowledged, not reprocessed."""
    if gateway not in settings.PAYMENT_GATEWAYS:
        raise NotFound(f"The {gateway} gateway is not enabled.")
    adapter = gateway_get(gateway)
    event_id, payload = adapter.webhook_verify(body=body, headers=headers)
    try:
        with transaction.atomic():
            event = PaymentEvent.objects.create(
                gateway=gateway, event_id=event_id, payment=adapter.event_payment(payload), payload=payload
            )
    except IntegrityError:
        # A retry, or a duplicate delivered concurrently: the unique constraint picked one.
        event = PaymentEvent.objects.select_related("payment").get(gateway=gateway, event_id=event_id)
        if adapter.callbacks_are_hints and event.payment is not None and event.payment.state in OPEN:
            # The same hint again while the payment is still open: ask the gateway once more.
            transaction.on_commit(lambda: _check_later(event.payment_id), robust=True)
        return event, False

    def process():
        tasks.process_payment_event.delay(event.pk)

    transaction.on_commit(process, robust=True)
    return event, True


def _check_later(payment_id: int) -> None:
    tasks.check_payment.delay(payment_id)


def payment_check(*, payment_id: int) -> Payment:
    """Ask the payment's gateway where it stands and apply the answer."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.state in OPEN and payment.gateway_order_id:
        gateway_update_apply(payment_id=payment.pk, update=gateway_get(payment.gateway).order_status(payment))
        payment.refresh_from_db()
    return payment


def payment_event_process(*, event_id: int) -> None:
    event = PaymentEvent.objects.select_related("payment").filter(pk=event_id).first()
    if event is None or event.processed_at is not None:
        return
    # Asking the gateway (PhonePe's Order Status) happens before any lock is taken.
    update = gateway_get(event.gateway).event_update(event.payload, event.payment) if event.payment else None
    with transaction.atomic():
        event = PaymentEvent.objects.select_for_update().get(pk=event_id)
        if event.processed_at is not None:
            return
        if update is not None:
            gateway_update_apply(payment_id=event.payment_id, update=update)
        event.processed_at = timezone.now()
        event.save(update_fields=["processed_at"])


def gateway_update_apply(*, payment_id: int, update: GatewayUpdate) -> None:
    """The one place a gateway's word moves our state, whoever brought it (verify call,
    webhook, reconciler)."""
    if update.payment_state is not None:
        payment_transition(
            payment_id=payment_id,
            target=update.payment_state,
            gateway_payment_id=update.gateway_payment_id,
            payload=update.payload,
        )
    if update.refund_state is not None:
        refund_apply(payment_id=payment_id, update=update)


def razorpay_verify(*, user, order_id: str, razorpay_payment_id: str, signature: str) -> Payment:
    """Razorpay Checkout's success handler result, checked against the order id we stored."""
    payment = Payment.objects.filter(gateway=Payment.Gateway.RAZORPAY, gateway_order_id=order_id, user=user).first()
    if payment is None:
        raise NotFound("No Razorpay payment of yours has this order id.")
    update = gateway_get(Payment.Gateway.RAZORPAY).checkout_verify(
        payment=payment, razorpay_payment_id=razorpay_payment_id, signature=signature
    )
    return payment_transition(
        payment_id=payment.pk,
        target=update.payment_state,
        gateway_payment_id=update.gateway_payment_id,
        payload=update.payload,
    )


@transaction.atomic
def payment_transition(*, payment_id: int, target: str, gateway_payment_id: str = "", payload: dict) -> Payment:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.payloads = [*payment.payloads, payload]
    if payment.state == target or not can_transition(payment.state, target):
        payment.save(update_fields=["payloads", "updated_at"])
        return payment
    transition = (payment.gateway, payment.state, target)
    transaction.on_commit(lambda: PAYMENT_TRANSITIONS.labels(*transition).inc())  # counted once committed
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
    delivered = purchase_get(payment.purpose).fulfil(payment=payment)
    if delivered:
        transaction.on_commit(lambda: tasks.send_payment_receipt.delay(payment.pk), robust=True)
    else:
        # Money arrived for something no longer there (a withdrawn registration, a listing
        # paid twice through two gateways): it goes back in full.
        transaction.on_commit(lambda: tasks.refund_undeliverable.delay(payment.pk), robust=True)


def _notify_payment(payment: Payment) -> None:
    from realtime.services import notification_create

    if payment.state in (Payment.State.SUCCEEDED, Payment.State.FAILED):
        succeeded = payment.state == Payment.State.SUCCEEDED
        notification_create(
            user_ids=[payment.user_id],
            kind="payment_succeeded" if succeeded else "payment_failed",
            title=f"Payment of {payment.amount_display} {'succeeded' if succeeded else 'failed'}",
            data={"payment_id": payment.pk, "purpose": payment.purpose, "ref": payment.ref, "state": payment.state},
        )


# --- reconciler -------------------------------------------------------------------------------


def payments_reconcile(*, now=None) -> dict[str, int]:
    """Ask the gateways about payments and refunds still open after a while (a lost webhook,
    a closed browser tab), and expire payments abandoned for longer. Idempotent: it only
    feeds the same state machine. Each row is a step of its own (wallet.reconcile): one the
    gateway refuses is marked and asked last next time, and never stops the others."""
    now = now or timezone.now()
    counts = {"checked": 0, "expired": 0, "unavailable": 0, "failed": 0, "events": 0, "events_failed": 0}
    stale = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    expire_before = now - timedelta(minutes=settings.PAYMENT_EXPIRE_AFTER_MINUTES)

    def settle(payment: Payment) -> None:
        payment = payment_check(payment_id=payment.pk)
        if payment.state in OPEN and payment.created_at < expire_before:
            expired = payment_transition(
                payment_id=payment.pk,
                target=Payment.State.EXPIRED,
                payload={"source": "reconciler", "expired_at": str(now)},
            )
            counts["expired"] += expired.state == Payment.State.EXPIRED

    open_payments = Payment.objects.filter(state__in=OPEN, created_at__lt=stale)
    for payment in open_payments.order_by("reconcile_failures", "created_at")[:500]:
        counts["checked"] += 1
        outcome = reconcile_step(payment, lambda payment=payment: settle(payment))
        if outcome != "ok":
            counts[outcome] += 1
    # Callbacks stored but never processed (the broker was down when they arrived).
    for event in PaymentEvent.objects.filter(
        processed_at__isnull=True, received_at__lt=now - timedelta(minutes=2)
    ).order_by("reconcile_failures", "received_at")[:500]:
        outcome = reconcile_step(event, lambda event=event: payment_event_process(event_id=event.pk))
        counts["events" if outcome == "ok" else "unavailable" if outcome == "unavailable" else "events_failed"] += 1
    counts.update(refunds_reconcile(now=now))
    return counts
