from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_verification_email(user_id: int) -> None:
    from accounts.emails import verification_email_deliver

    verification_email_deliver(user_id=user_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_password_reset_email(email: str) -> None:
    from accounts.emails import password_reset_email_deliver

    password_reset_email_deliver(email=email)
