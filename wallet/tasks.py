"""Payment work off the request path. Every task is idempotent (acks_late and
reject_on_worker_lost are set globally, so a task may run again after a crash)."""

from celery import shared_task

from wallet.gateways import GatewayUnavailable

# A gateway that is down is retried with backoff; our own bugs are not retried blindly.
RETRY = {"autoretry_for": (GatewayUnavailable, OSError), "retry_backoff": True, "max_retries": 8}


@shared_task(**RETRY)
def process_payment_event(event_id: int) -> None:
    from wallet.payments import payment_event_process

    payment_event_process(event_id=event_id)


@shared_task(**RETRY)
def check_payment(payment_id: int) -> None:
    from wallet.payments import payment_check

    payment_check(payment_id=payment_id)


@shared_task(**RETRY)
def submit_refund(refund_id: int) -> None:
    from wallet.refunds import refund_submit

    refund_submit(refund_id=refund_id)


@shared_task(**RETRY)
def refund_undeliverable(payment_id: int) -> None:
    from wallet.refunds import payment_refund_undeliverable

    payment_refund_undeliverable(payment_id=payment_id)


@shared_task
def reconcile_payments() -> dict:
    from wallet.payments import payments_reconcile

    return payments_reconcile()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_payment_receipt(payment_id: int) -> None:
    from wallet.emails import receipt_deliver

    receipt_deliver(payment_id=payment_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_refund_email(refund_id: int) -> None:
    from wallet.emails import refund_deliver

    refund_deliver(refund_id=refund_id)


@shared_task
def purge_idempotency_keys() -> int:
    from wallet.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
