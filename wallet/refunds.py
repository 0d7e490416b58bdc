"""Refunds: full or partial, never more than was paid, each exactly once.

A refund is recorded `pending` under the payment's row lock — its amount is reserved then,
so concurrent requests can never refund more than was paid — and submitted to the gateway
after commit with its own idempotency key, so a retried submission cannot pay out twice.
The gateway's answer (at once, by webhook, or through the reconciler) makes it `processed`
or `failed`; only a processed refund counts in `Payment.amount_refunded`.

Who besides an admin may refund, and what a refund undoes, is the purchase's own rule
(wallet.purchases, by payment purpose).

XP packs: a refund takes back the XP the refunded share bought (rounded up, so refunding a
pack in parts takes back exactly the whole pack). If the buyer has already spent that XP
the refund is refused with 409 `xp_already_spent` and nothing changes: an admin decides.
If the gateway then fails the refund, the XP is given back.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from wallet import access, tasks
from wallet.gateways import GatewayUpdate, gateway_get
from wallet.models import LedgerEntry, Payment, Refund
from wallet.purchases import purchase_get
from wallet.reconcile import reconcile_step
from wallet.services import xp_credit

REFUNDABLE = (Payment.State.SUCCEEDED, Payment.State.PARTIALLY_REFUNDED)


def _reserved(payment: Payment) -> int:
    """Paise already promised back: processed refunds and those still on their way."""
    return payment.refunds.exclude(state=Refund.State.FAILED).aggregate(total=Sum("amount"))["total"] or 0


def payment_refund(
    *, payment_id: int, actor, idempotency_key: str, amount: int | None = None, reason: str = ""
) -> Refund:
    """Refund `amount` paise (default: everything not yet refunded). The same key returns the
    same refund, however often it is retried."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        allowed = payment is not None and access.may_refund(actor=actor, payment=payment)
        if not allowed:
            # The payer may see the payment, so they learn why; to anyone else it does not exist.
            if payment is not None and payment.user_id == actor.pk:
                raise PermissionDenied("Refunds are issued by an admin or the tournament's host.", code="not_allowed")
            raise NotFound("No such payment.")
        key = f"{payment.pk}:{idempotency_key}"
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if amount is not None and existing.amount != amount:
                raise Conflict("This Idempotency-Key was used for a different refund.", code="idempotency_mismatch")
            return existing
        if payment.state not in REFUNDABLE:
            raise Conflict(
                f"This payment is {payment.state}; only a succeeded payment can be refunded.", code="not_refundable"
            )
        reserved = _reserved(payment)
        refundable = payment.amount - reserved
        amount = refundable if amount is None else amount
        if refundable <= 0:
            raise Conflict("This payment has already been refunded in full.", code="already_refunded")
        if not 0 < amount <= refundable:
            raise Invalid(
                f"At most {refundable} paise of this payment can still be refunded.",
                code="refund_too_large",
                errors=[
                    {"loc": ["body", "amount"], "msg": f"must be between 1 and {refundable}", "type": "value_error"}
                ],
            )
        refund = Refund.objects.create(
            payment=payment, amount=amount, reason=reason, idempotency_key=key, requested_by=actor
        )
        purchase_get(payment.purpose).refund_reserved(payment=payment, refund=refund, reserved=reserved)
        transaction.on_commit(lambda: _submit_later(refund.pk), robust=True)
    return refund


def _submit_later(refund_id: int) -> None:
    tasks.submit_refund.delay(refund_id)


def refund_submit(*, refund_id: int) -> None:
    """Send a pending refund to its gateway (again, if a retry): the gateway's idempotency key
    is the refund's own id, so a resend never pays twice. Raises GatewayUnavailable to retry."""
    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None or refund.state != Refund.State.PENDING:
        return
    update = gateway_get(refund.payment.gateway).refund_status(refund.payment, refund)
    refund_apply(payment_id=refund.payment_id, update=update, refund_id=refund.pk)


@transaction.atomic
def refund_apply(*, payment_id: int, update: GatewayUpdate, refund_id: int | None = None) -> None:
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    refunds = Refund.objects.select_for_update().filter(payment=payment)
    refund = refunds.filter(pk=refund_id or update.refund_id).first() if (refund_id or update.refund_id) else None
    if refund is None and update.gateway_refund_id:
        refund = refunds.filter(gateway_refund_id=update.gateway_refund_id).first()
    if refund is None:
        return  # a refund made outside Arena (e.g. on the dashboard): reconciled by hand
    refund.payloads = [*refund.payloads, update.payload]
    if update.gateway_refund_id:
        refund.gateway_refund_id = update.gateway_refund_id
    if refund.state != Refund.State.PENDING or update.refund_state in (None, Refund.State.PENDING):
        refund.save(update_fields=["payloads", "gateway_refund_id", "updated_at"])
        return
    refund.state = update.refund_state
    refund.processed_at = timezone.now()
    if refund.state == Refund.State.PROCESSED:
        payment.amount_refunded += refund.amount
        target = (
            Payment.State.REFUNDED if payment.amount_refunded >= payment.amount else Payment.State.PARTIALLY_REFUNDED
        )
        payment.state = target
        payment.save(update_fields=["amount_refunded", "state", "updated_at"])
        transaction.on_commit(lambda: tasks.send_refund_email.delay(refund.pk), robust=True)
    else:
        refund.failure_reason = str(update.payload.get("error_description") or update.payload.get("errorCode") or "")[
            :300
        ]
        if refund.xp_debited:
            xp_credit(
                user_id=payment.user_id, amount=refund.xp_debited, source_kind=LedgerEntry.Source.REFUND,
                source_id=payment.pk, idempotency_key=f"refund-failed:{refund.pk}", reason="Refund failed: XP returned",
            )  # fmt: skip
    refund.save()
    from realtime.services import notification_create

    notification_create(
        user_ids=[payment.user_id],
        kind=f"refund_{refund.state}",
        title=f"Refund of {refund.amount_display} {refund.state}",
        data={"payment_id": payment.pk, "refund_id": refund.pk, "state": refund.state},
    )


def purchase_refund(*, purpose: str, ref: str, reason: str) -> Refund | None:
    """What was bought is gone (a withdrawn or cancelled registration): its payment goes back, once."""
    payment = Payment.objects.filter(purpose=purpose, ref=ref, state__in=REFUNDABLE).first()
    if payment is None:
        return None
    return payment_refund_undeliverable(payment_id=payment.pk, reason=reason)


def payment_refund_undeliverable(*, payment_id: int, reason: str = "Nothing left to deliver") -> Refund | None:
    """Refund whatever is left of a payment, with a key fixed per payment so it happens once."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.state not in REFUNDABLE or _reserved(payment) >= payment.amount:
        return None
    return payment_refund(payment_id=payment_id, actor=None, idempotency_key="auto", reason=reason)


def refunds_reconcile(*, now=None) -> dict[str, int]:
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    counts = {"refunds_checked": 0, "refunds_unavailable": 0, "refunds_failed": 0}
    pending = Refund.objects.filter(state=Refund.State.PENDING, updated_at__lt=stale)
    for refund in pending.order_by("reconcile_failures", "created_at")[:500]:
        counts["refunds_checked"] += 1
        outcome = reconcile_step(refund, lambda refund=refund: refund_submit(refund_id=refund.pk))
        if outcome != "ok":
            counts[f"refunds_{outcome}"] += 1
    return counts
