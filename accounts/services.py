"""Writes for users, sessions (JWT), social accounts, profiles and host verification."""

import re
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from ninja_jwt.exceptions import TokenError
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken

from accounts import oauth, uploads
from accounts.models import (
    SOCIAL_PLATFORMS,
    HostApplication,
    SocialAccount,
    Team,
    TeamJoinRequest,
    TeamMembership,
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


def _require_active(user: User) -> None:
    if not user.is_active:
        raise NotAuthenticated("This account is disabled.", code="user_inactive")


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


# --- teams -----------------------------------------------------------------------------


def _team_locked(team_id: int) -> Team:
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise NotFound("No such team.")
    return team


def _require_captain(team: Team, user: User) -> None:
    if team.captain_id != user.pk:
        raise PermissionDenied("Only the team captain can do this.", code="not_captain")


def _ensure_team_name_free(name: str, *, exclude_id: int | None = None) -> None:
    others = Team.objects.exclude(pk=exclude_id) if exclude_id else Team.objects.all()
    if others.filter(name__iexact=name).exists():
        raise Conflict("A team with this name already exists.", code="team_name_taken")


@transaction.atomic
def team_create(*, captain: User, name: str, tag: str, description: str = "") -> Team:
    if not captain.is_email_verified:
        raise PermissionDenied("Verify your email address before creating a team.", code="email_unverified")
    _ensure_team_name_free(name)
    team = Team(name=name, tag=tag.upper(), description=description, captain=captain)
    team.full_clean()
    team.save()
    TeamMembership.objects.create(team=team, user=captain)
    return team


@transaction.atomic
def team_update(*, team_id: int, user: User, data: dict) -> Team:
    team = _team_locked(team_id)
    _require_captain(team, user)
    if "name" in data and data["name"].lower() != team.name.lower():
        _ensure_team_name_free(data["name"], exclude_id=team.pk)
    if "captain_id" in data:
        new_captain_id = data.pop("captain_id")
        if not team.memberships.filter(user_id=new_captain_id).exists():
            raise Invalid("The new captain must already be a member of the team.", code="captain_not_member")
        team.captain_id = new_captain_id
    if "tag" in data:
        data["tag"] = data["tag"].upper()
    for field, value in data.items():
        setattr(team, field, value)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_delete(*, team_id: int, user: User) -> None:
    team = _team_locked(team_id)
    _require_captain(team, user)
    team.delete()


@transaction.atomic
def team_join_request_create(*, team_id: int, user: User, message: str = "") -> TeamJoinRequest:
    team = _team_locked(team_id)
    if team.memberships.filter(user=user).exists():
        raise Conflict("You are already a member of this team.", code="already_member")
    if team.join_requests.filter(user=user, status=TeamJoinRequest.Status.PENDING).exists():
        raise Conflict("You already asked to join this team.", code="request_pending")
    if team.memberships.count() >= settings.TEAM_MAX_MEMBERS:
        raise Conflict(f"This team is full ({settings.TEAM_MAX_MEMBERS} members).", code="team_full")
    join_request = TeamJoinRequest(team=team, user=user, message=message)
    join_request.full_clean()
    join_request.save()
    return join_request


@transaction.atomic
def team_join_request_decide(*, team_id: int, request_id: int, user: User, accept: bool) -> TeamJoinRequest:
    # The team row lock serialises accepts, so the roster limit holds under concurrency.
    team = _team_locked(team_id)
    _require_captain(team, user)
    join_request = team.join_requests.select_for_update().filter(pk=request_id).first()
    if join_request is None:
        raise NotFound("No such join request for this team.")
    if join_request.status != TeamJoinRequest.Status.PENDING:
        raise Conflict(f"This request was already {join_request.status}.", code="request_decided")
    if accept:
        if team.memberships.count() >= settings.TEAM_MAX_MEMBERS:
            raise Conflict(f"This team is full ({settings.TEAM_MAX_MEMBERS} members).", code="team_full")
        TeamMembership.objects.get_or_create(team=team, user_id=join_request.user_id)
    join_request.status = TeamJoinRequest.Status.ACCEPTED if accept else TeamJoinRequest.Status.REJECTED
    join_request.decided_by = user
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["status", "decided_by", "decided_at"])
    return join_request


@transaction.atomic
def team_member_remove(*, team_id: int, member_id: int, user: User) -> None:
    """A captain removes a member, or a member leaves. A captain hands over before leaving."""
    team = _team_locked(team_id)
    if user.pk != member_id:
        _require_captain(team, user)
    membership = team.memberships.filter(user_id=member_id).first()
    if membership is None:
        raise NotFound("This user is not a member of the team.")
    if member_id == team.captain_id:
        raise Conflict(
            "The captain cannot leave. Hand the captaincy to another member first, or delete the team.",
            code="captain_must_hand_over",
        )
    membership.delete()
    # Rostered players take part only while in their team: their open lobby sockets of the
    # team's tournaments close with 4403 after commit (competitions.access.takes_part).
    access_recheck(user_ids=[member_id])
