"""Writes for users: registration and email verification, password reset, profiles and host verification."""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import uploads
from accounts.models import (
    SOCIAL_PLATFORMS,
    HostApplication,
    User,
)
from arena.exceptions import Conflict, Invalid, NotAuthenticated, NotFound, PermissionDenied
from realtime.publish import access_recheck

VERIFY_EMAIL_SALT = "accounts.verify-email"


# --- registration and email verification ---------------------------------------------


def _normalize_email(email: str) -> str:
    return email.strip().lower()


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


def _ensure_unique(*, email: str | None = None, username: str | None = None, exclude_id: int | None = None) -> None:
    others = User.objects.exclude(pk=exclude_id) if exclude_id else User.objects.all()
    if email and others.filter(email__iexact=email).exists():
        raise Conflict("An account with this email already exists.", code="email_taken")
    if username and others.filter(username__iexact=username).exists():
        raise Conflict("This username is taken.", code="username_taken")


@transaction.atomic
def user_register(*, email: str, password: str, username: str, role: str) -> User:
    if role not in (User.Role.PLAYER, User.Role.HOST):
        raise Invalid("Role must be 'player' or 'host'.", code="invalid_role")
    email = _normalize_email(email)
    _ensure_unique(email=email, username=username)
    user = User(email=email, username=username, role=role)
    user.full_clean(exclude=["password"])
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    transaction.on_commit(lambda: _send_verification_email(user.pk))
    return user


def _send_verification_email(user_id: int) -> None:
    from accounts.tasks import send_verification_email

    send_verification_email.delay(user_id)


def email_verification_token_make(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_EMAIL_SALT)


