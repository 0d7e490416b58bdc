"""Social login (Google, Discord, GitHub) and the social accounts linked to /api/me.

Mounted from api/routers/auth.py (`/api/auth/oauth/...`) and api/routers/accounts.py
(`/api/me/social/...`). The protocol is in accounts/oauth.py.
"""

from django.http import HttpRequest
from ninja import Router, Status

from accounts import oauth, selectors, services
from api.auth import jwt_auth
from api.schemas.accounts import (
    OAuthCallbackIn,
    OAuthLoginOut,
    OAuthProviderOut,
    OAuthUrlOut,
    SocialAccountOut,
)
from api.schemas.common import ErrorOut
from api.throttle import throttle

router = Router(tags=["auth"])
me_router = Router(tags=["accounts"])

THROTTLED = {429: ErrorOut}

FLOW = """
**The flow.** 1) `GET /api/auth/oauth/{provider}/url` → `{url, state}`; keep `state` (e.g. in
sessionStorage) and send the browser to `url`. 2) The provider sends the browser back to the
frontend's redirect URI (`OAUTH_REDIRECT_URI`, e.g. `https://app.example/oauth/google/callback`)
with `?code=…&state=…`. 3) The frontend checks that this `state` is the one it kept — that check is
what stops a forged link logging the browser into someone else's account — and posts `{code, state}`
to the callback.

**The state** is random, bound server-side (in the cache) to the provider, to the purpose (log in,
or link to the user who asked) and to a PKCE `code_verifier` that never leaves the server (S256
`code_challenge` in the URL; all three providers support it). It lives `OAUTH_STATE_TTL` seconds
(10 min) and is used up by the first callback that presents it, whatever the outcome: an unknown,
expired or reused state → 400 `oauth_state_invalid`; one issued for another provider, purpose or
user → 400 `oauth_state_mismatch`. Start again from the URL.

**Providers.** A provider without a client id and secret on this server → 404
`oauth_provider_not_configured` (not a temporary fault, so not 503); an unknown name → 404
`oauth_provider_unknown`. `GET /api/auth/oauth/providers` lists the enabled ones. The provider
refusing the code (wrong, expired, used) → 400 `oauth_code_rejected`; the provider failing or
refusing Arena itself → 502 `oauth_provider_error`.
"""


def _doc(text: str) -> str:
    return text.strip() + "\n\n" + FLOW.strip()


@router.get("/providers", response=list[OAuthProviderOut])
def list_oauth_providers(request: HttpRequest):
    """The social login providers enabled on this server (`name` goes in the paths below)."""
    return [{"name": provider.name, "label": provider.label} for provider in oauth.providers_configured()]


@router.get(
    "/{provider}/url",
    response={200: OAuthUrlOut, 404: ErrorOut, **THROTTLED},
    description=_doc(
        """
Start a social login → `{url, state}`: the provider's authorization URL and the state to bring
back. `provider` ∈ google, discord, github. Throttled per client IP.
"""
    ),
)
def get_oauth_url(request: HttpRequest, provider: str):
    throttle(request, "oauth")
    url, state = oauth.authorization_begin(provider=provider, purpose=oauth.LOGIN)
    return {"url": url, "state": state}


@router.post(
    "/{provider}/callback",
    response={
        200: OAuthLoginOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        **THROTTLED,
        502: ErrorOut,
    },
    description=_doc(
        """
Finish a social login → `{access, refresh, created}` (the same JWT pair as `POST /api/auth/login`).

**Which account.** The Arena user this provider account is linked to. Else, when an Arena account
uses the same email: it is linked and logged in only if the provider reports the address verified
*and* the Arena account verified it too — otherwise 409 `oauth_link_required`: log in to Arena (or
reset the password by email) and link the provider from `POST /api/me/social/{provider}/url`.
Else a new account (`created: true`): username derived from the provider's handle, no password
(set one later with a password reset email), email verified only if the provider says so (if not,
a verification email goes out). A provider that shares no email → 422 `oauth_email_missing`; a
disabled account → 401 `user_inactive`. Throttled per client IP.
"""
    ),
)
def post_oauth_callback(request: HttpRequest, provider: str, payload: OAuthCallbackIn):
    """Finish a social login with the provider's `code` and the `state` from the URL step."""
    throttle(request, "oauth")
    return services.social_login(provider=provider, code=payload.code, state=payload.state)


# --- /api/me/social ----------------------------------------------------------------------------


@me_router.get("", auth=jwt_auth, response={200: list[SocialAccountOut], 401: ErrorOut})
def list_social_accounts(request: HttpRequest):
    """The provider accounts that can log in as you."""
    return selectors.social_account_list(user=request.user)


@me_router.post(
    "/{provider}/url",
    auth=jwt_auth,
    response={200: OAuthUrlOut, 401: ErrorOut, 404: ErrorOut, **THROTTLED},
    description=_doc(
        """
Start linking a provider account to yours. Same flow as the login, but the state is bound to
you: finish with `POST /api/me/social/{provider}/callback` as the same user. The same redirect
URI serves both flows; the frontend knows which one it started.
"""
    ),
)
def post_social_link_url(request: HttpRequest, provider: str):
    """Start linking a provider account to yours: `{url, state}`."""
    throttle(request, "oauth")
    url, state = oauth.authorization_begin(provider=provider, purpose=oauth.LINK, user_id=request.user.pk)
    return {"url": url, "state": state}


@me_router.post(
    "/{provider}/callback",
    auth=jwt_auth,
    response={
        201: SocialAccountOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        **THROTTLED,
        502: ErrorOut,
    },
    description=_doc(
        """
Finish linking → 201 with the linked account. The provider's email need not match yours nor be
verified: you proved both accounts yourself. 409 `social_account_taken` when that provider
account logs in as another Arena user; 409 `oauth_provider_already_linked` when you already
linked another account of this provider (one per provider; unlink it first). Linking the same
account again just refreshes it.
"""
    ),
)
def post_social_link_callback(request: HttpRequest, provider: str, payload: OAuthCallbackIn):
    """Finish linking a provider account to yours."""
    throttle(request, "oauth")
    account = services.social_account_link(user=request.user, provider=provider, code=payload.code, state=payload.state)
    return Status(201, account)


@me_router.delete("/{provider}", auth=jwt_auth, response={204: None, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def delete_social_account(request: HttpRequest, provider: str):
    """Unlink a provider account. Refused (409 `last_login_method`) while it is your only way to
    log in: no password and no other linked account — set a password with a password reset email
    first. Works for a provider this server no longer enables."""
    services.social_account_unlink(user=request.user, provider=provider)
    return Status(204, None)
