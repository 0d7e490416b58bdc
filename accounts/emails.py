"""Transactional emails, rendered from templates/email/<name>.txt and .html.

The deliver functions run inside Celery tasks: they look the user up, mint the
token and send, so a request never waits on SMTP.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from accounts.models import User
from accounts.services import email_verification_token_make, password_reset_token_make


def email_send(*, to: str, template: str, subject: str, context: dict) -> None:
    context = {"site_name": "Arena", "frontend_url": settings.FRONTEND_URL, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"email/{template}.html", context), "text/html")
    message.send()


def frontend_link(path: str, **query: str) -> str:
    return f"{settings.FRONTEND_URL}{path}?{urlencode(query)}"


def verification_email_deliver(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id, email_verified_at__isnull=True, is_active=True).first()
    if user is None:
        return
    email_send(
        to=user.email,
        template="verify_email",
        subject="Confirm your Arena email address",
        context={
            "user": user,
            "link": frontend_link("/verify-email", token=email_verification_token_make(user=user)),
        },
    )


def password_reset_email_deliver(*, email: str) -> None:
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    email_send(
        to=user.email,
        template="password_reset",
        subject="Reset your Arena password",
        context={
            "user": user,
            "link": frontend_link("/reset-password", token=password_reset_token_make(user=user)),
        },
    )
