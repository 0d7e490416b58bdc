from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def process_payment_event(event_id: int) -> None:
    from wallet.payments import payment_event_process

    payment_event_process(event_id=event_id)
