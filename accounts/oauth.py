"""Social login over OAuth 2 with authlib's httpx client: Google, Discord and GitHub.

The protocol half of social login; accounts/services/sessions.py decides which Arena user a
profile logs in as. The API is stateless (JWT, no session cookie), so the OAuth
`state` is bound server-side, in the cache (Redis with REDIS_URL):

1. `authorization_begin` draws a random `state` and a PKCE `code_verifier` and stores
   state → {provider, purpose, code_verifier, redirect_uri, user_id} for
   OAUTH_STATE_TTL seconds. It returns the provider's authorization URL (carrying the
   S256 `code_challenge`) and the state. The verifier never leaves the server.
2. The provider sends the browser to the frontend's redirect URI with `?code&state`.
   The frontend checks that `state` is the one it was handed in step 1 (that check is
   what stops a forged callback logging the browser into someone else's account) and
   posts both to the API.
3. `state_consume` takes the state out of the cache once. Unknown, expired or already
   used, or started for another provider, purpose or user → OAuthStateInvalid (400).
4. `profile_fetch` exchanges the code with the stored verifier and reads the profile.

PKCE (S256) is sent to all three providers: Google and Discord have long supported it
(Discord insists on a verifier of 43+ characters), GitHub since July 2025. All three are
confidential web clients, so the client secret is sent as well.
"""

import hashlib
import logging
import secrets
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from django.conf import settings
from django.core.cache import cache

from arena.exceptions import ApplicationError, NotFound

with warnings.catch_warnings():
    # authlib prefers the `httpx2` distribution and warns when it falls back to httpx,
    # the HTTP client the rest of Arena (and respx in the tests) uses.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

logger = logging.getLogger(__name__)

LOGIN = "login"
LINK = "link"
# Discord rejects verifiers shorter than RFC 7636's 43 characters.
CODE_VERIFIER_LENGTH = 64
# Provider error codes that mean "this code is wrong, expired or used", the caller's fault;
# anything else (bad client credentials, redirect URI mismatch) is ours and answers 502.
CODE_REJECTED_ERRORS = {"invalid_grant", "bad_verification_code"}


class OAuthStateInvalid(ApplicationError):
    status_code = 400
    default_code = "oauth_state_invalid"


class OAuthCodeRejected(ApplicationError):
    status_code = 400
    default_code = "oauth_code_rejected"


class OAuthProviderError(ApplicationError):
    status_code = 502
    default_code = "oauth_provider_error"


@dataclass(frozen=True)
class Profile:
    """What Arena needs from a provider's profile, whatever its shape."""

    uid: str
    email: str  # "" when the provider shared none
    email_verified: bool
    handle: str  # the name the account goes by there; seeds an Arena username
    display_name: str
    data: dict  # the provider's profile response, as returned


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    authorize_url: str
    exchange_url: str  # the token endpoint
    scope: str
    client_auth_method: str  # how the client secret goes to the token endpoint
    profile: Callable[[OAuth2Client], Profile]
    authorize_params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PendingAuthorization:
    provider: str
    purpose: str
    code_verifier: str
    redirect_uri: str
    user_id: int | None = None


# --- profile readers: one per provider, over the authorized client -------------------------


def _get_json(client: OAuth2Client, url: str, **kwargs) -> dict | list:
    response = client.get(url, **kwargs)
    if response.status_code != 200:
        raise OAuthProviderError(f"The provider answered {response.status_code} for the profile.")
    return response.json()


def _text(value) -> str:
    """A profile field that should be a string; anything else counts as absent."""
    return value if isinstance(value, str) else ""


def _uid(value) -> str:
    """The provider's account id: a non-empty string or number, else the profile is unusable
    (str(None) would make every such profile the same account "None")."""
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise OAuthProviderError("The provider's profile has no account id.")
    return str(value)


