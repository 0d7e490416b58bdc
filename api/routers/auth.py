from django.http import HttpRequest
from ninja import Router, Status

from accounts import services
from api.auth import jwt_auth
from api.routers import oauth
from api.schemas.accounts import (
    EmailIn,
    LoginIn,
    MessageOut,
    PasswordResetConfirmIn,
    RefreshIn,
    RegisterIn,
    TokenIn,
    TokenPairOut,
    UserOut,
)
from api.schemas.common import ErrorOut
from api.throttle import throttle

router = Router(tags=["auth"])

THROTTLED = {429: ErrorOut}

# Social login: /api/auth/oauth/providers, /{provider}/url, /{provider}/callback.
router.add_router("/oauth", oauth.router)


@router.post("/register", response={201: UserOut, 409: ErrorOut, 422: ErrorOut, **THROTTLED})
def register(request: HttpRequest, payload: RegisterIn):
    """Create an account and email a verification link. Unverified accounts can log in
    but cannot host, create teams or pay."""
    throttle(request, "register", account=payload.email)
    return Status(201, services.user_register(**payload.dict()))


@router.post("/login", response={200: TokenPairOut, 401: ErrorOut, **THROTTLED})
def login(request: HttpRequest, payload: LoginIn):
    """Exchange email and password for a JWT pair (access 15 min, refresh 7 days).
    Throttled per client IP and per account."""
    throttle(request, "login", account=payload.email)
    return services.session_login(email=payload.email, password=payload.password)


@router.post("/token/refresh", response={200: TokenPairOut, 401: ErrorOut})
def refresh_token(request: HttpRequest, payload: RefreshIn):
    """Rotate a refresh token: returns a new pair; the presented refresh token stops working."""
    return services.session_refresh(refresh=payload.refresh)


@router.post("/logout", auth=jwt_auth, response={204: None, 401: ErrorOut, 403: ErrorOut})
def logout(request: HttpRequest, payload: RefreshIn):
    """Blacklist the refresh token. Access tokens already issued expire on their own."""
    services.session_logout(user=request.user, refresh=payload.refresh)
    return Status(204, None)


@router.post("/verify-email", response={200: MessageOut, 422: ErrorOut, **THROTTLED})
def verify_email(request: HttpRequest, payload: TokenIn):
    throttle(request, "verify_email")
    services.user_verify_email(token=payload.token)
    return {"detail": "Your email address is verified."}


@router.post("/verify-email/resend", auth=jwt_auth, response={202: MessageOut, 409: ErrorOut, **THROTTLED})
def resend_verification_email(request: HttpRequest):
    throttle(request, "verify_email", account=request.user.email)
    services.verification_email_resend(user=request.user)
    return Status(202, {"detail": "A new verification link is on its way."})


@router.post("/password-reset", response={202: MessageOut, **THROTTLED})
def request_password_reset(request: HttpRequest, payload: EmailIn):
    """Always 202, whether or not an account uses this address."""
    throttle(request, "password_reset", account=payload.email)
    services.password_reset_request(email=payload.email)
    return Status(202, {"detail": "If an account uses this address, a reset link is on its way."})


@router.post("/password-reset/confirm", response={200: MessageOut, 422: ErrorOut, **THROTTLED})
def confirm_password_reset(request: HttpRequest, payload: PasswordResetConfirmIn):
    """Set a new password with the emailed token. The link proves the mailbox: on an account
    whose email was not verified yet, it becomes verified, and every linked social login whose
    provider had not verified this same address is unlinked (whoever set the account up
    without owning the address keeps no way in)."""
    throttle(request, "password_reset")
    # Earlier sessions end with the reset, open sockets too (closed with 4401).
    services.password_reset_confirm(token=payload.token, password=payload.password)
    return {"detail": "Your password has been changed. Log in with the new one."}
