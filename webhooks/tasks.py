from celery import shared_task


@shared_task
def deliver_webhook(delivery_id: int) -> None:
    from webhooks.services import delivery_attempt

    delivery_attempt(delivery_id=delivery_id)


@shared_task
def retry_due_webhooks() -> None:
    from webhooks.services import deliveries_retry_due

    deliveries_retry_due()