def _google_profile(client: OAuth2Client) -> Profile:
    data = _get_json(client, "https://openidconnect.googleapis.com/v1/userinfo")
    email = _text(data.get("email"))
    return Profile(
        uid=_uid(data.get("sub")),
        email=email,
        # OpenID Connect says boolean; some Google endpoints have sent the string "true".
        email_verified=data.get("email_verified") in (True, "true"),
        handle=email.partition("@")[0].lower() or _text(data.get("given_name")),
        display_name=_text(data.get("name")),
        data=data,
    )


def _discord_profile(client: OAuth2Client) -> Profile:
    data = _get_json(client, "https://discord.com/api/v10/users/@me")
    return Profile(
        uid=_uid(data.get("id")),
        # `email` comes with the email scope; it is null for accounts without one.
        email=_text(data.get("email")),
        email_verified=data.get("verified") is True,
        handle=_text(data.get("username")),
        display_name=_text(data.get("global_name")) or _text(data.get("username")),
        data=data,
    )


GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def _github_profile(client: OAuth2Client) -> Profile:
    data = _get_json(client, "https://api.github.com/user", headers=GITHUB_HEADERS)
    # /user shows only the public email, unverified; /user/emails (scope user:email) says
    # which address is primary and whether GitHub verified it.
    email, verified = _text(data.get("email")), False
    response = client.get("https://api.github.com/user/emails", headers=GITHUB_HEADERS)
    if response.status_code == 200:
        primary = next((e for e in response.json() if isinstance(e, dict) and e.get("primary")), None)
        if primary and _text(primary.get("email")):
            email, verified = primary["email"], primary.get("verified") is True
    else:
        logger.warning("GitHub /user/emails answered %s; using the public email unverified", response.status_code)
    return Profile(
        uid=_uid(data.get("id")),
        email=email,
        email_verified=verified,
        handle=_text(data.get("login")),
        display_name=_text(data.get("name")) or _text(data.get("login")),
        data=data,
    )


PROVIDERS: dict[str, Provider] = {
    "google": Provider(
        name="google",
        label="Google",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        exchange_url="https://oauth2.googleapis.com/token",
        scope="openid email profile",
        client_auth_method="client_secret_post",
        profile=_google_profile,
        authorize_params={"prompt": "select_account"},
    ),
    "discord": Provider(
        name="discord",
        label="Discord",
        authorize_url="https://discord.com/oauth2/authorize",
        exchange_url="https://discord.com/api/v10/oauth2/token",
        scope="identify email",
        client_auth_method="client_secret_basic",
        profile=_discord_profile,
    ),
    "github": Provider(
        name="github",
        label="GitHub",
        authorize_url="https://github.com/login/oauth/authorize",
        exchange_url="https://github.com/login/oauth/access_token",
        scope="read:user user:email",
        client_auth_method="client_secret_post",
        profile=_github_profile,
    ),
}


# --- configuration ---------------------------------------------------------------------------


def _credentials(name: str) -> dict | None:
    config = settings.OAUTH_PROVIDERS.get(name) or {}
    if config.get("client_id") and config.get("client_secret"):
        return config
    return None


def providers_configured() -> list[Provider]:
    return [provider for name, provider in PROVIDERS.items() if _credentials(name)]


def provider_get(name: str) -> Provider:
    """The provider, if Arena knows it and this deployment has credentials for it (else 404)."""
    provider = PROVIDERS.get(name)
    if provider is None:
        raise NotFound(
            f"No login provider {name!r}. Use one of: {', '.join(PROVIDERS)}.", code="oauth_provider_unknown"
        )
    if _credentials(name) is None:
        raise NotFound(f"{provider.label} login is not enabled on this server.", code="oauth_provider_not_configured")
    return provider


def _client(provider: Provider, *, redirect_uri: str) -> OAuth2Client:
    credentials = _credentials(provider.name) or {}
    return OAuth2Client(
        client_id=credentials.get("client_id"),
        client_secret=credentials.get("client_secret"),
        token_endpoint_auth_method=provider.client_auth_method,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=settings.OAUTH_HTTP_TIMEOUT,
        headers={"User-Agent": "Arena"},
    )


