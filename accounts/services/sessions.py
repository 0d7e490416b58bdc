"""Writes for sessions (JWT) and social login (Google, Discord, GitHub; the OAuth protocol is in
accounts/oauth.py)."""

import re
import secrets
import unicodedata

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from ninja_jwt.exceptions import TokenError
from ninja_jwt.tokens import RefreshToken

from accounts import oauth
from accounts.models import (
    SocialAccount,
    User,
)
from accounts.services.users import _normalize_email, _require_active, _send_verification_email
from arena.exceptions import Conflict, Invalid, NotAuthenticated, NotFound, PermissionDenied

# --- sessions --------------------------------------------------------------------------


def session_login(*, email: str, password: str) -> dict[str, str]:
    user = authenticate(email=_normalize_email(email), password=password)
    if user is None:
        raise NotAuthenticated("Email or password is incorrect.", code="invalid_credentials")
    return _session_issue(user)


def _session_issue(user: User) -> dict[str, str]:
    """A fresh JWT pair for a user who just proved who they are (password or social login)."""
    update_last_login(None, user)
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def session_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate: the presented refresh token is blacklisted and a new pair is issued."""
    try:
        token = RefreshToken(refresh)
        user = User.objects.filter(pk=token["user_id"], is_active=True).first()
        if user is None:
            raise NotAuthenticated("This account is no longer active.", code="user_inactive")
        _, first_use = token.blacklist()
    except TokenError as exc:
        raise NotAuthenticated(f"Refresh token rejected: {exc}.", code="token_not_valid") from None
    if not first_use:
        # Two refreshes raced with the same token: only the one that blacklisted it wins.
        raise NotAuthenticated("Refresh token rejected: Token is blacklisted.", code="token_not_valid")
    new = RefreshToken.for_user(user)
    return {"access": str(new.access_token), "refresh": str(new)}


def session_logout(*, user: User, refresh: str) -> None:
    try:
        token = RefreshToken(refresh)
    except TokenError as exc:
        raise NotAuthenticated(f"Refresh token rejected: {exc}.", code="token_not_valid") from None
    if str(token.get("user_id")) != str(user.pk):
        raise PermissionDenied("This refresh token belongs to another account.", code="token_not_yours")
    token.blacklist()


# --- social login (Google, Discord, GitHub; the OAuth protocol is in accounts/oauth.py) ---


def social_login(*, provider: str, code: str, state: str) -> dict:
    """Finish a social login → {access, refresh, created}.

    Which user: the one this provider account is linked to; else the Arena account with
    the same email, linked now, only when the provider and Arena both verified that
    address; else a new account. The provider is called outside any transaction.
    """
    oauth.provider_get(provider)
    pending = oauth.state_consume(state=state, provider=provider, purpose=oauth.LOGIN)
    profile = oauth.profile_fetch(pending=pending, code=code)
    user, created = _social_login_resolve(provider=provider, profile=profile)
    return {**_session_issue(user), "created": created}


def social_account_link(*, user: User, provider: str, code: str, state: str) -> SocialAccount:
    """Finish linking a provider account to the logged-in user (the state names that user)."""
    oauth.provider_get(provider)
    pending = oauth.state_consume(state=state, provider=provider, purpose=oauth.LINK, user_id=user.pk)
    profile = oauth.profile_fetch(pending=pending, code=code)
    return _social_account_attach(user_id=user.pk, provider=provider, profile=profile)


@transaction.atomic
def social_account_unlink(*, user: User, provider: str) -> None:
    """Refused while it is the user's only way to log in (no usable password, no other link)."""
    label = _provider_label(provider)
    user = User.objects.select_for_update().get(pk=user.pk)
    account = user.social_accounts.filter(provider=provider).first()
    if account is None:
        raise NotFound(f"No {label} account is linked to yours.", code="social_account_not_linked")
    if not user.has_usable_password() and not user.social_accounts.exclude(pk=account.pk).exists():
        raise Conflict(
            f"{label} is your only way to log in. Set a password first (ask for a password reset "
            "email) or link another account.",
            code="last_login_method",
        )
    account.delete()


def _provider_label(provider: str) -> str:
    found = oauth.PROVIDERS.get(provider)
    if found is None:
        raise NotFound(f"No login provider {provider!r}.", code="oauth_provider_unknown")
    return found.label


def _provider_email(profile: oauth.Profile) -> str:
    """The provider's email, normalized; "" when it gave none or one Arena cannot store."""
    email = _normalize_email(profile.email)
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email if len(email) <= 254 else ""