@transaction.atomic
def user_verify_email(*, token: str) -> User:
    try:
        payload = signing.loads(token, salt=VERIFY_EMAIL_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise Invalid("This verification link has expired; ask for a new one.", code="token_expired") from None
    except signing.BadSignature:
        raise Invalid("This verification link is not valid.", code="token_invalid") from None
    user = User.objects.select_for_update().filter(pk=payload.get("u")).first()
    # A token minted for an old address must not verify a new one.
    if user is None or user.email != payload.get("e"):
        raise Invalid("This verification link is not valid.", code="token_invalid")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


def verification_email_resend(*, user: User) -> None:
    if user.is_email_verified:
        raise Conflict("Your email address is already verified.", code="already_verified")
    _send_verification_email(user.pk)


def _require_active(user: User) -> None:
    if not user.is_active:
        raise NotAuthenticated("This account is disabled.", code="user_inactive")


# --- password reset --------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Always does the same thing the caller can see: queue one task.

    The task looks the address up, so the response neither says nor times whether
    an account exists.
    """
    from accounts.tasks import send_password_reset_email

    normalized = _normalize_email(email)
    transaction.on_commit(lambda: send_password_reset_email.delay(normalized))


def password_reset_token_make(*, user: User) -> str:
    return f"{urlsafe_base64_encode(force_bytes(user.pk))}.{default_token_generator.make_token(user)}"


@transaction.atomic
def password_reset_confirm(*, token: str, password: str) -> User:
    invalid = Invalid("This password reset link is invalid or has expired.", code="token_invalid")
    uid_part, _, token_part = token.partition(".")
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid_part)))
    except (ValueError, TypeError, OverflowError):
        raise invalid from None
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token_part):
        raise invalid
    _validate_password(password, user)
    user.set_password(password)
    if user.email_verified_at is None:
        # Until now nobody had proved this mailbox: whoever created the account through a
        # provider that had not verified the address, or registered it and linked a provider
        # account of their own, must not keep a way in. Only a provider that verified this very
        # address proved it (and would already have verified it here); a verified address of
        # another mailbox proves nothing about this one.
        user.social_accounts.exclude(email_verified=True, email__iexact=user.email).delete()
    # The reset link proved control of the mailbox.
    user.email_verified_at = user.email_verified_at or timezone.now()
    user.save(update_fields=["password", "email_verified_at"])
    # Sessions opened before the reset, by whoever had the old password or a social login that
    # was just dropped, end with it: their refresh tokens are blacklisted (access tokens expire
    # on their own within ACCESS_TOKEN_LIFETIME).
    BlacklistedToken.objects.bulk_create(
        [
            BlacklistedToken(token=token)
            for token in OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now())
        ],
        ignore_conflicts=True,
    )
    access_recheck(user_ids=[user.pk])  # and its open sockets close with 4401, on every process
    return user


@transaction.atomic
def user_deactivate(*, user_id: int) -> User:
    """A ban: the account can no longer log in or refresh its session, and its open sockets
    close with 4401 after commit, on every process. Deactivating twice changes nothing."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    access_recheck(user_ids=[user.pk])
    return user


# --- profile ---------------------------------------------------------------------------


def _clean_social_links(links: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(links) - set(SOCIAL_PLATFORMS))
    if unknown:
        raise Invalid(
            f"Unknown social platform(s): {', '.join(unknown)}. Use: {', '.join(SOCIAL_PLATFORMS)}.",
            code="invalid_social_links",
        )
    cleaned = {platform: url for platform, url in links.items() if url}
    validate_url = URLValidator(schemes=["http", "https"])
    for platform, url in cleaned.items():
        try:
            validate_url(url)
        except ValidationError:
            raise ValidationError({"social_links": [f"{platform}: enter a valid http(s) URL."]}) from None
    return cleaned


@transaction.atomic
def user_profile_update(*, user: User, data: dict) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if "username" in data and data["username"].lower() != user.username.lower():
        _ensure_unique(username=data["username"], exclude_id=user.pk)
    if "social_links" in data:
        data["social_links"] = _clean_social_links(data["social_links"])
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_avatar_set(*, user: User, image: UploadedFile) -> User:
    content = uploads.avatar_normalize(image)
    old = user.avatar.name if user.avatar else None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.avatar.save(f"{user.pk}-{content.name}", content, save=False)
        user.save(update_fields=["avatar"])
    if old:
        user.avatar.storage.delete(old)
    return user


# --- host verification -----------------------------------------------------------------


def _host_application_allowed(user: User) -> None:
    if not user.is_email_verified:
        raise PermissionDenied("Verify your email address before applying to host.", code="email_unverified")
    if user.host_status == User.HostStatus.APPROVED:
        raise Conflict("You are already a verified host.", code="already_host")
    if user.host_status == User.HostStatus.PENDING:
        raise Conflict("Your host application is already under review.", code="application_pending")


def host_application_submit(*, user: User, message: str = "", document: UploadedFile | None = None) -> HostApplication:
    """Everything is checked before anything is stored: who may apply, the message, then the
    document (parsed and re-written by accounts.uploads). The document is stored last, and
    deleted again if anything after that fails, so a refused application leaves no file behind."""
    _host_application_allowed(user)
    application = HostApplication(user=user, message=message)
    application.full_clean(exclude=["identity_document"])
    content = uploads.document_normalize(document) if document is not None else None
    stored = None
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=user.pk)
            _host_application_allowed(user)  # again, under the lock: a concurrent application won
            application.user = user
            if content is not None:
                application.identity_document.save(content.name, content, save=False)
                stored = application.identity_document.name
            application.full_clean()
            application.save()
            user.host_status = User.HostStatus.PENDING
            user.save(update_fields=["host_status"])
    except BaseException:
        if stored:
            application.identity_document.storage.delete(stored)
        raise
    return application


@transaction.atomic
def host_application_decide(*, user_id: int, approve: bool, reviewer: User, note: str = "") -> HostApplication:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    application = HostApplication.objects.filter(user=user, status=HostApplication.Status.PENDING).first()
    if application is None:
        raise Conflict("This user has no pending host application.", code="no_pending_application")
    application.status = HostApplication.Status.APPROVED if approve else HostApplication.Status.REJECTED
    application.reviewed_by = reviewer
    application.reviewed_at = timezone.now()
    application.review_note = note
    application.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    if approve:
        user.host_status = User.HostStatus.APPROVED
        if user.role == User.Role.PLAYER:
            user.role = User.Role.HOST
    else:
        user.host_status = User.HostStatus.REJECTED
    user.save(update_fields=["host_status", "role"])
    return application
