"""Payment receipts and refund confirmations. Each is claimed on its row before sending, so a
task that runs twice sends once; a failed send releases the claim for the retry."""

from django.db.models import Model
from django.utils import timezone

from accounts.emails import email_send
from wallet.models import Payment, Refund


def _send_once(model: type[Model], pk: int, field: str, recipient: str, send) -> None:
    claimed = model.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: timezone.now()})
    if not claimed:
        return
    try:
        send(model.objects.select_related(recipient).get(pk=pk))
    except Exception:
        model.objects.filter(pk=pk).update(**{field: None})
        raise


def receipt_deliver(*, payment_id: int) -> None:
    def send(payment: Payment) -> None:
        email_send(
            to=payment.user.email,
            template="payment_receipt",
            subject=f"Your Arena receipt: {payment.amount_display}",
            context={"user": payment.user, "payment": payment},
        )

    _send_once(Payment, payment_id, "receipt_sent_at", "user", send)


def refund_deliver(*, refund_id: int) -> None:
    def send(refund: Refund) -> None:
        email_send(
            to=refund.payment.user.email,
            template="refund_processed",
            subject=f"Refund of {refund.amount_display} on its way",
            context={"user": refund.payment.user, "refund": refund, "payment": refund.payment},
        )

    _send_once(Refund, refund_id, "email_sent_at", "payment__user", send)