# --- the state: server-side, short-lived, single-use -----------------------------------------


def _state_key(state: str) -> str:
    # The state is client input: hash it rather than put it in a cache key as is.
    return "oauth:state:" + hashlib.sha256(state.encode()).hexdigest()


def authorization_begin(*, provider: str, purpose: str = LOGIN, user_id: int | None = None) -> tuple[str, str]:
    """→ (authorization URL, state)."""
    found = provider_get(provider)
    state = secrets.token_urlsafe(32)
    pending = PendingAuthorization(
        provider=found.name,
        purpose=purpose,
        code_verifier=generate_token(CODE_VERIFIER_LENGTH),
        redirect_uri=settings.OAUTH_REDIRECT_URI.replace("{provider}", found.name),
        user_id=user_id,
    )
    with _client(found, redirect_uri=pending.redirect_uri) as client:
        url, _ = client.create_authorization_url(
            found.authorize_url, state=state, code_verifier=pending.code_verifier, **found.authorize_params
        )
    cache.set(_state_key(state), asdict(pending), timeout=settings.OAUTH_STATE_TTL)
    return url, state


def state_consume(
    *, state: str, provider: str, purpose: str = LOGIN, user_id: int | None = None
) -> PendingAuthorization:
    """Take the state out of the cache; it is gone even when it turns out not to fit."""
    key = _state_key(state)
    stored = cache.get(key)
    # The delete is the single-use gate: of two callbacks racing with one state, only
    # one deletes it (Redis DEL answers how many keys it removed).
    if stored is None or not cache.delete(key):
        raise OAuthStateInvalid(
            "This state is unknown, expired or already used. Start again from the authorization URL.",
            code="oauth_state_invalid",
        )
    pending = PendingAuthorization(**stored)
    if pending.provider != provider:
        raise OAuthStateInvalid(
            f"This state was issued for {pending.provider}, not {provider}. Start again.", code="oauth_state_mismatch"
        )
    if pending.purpose != purpose or pending.user_id != user_id:
        raise OAuthStateInvalid(
            "This state was issued for another kind of request or another user. Start again.",
            code="oauth_state_mismatch",
        )
    return pending


# --- code exchange and profile ----------------------------------------------------------------


def profile_fetch(*, pending: PendingAuthorization, code: str) -> Profile:
    """Exchange the code (with the PKCE verifier) for a token, then read the profile."""
    provider = provider_get(pending.provider)
    with _client(provider, redirect_uri=pending.redirect_uri) as client:
        try:
            token = client.fetch_token(
                provider.exchange_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
            )
        except OAuthError as exc:
            # `error` is whatever the provider's JSON held: not always a string.
            if isinstance(exc.error, str) and exc.error in CODE_REJECTED_ERRORS:
                raise OAuthCodeRejected(
                    f"{provider.label} rejected the authorization code (it is wrong, expired or used). Start again."
                ) from None
            logger.warning("%s token endpoint refused the exchange: %s %s", provider.label, exc.error, exc.description)
            refusal = exc.error if isinstance(exc.error, str) else "error"
            raise OAuthProviderError(f"{provider.label} refused the login ({refusal[:100]}).") from None
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("%s token endpoint failed: %r", provider.label, exc)
            raise OAuthProviderError(f"{provider.label} could not be reached to finish the login.") from None
        if not token.get("access_token"):
            raise OAuthProviderError(f"{provider.label} answered without an access token.")
        try:
            return provider.profile(client)
        except OAuthProviderError:
            raise
        except (OAuthError, httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
            logger.warning("%s profile fetch failed: %r", provider.label, exc)
            raise OAuthProviderError(f"{provider.label} did not return a usable profile.") from None