@transaction.atomic
def _social_login_resolve(*, provider: str, profile: oauth.Profile) -> tuple[User, bool]:
    label = _provider_label(provider)
    account = SocialAccount.objects.select_for_update().filter(provider=provider, uid=profile.uid).first()
    if account is not None:
        user = User.objects.select_for_update().get(pk=account.user_id)
        _require_active(user)
        _social_account_refresh(account=account, user=user, profile=profile, login=True)
        return user, False

    email = _provider_email(profile)
    if not email:
        raise Invalid(
            f"{label} did not share an email address, and every Arena account needs one. Add one to your "
            f"{label} account, or register with email and link {label} from your profile.",
            code="oauth_email_missing",
        )
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is None:
        return _social_user_create(email=email, provider=provider, profile=profile), True

    # Linking by email needs both sides to have proved the mailbox: the provider (else anyone
    # could claim the address there) and Arena (else whoever registered it first without
    # owning it would keep a password into the account the owner then uses).
    if not profile.email_verified:
        raise Conflict(
            f"An Arena account already uses {email}, but {label} has not verified that address, so it "
            f"cannot be linked automatically. Log in to Arena and link {label} from your profile.",
            code="oauth_link_required",
        )
    if not existing.is_email_verified:
        raise Conflict(
            f"An Arena account already uses {email}, but its address is not verified on Arena, so it "
            f"cannot be linked automatically. Log in (or reset your password by email) and link {label} "
            "from your profile.",
            code="oauth_link_required",
        )
    _require_active(existing)
    if existing.social_accounts.filter(provider=provider).exists():
        raise Conflict(
            f"The Arena account using {email} is linked to another {label} account. Log in with that one.",
            code="oauth_provider_already_linked",
        )
    _social_account_create(user=existing, provider=provider, profile=profile, login=True)
    return existing, False


@transaction.atomic
def _social_account_attach(*, user_id: int, provider: str, profile: oauth.Profile) -> SocialAccount:
    label = _provider_label(provider)
    user = User.objects.select_for_update().get(pk=user_id)
    account = SocialAccount.objects.select_for_update().filter(provider=provider, uid=profile.uid).first()
    if account is not None:
        if account.user_id != user.pk:
            raise Conflict(
                f"This {label} account is already linked to another Arena account.", code="social_account_taken"
            )
        _social_account_refresh(account=account, user=user, profile=profile, login=False)
        return account
    if user.social_accounts.filter(provider=provider).exists():
        raise Conflict(
            f"You already linked a {label} account. Unlink it first to link another.",
            code="oauth_provider_already_linked",
        )
    return _social_account_create(user=user, provider=provider, profile=profile, login=False)


def _social_account_fill(account: SocialAccount, profile: oauth.Profile) -> None:
    account.email = _provider_email(profile)
    account.email_verified = bool(account.email) and profile.email_verified
    account.handle = profile.handle[:100]
    account.data = profile.data


def _social_account_create(*, user: User, provider: str, profile: oauth.Profile, login: bool) -> SocialAccount:
    account = SocialAccount(user=user, provider=provider, uid=profile.uid)
    _social_account_fill(account, profile)
    account.last_login_at = timezone.now() if login else None
    account.full_clean()
    account.save()
    _email_verify_by_provider(user=user, account=account)
    return account


def _social_account_refresh(*, account: SocialAccount, user: User, profile: oauth.Profile, login: bool) -> None:
    _social_account_fill(account, profile)
    if login:
        account.last_login_at = timezone.now()
    account.full_clean()
    account.save()
    _email_verify_by_provider(user=user, account=account)


def _email_verify_by_provider(*, user: User, account: SocialAccount) -> None:
    """A provider that verified the user's own address proves the mailbox, as our link would."""
    if account.email_verified and user.email_verified_at is None and account.email == user.email.lower():
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])


def _social_user_create(*, email: str, provider: str, profile: oauth.Profile) -> User:
    user = User(
        email=email,
        username=_username_available(profile.handle or email.partition("@")[0]),
        display_name=profile.display_name.strip()[:50],
        email_verified_at=timezone.now() if profile.email_verified else None,
    )
    # Logs in through the provider; a password can be set later with a reset email.
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _social_account_create(user=user, provider=provider, profile=profile, login=True)
    if user.email_verified_at is None:
        transaction.on_commit(lambda: _send_verification_email(user.pk))
    return user


def _username_available(seed: str) -> str:
    """A free username (3–30 letters, digits, underscores) looking like the provider handle."""
    ascii_seed = unicodedata.normalize("NFKD", seed).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_seed).strip("_")[:30]
    if len(base) < 3:
        base = f"player_{base}".rstrip("_")
    candidates = [base] + [f"{base[: 30 - len(str(n))]}{n}" for n in range(2, 10)]
    for candidate in candidates:
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    while True:
        candidate = f"{base[:23]}_{secrets.token_hex(3)}"
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
