"""Social login against fake Google, Discord and GitHub at the HTTP layer (respx).

The fakes answer the token and profile endpoints the way the real ones do (payload shapes
from each provider's documentation): a code is issued for one redirect URI and one PKCE
challenge, works once, and the token endpoint checks the client secret where that
provider expects it (Discord: HTTP Basic; Google and GitHub: form fields).
"""

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
import respx
from django.core import mail

from accounts import oauth
from accounts.models import SocialAccount, User
from accounts.services.sessions import _username_available
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROVIDERS = ("google", "discord", "github")
REDIRECT = "https://app.arena.test/oauth/{provider}/callback"


@dataclass
class Person:
    """Someone's account at a provider."""

    uid: str
    email: str | None = None
    verified: bool = True
    handle: str = "nova"
    name: str = "Nova Prime"


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeProvider:
    TOKEN_URLS = {
        "google": "https://oauth2.googleapis.com/token",
        "discord": "https://discord.com/api/v10/oauth2/token",
        "github": "https://github.com/login/oauth/access_token",
    }
    AUTHORIZE_URLS = {
        "google": "https://accounts.google.com/o/oauth2/v2/auth",
        "discord": "https://discord.com/oauth2/authorize",
        "github": "https://github.com/login/oauth/authorize",
    }

    def __init__(self, mock: respx.MockRouter, name: str):
        self.name = name
        self.client_id, self.client_secret = f"{name}-client-id", f"{name}-client-secret"
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, Person] = {}
        self.token_route = mock.post(self.TOKEN_URLS[name]).mock(side_effect=self._token)
        if name == "google":
            self.profile_route = mock.get("https://openidconnect.googleapis.com/v1/userinfo")
            self.profile_route.mock(side_effect=self._google_userinfo)
        elif name == "discord":
            self.profile_route = mock.get("https://discord.com/api/v10/users/@me").mock(side_effect=self._discord_me)
        else:
            self.profile_route = mock.get("https://api.github.com/user").mock(side_effect=self._github_user)
            self.emails_route = mock.get("https://api.github.com/user/emails").mock(side_effect=self._github_emails)

    # --- the user at the provider's consent page -------------------------------------------

    def authorize(self, url: str, person: Person) -> str:
        """Read the authorization URL as the provider would, and issue a code for `person`."""
        parsed = urlparse(url)
        assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == self.AUTHORIZE_URLS[self.name]
        query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
        assert query["client_id"] == self.client_id
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43
        assert query["state"]
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
            "scope": query["scope"],
            "person": person,
        }
        return code

    # --- token endpoint ----------------------------------------------------------------------

    def _client_authenticated(self, request: httpx.Request, form: dict) -> bool:
        if self.name == "discord":
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            return request.headers.get("Authorization") == f"Basic {expected}"
        return form.get("client_id") == self.client_id and form.get("client_secret") == self.client_secret

    @staticmethod
    def _github_body(request: httpx.Request, body: dict) -> httpx.Response:
        # GitHub's token endpoint answers form-encoded unless asked for JSON, and with 200
        # even for errors.
        if "application/json" in request.headers.get("Accept", ""):
            return httpx.Response(200, json=body)
        return httpx.Response(200, text=urlencode(body), headers={"Content-Type": "application/x-www-form-urlencoded"})

    def _error(self, request: httpx.Request, error: str, description: str, status: int = 400) -> httpx.Response:
        if self.name == "github":
            return self._github_body(request, {"error": error, "error_description": description})
        return httpx.Response(status, json={"error": error, "error_description": description})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {key: values[0] for key, values in parse_qs(request.content.decode()).items()}
        if not self._client_authenticated(request, form):
            if self.name == "github":
                return self._error(
                    request, "incorrect_client_credentials", "The client_id and/or client_secret are incorrect."
                )
            return self._error(request, "invalid_client", "Unauthorized", status=401)
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or form.get("redirect_uri") != grant["redirect_uri"]
            or s256(form.get("code_verifier", "")) != grant["challenge"]
        ):
            if self.name == "github":
                return self._error(request, "bad_verification_code", "The code passed is incorrect or expired.")
            return self._error(request, "invalid_grant", "Bad Request")
        access = secrets.token_urlsafe(24)
        self.tokens[access] = grant["person"]
        if self.name == "google":
            body = {
                "access_token": f"ya29.{access}",
                "expires_in": 3599,
                "scope": "openid https://www.googleapis.com/auth/userinfo.email "
                "https://www.googleapis.com/auth/userinfo.profile",
                "token_type": "Bearer",
                "id_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
            }
            self.tokens[f"ya29.{access}"] = grant["person"]
        elif self.name == "discord":
            body = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 604800,
                "refresh_token": secrets.token_urlsafe(24),
                "scope": "identify email",
            }
        else:
            body = {"access_token": f"gho_{access}", "scope": "read:user,user:email", "token_type": "bearer"}
            self.tokens[f"gho_{access}"] = grant["person"]
            return self._github_body(request, body)
        return httpx.Response(200, json=body)

    # --- profile endpoints --------------------------------------------------------------------

    def _person(self, request: httpx.Request) -> Person | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self.tokens.get(token) if scheme.lower() == "bearer" else None

    def _google_userinfo(self, request: httpx.Request) -> httpx.Response:
        person = self._person(request)
        if person is None:
            return httpx.Response(401, json={"error": "invalid_token", "error_description": "Invalid Credentials"})
        body = {
            "sub": person.uid,
            "name": person.name,
            "given_name": person.name.split()[0],
            "family_name": person.name.split()[-1],
            "picture": "https://lh3.googleusercontent.com/a/ACg8ocK",
            "locale": "en",
        }
        if person.email:
            body |= {"email": person.email, "email_verified": person.verified}
        return httpx.Response(200, json=body)

    def _discord_me(self, request: httpx.Request) -> httpx.Response:
        person = self._person(request)
        if person is None:
            return httpx.Response(401, json={"message": "401: Unauthorized", "code": 0})
        return httpx.Response(
            200,
            json={
                "id": person.uid,
                "username": person.handle,
                "discriminator": "0",
                "global_name": person.name,
                "avatar": "8342729096ea3675442027381ff50dfe",
                "banner": None,
                "accent_color": None,
                "mfa_enabled": False,
                "locale": "en-US",
                "premium_type": 0,
                "public_flags": 0,
                "flags": 0,
                "email": person.email,
                "verified": person.verified,
            },
        )

    @staticmethod
    def _github_refused(request: httpx.Request) -> httpx.Response | None:
        """GitHub's API refuses requests without a User-Agent, and wants its media type."""
        if not request.headers.get("User-Agent") or request.headers["User-Agent"].startswith("python-httpx"):
            return httpx.Response(
                403,
                text="Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
            )
        assert request.headers.get("Accept") == "application/vnd.github+json"
        return None

    def _github_user(self, request: httpx.Request) -> httpx.Response:
        if refused := self._github_refused(request):
            return refused
        person = self._person(request)
        if person is None:
            return httpx.Response(401, json={"message": "Bad credentials", "status": "401"})
        return httpx.Response(
            200,
            json={
                "login": person.handle,
                "id": int(person.uid),
                "node_id": "MDQ6VXNlcjE=",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{person.uid}?v=4",
                "type": "User",
                "site_admin": False,
                "name": person.name,
                "company": None,
                "blog": "",
                "location": None,
                "email": None,  # only the public email shows here; this user keeps it private
                "bio": None,
                "public_repos": 8,
                "followers": 20,
                "following": 0,
                "created_at": "2008-01-14T04:33:35Z",
            },
        )

    def _github_emails(self, request: httpx.Request) -> httpx.Response:
        if refused := self._github_refused(request):
            return refused
        person = self._person(request)
        if person is None:
            return httpx.Response(401, json={"message": "Bad credentials", "status": "401"})
        emails = [
            {
                "email": f"{person.uid}+{person.handle}@users.noreply.github.com",
                "primary": False,
                "verified": True,
                "visibility": None,
            }
        ]
        if person.email:
            emails.insert(
                0, {"email": person.email, "primary": True, "verified": person.verified, "visibility": "private"}
            )
        return httpx.Response(200, json=emails)


@pytest.fixture
def fake_http():
    # assert_all_mocked: a request to anything but the fakes fails the test; nothing leaves the machine.
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def fakes(fake_http, settings) -> dict[str, FakeProvider]:
    built = {name: FakeProvider(fake_http, name) for name in PROVIDERS}
    settings.OAUTH_PROVIDERS = {
        name: {"client_id": fake.client_id, "client_secret": fake.client_secret} for name, fake in built.items()
    }
    settings.OAUTH_REDIRECT_URI = REDIRECT
    return built


def start(api, provider: str, *, user=None) -> tuple[str, str]:
    if user is None:
        response = api.get_json(f"/api/auth/oauth/{provider}/url")
    else:
        response = api.post_json(f"/api/me/social/{provider}/url", user=user)
    assert response.status_code == 200, response.content
    body = response.json()
    assert parse_qs(urlparse(body["url"]).query)["state"] == [body["state"]]
    return body["url"], body["state"]


def social_login(api, fake: FakeProvider, person: Person):
    url, state = start(api, fake.name)
    code = fake.authorize(url, person)
    return api.post_json(f"/api/auth/oauth/{fake.name}/callback", {"code": code, "state": state})


def person_for(provider: str, **kwargs) -> Person:
    uid = {"google": "110169484474386276334", "discord": "80351110224678912", "github": "583231"}[provider]
    return Person(uid=kwargs.pop("uid", uid), **kwargs)


# --- the whole flow, per provider ------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_full_flow_creates_an_account_then_logs_it_in(api, fakes, provider, django_capture_on_commit_callbacks):
    fake = fakes[provider]
    url, state = start(api, provider)
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    assert query["redirect_uri"] == f"https://app.arena.test/oauth/{provider}/callback"
    assert "email" in query["scope"]
    code = fake.authorize(url, person_for(provider, email="Nova@Example.com", handle="nova.prime"))

    response = api.post_json(f"/api/auth/oauth/{provider}/callback", {"code": code, "state": state})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] is True
    assert set(body) == {"access", "refresh", "created"}

    me = api.get_json("/api/me", token=body["access"])
    assert me.status_code == 200, me.content
    assert me.json()["email"] == "nova@example.com"
    assert me.json()["email_verified"] is True
    assert me.json()["display_name"] == "Nova Prime"
    user = User.objects.get(email="nova@example.com")
    assert not user.has_usable_password()
    assert user.last_login is not None
    expected_username = "nova" if provider == "google" else "nova_prime"  # Google: the email's local part
    assert user.username == expected_username
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid, account.email_verified) == (provider, person_for(provider).uid, True)
    assert account.data
    assert len(mail.outbox) == 0  # the provider verified the address: no verification email

    # The refresh token works like any other.
    assert api.post_json("/api/auth/token/refresh", {"refresh": body["refresh"]}).status_code == 200

    # Next time, the same provider account logs into the same user.
    again = social_login(api, fake, person_for(provider, email="nova@example.com", handle="nova.prime"))
    assert again.status_code == 200, again.content
    assert again.json()["created"] is False
    assert api.get_json("/api/me", token=again.json()["access"]).json()["id"] == user.pk
    assert User.objects.count() == 1
    assert fake.token_route.call_count == 2


def test_token_request_carries_pkce_verifier_and_redirect_uri(api, fakes):
    fake = fakes["google"]
    url, state = start(api, "google")
    code = fake.authorize(url, person_for("google", email="a@example.com"))
    assert api.post_json("/api/auth/oauth/google/callback", {"code": code, "state": state}).status_code == 200
    form = parse_qs(fake.token_route.calls.last.request.content.decode())
    assert form["grant_type"] == ["authorization_code"]
    assert form["code"] == [code]
    assert form["redirect_uri"] == ["https://app.arena.test/oauth/google/callback"]
    assert len(form["code_verifier"][0]) >= 43
    challenge = parse_qs(urlparse(url).query)["code_challenge"][0]
    assert s256(form["code_verifier"][0]) == challenge


def test_each_url_gets_its_own_state_and_challenge(api, fakes):
    first_url, first_state = start(api, "discord")
    second_url, second_state = start(api, "discord")
    assert first_state != second_state
    challenge = lambda url: parse_qs(urlparse(url).query)["code_challenge"][0]  # noqa: E731
    assert challenge(first_url) != challenge(second_url)


# --- state: wrong, reused, expired, cross-provider --------------------------------------------


def test_reused_state_is_400(api, fakes):
    fake = fakes["github"]
    url, state = start(api, "github")
    code = fake.authorize(url, person_for("github", email="reuse@example.com"))
    assert api.post_json("/api/auth/oauth/github/callback", {"code": code, "state": state}).status_code == 200

    replay = api.post_json("/api/auth/oauth/github/callback", {"code": code, "state": state})
    assert replay.status_code == 400
    assert replay.json()["code"] == "oauth_state_invalid"
    assert fake.token_route.call_count == 1  # refused before any call to the provider


def test_wrong_state_is_400_and_calls_no_provider(api, fakes):
    fake = fakes["google"]
    url, _ = start(api, "google")
    code = fake.authorize(url, person_for("google", email="x@example.com"))
    response = api.post_json("/api/auth/oauth/google/callback", {"code": code, "state": "forged-state"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This state is unknown, expired or already used. Start again from the authorization URL.",
        "code": "oauth_state_invalid",
    }
    assert fake.token_route.call_count == 0


def test_state_from_one_provider_is_refused_by_another_and_used_up(api, fakes):
    url, state = start(api, "google")
    code = fakes["google"].authorize(url, person_for("google", email="x@example.com"))
    response = api.post_json("/api/auth/oauth/discord/callback", {"code": code, "state": state})
    assert response.status_code == 400
    assert response.json()["code"] == "oauth_state_mismatch"
    assert fakes["discord"].token_route.call_count == 0
    # A state is used by the first callback that presents it, whatever the outcome.
    retry = api.post_json("/api/auth/oauth/google/callback", {"code": code, "state": state})
    assert retry.status_code == 400
    assert retry.json()["code"] == "oauth_state_invalid"


def test_expired_state_is_400(api, fakes, settings):
    settings.OAUTH_STATE_TTL = 1
    url, state = start(api, "discord")
    code = fakes["discord"].authorize(url, person_for("discord", email="late@example.com"))
    time.sleep(1.2)  # a real TTL, in whichever cache is configured (Redis expires keys server-side)
    response = api.post_json("/api/auth/oauth/discord/callback", {"code": code, "state": state})
    assert response.status_code == 400
    assert response.json()["code"] == "oauth_state_invalid"


def test_state_is_stored_hashed_with_the_verifier_server_side(api, fakes):
    from django.core.cache import cache

    url, state = start(api, "github")
    stored = cache.get(oauth._state_key(state))
    assert stored["provider"] == "github"
    assert stored["purpose"] == "login"
    assert stored["user_id"] is None
    assert stored["code_verifier"] not in url
    assert cache.get(f"oauth:state:{state}") is None


@pytest.mark.requires_redis
def test_concurrent_callbacks_with_one_state_consume_it_once(fakes):
    _, state = oauth.authorization_begin(provider="google")
    barrier = threading.Barrier(6)
    outcomes = []

    def attempt():
        barrier.wait()
        try:
            oauth.state_consume(state=state, provider="google")
            outcomes.append("ok")
        except oauth.OAuthStateInvalid:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5


# --- which account: existing links, verified and unverified emails ------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unverified_email_never_links_to_an_existing_account(api, fakes, provider):
    owner = UserFactory(email="owner@example.com")
    response = social_login(api, fakes[provider], person_for(provider, email="OWNER@example.com", verified=False))
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "oauth_link_required"
    assert "link" in response.json()["detail"]
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_verified_email_links_the_existing_account(api, fakes, provider):
    owner = UserFactory(email="owner@example.com")
    response = social_login(api, fakes[provider], person_for(provider, email="Owner@Example.com", verified=True))
    assert response.status_code == 200, response.content
    assert response.json()["created"] is False
    assert api.get_json("/api/me", token=response.json()["access"]).json()["id"] == owner.pk
    account = SocialAccount.objects.get()
    assert (account.user_id, account.provider, account.email_verified) == (owner.pk, provider, True)
    # The password still works too.
    login = api.post_json("/api/auth/login", {"email": "owner@example.com", "password": PASSWORD})
    assert login.status_code == 200


def test_verified_provider_email_does_not_take_over_an_unverified_arena_account(api, fakes):
    # Someone registered the address without owning it; its owner now arrives through Google.
    squatter = UserFactory(email="victim@example.com", email_verified_at=None)
    response = social_login(api, fakes["google"], person_for("google", email="victim@example.com", verified=True))
    assert response.status_code == 409
    assert response.json()["code"] == "oauth_link_required"
    assert "reset your password" in response.json()["detail"]
    assert not SocialAccount.objects.exists()
    squatter.refresh_from_db()
    assert squatter.email_verified_at is None


def test_linked_account_logs_in_even_when_the_provider_email_changed(api, fakes):
    user = UserFactory(email="me@example.com")
    SocialAccount.objects.create(user=user, provider="discord", uid=person_for("discord").uid)
    response = social_login(api, fakes["discord"], person_for("discord", email="someone-else@example.com"))
    assert response.status_code == 200, response.content
    assert response.json()["created"] is False
    assert api.get_json("/api/me", token=response.json()["access"]).json()["id"] == user.pk
    account = SocialAccount.objects.get()
    assert account.email == "someone-else@example.com"
    assert account.last_login_at is not None
    assert User.objects.count() == 1


def test_unverified_email_creates_an_unverified_account_and_sends_a_verification_email(api, fakes):
    response = social_login(api, fakes["discord"], person_for("discord", email="new@example.com", verified=False))
    assert response.status_code == 200, response.content
    assert response.json()["created"] is True
    user = User.objects.get(email="new@example.com")
    assert user.email_verified_at is None
    assert SocialAccount.objects.get(user=user).email_verified is False
    assert [message.to for message in mail.outbox] == [["new@example.com"]]


def test_provider_verifying_the_users_own_address_verifies_it_on_arena(api, fakes):
    user = UserFactory(email="me@example.com", email_verified_at=None)
    SocialAccount.objects.create(user=user, provider="google", uid=person_for("google").uid)
    assert social_login(api, fakes["google"], person_for("google", email="me@example.com")).status_code == 200
    user.refresh_from_db()
    assert user.email_verified_at is not None


def test_no_email_from_the_provider_is_422(api, fakes):
    response = social_login(api, fakes["discord"], person_for("discord", email=None, verified=False))
    assert response.status_code == 422
    assert response.json()["code"] == "oauth_email_missing"
    assert not User.objects.exists()


def test_disabled_account_cannot_log_in_socially(api, fakes):
    user = UserFactory(email="me@example.com", is_active=False)
    SocialAccount.objects.create(user=user, provider="github", uid=person_for("github").uid)
    response = social_login(api, fakes["github"], person_for("github", email="me@example.com"))
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_taken_username_gets_a_suffix(api, fakes):
    UserFactory(username="octocat")
    response = social_login(api, fakes["github"], person_for("github", email="o@example.com", handle="octocat"))
    assert response.status_code == 200
    assert User.objects.get(email="o@example.com").username == "octocat2"


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ("nova.prime", "nova_prime"),
        ("Zoë-Łukasz", "Zoe_ukasz"),
        ("ab", "player_ab"),
        ("李", "player"),
        ("x" * 40, "x" * 30),
    ],
)
def test_username_from_a_provider_handle(seed, expected):
    assert _username_available(seed) == expected


def test_a_verified_email_of_a_user_linked_to_another_account_of_the_provider_is_409(api, fakes):
    owner = UserFactory(email="owner@example.com")
    SocialAccount.objects.create(user=owner, provider="google", uid="another-google-account")
    response = social_login(api, fakes["google"], person_for("google", email="owner@example.com"))
    assert response.status_code == 409
    assert response.json()["code"] == "oauth_provider_already_linked"


# --- provider failures ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_code_the_provider_rejects_is_400(api, fakes, provider):
    fake = fakes[provider]
    url, state = start(api, provider)
    fake.authorize(url, person_for(provider, email="x@example.com"))
    response = api.post_json(f"/api/auth/oauth/{provider}/callback", {"code": "not-the-code", "state": state})
    assert response.status_code == 400
    assert response.json()["code"] == "oauth_code_rejected"
    assert fake.token_route.call_count == 1


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_client_secret_is_502(api, fakes, provider, settings):
    url, state = start(api, provider)
    code = fakes[provider].authorize(url, person_for(provider, email="x@example.com"))
    settings.OAUTH_PROVIDERS = {
        **settings.OAUTH_PROVIDERS,
        provider: {"client_id": f"{provider}-client-id", "client_secret": "old"},
    }
    response = api.post_json(f"/api/auth/oauth/{provider}/callback", {"code": code, "state": state})
    assert response.status_code == 502
    assert response.json()["code"] == "oauth_provider_error"


@pytest.mark.parametrize(
    ("label", "response"),
    [
        ("server error", httpx.Response(503, text="<html>Service Unavailable</html>")),
        ("not json", httpx.Response(200, text="access_token=abc&token_type=bearer")),
        ("json list", httpx.Response(200, json=["nope"])),
        ("no access token", httpx.Response(200, json={"token_type": "Bearer"})),
        ("connection refused", httpx.ConnectError("connection refused")),
        ("timeout", httpx.ReadTimeout("timed out")),
    ],
)
def test_token_endpoint_failures_are_502(api, fakes, label, response):
    url, state = start(api, "google")
    code = fakes["google"].authorize(url, person_for("google", email="x@example.com"))
    fakes["google"].token_route.mock(side_effect=[response])
    result = api.post_json("/api/auth/oauth/google/callback", {"code": code, "state": state})
    assert result.status_code == 502, (label, result.content)
    assert result.json()["code"] == "oauth_provider_error"
    assert not User.objects.exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_profile_endpoint_failures_are_502(api, fakes, provider):
    fake = fakes[provider]
    url, state = start(api, provider)
    code = fake.authorize(url, person_for(provider, email="x@example.com"))
    fake.profile_route.mock(side_effect=[httpx.Response(500, json={"message": "Internal Server Error"})])
    response = api.post_json(f"/api/auth/oauth/{provider}/callback", {"code": code, "state": state})
    assert response.status_code == 502
    assert response.json()["code"] == "oauth_provider_error"


def test_malformed_profile_is_502(api, fakes):
    fake = fakes["discord"]
    url, state = start(api, "discord")
    code = fake.authorize(url, person_for("discord", email="x@example.com"))
    fake.profile_route.mock(side_effect=[httpx.Response(200, json={"username": "no-id"})])
    response = api.post_json("/api/auth/oauth/discord/callback", {"code": code, "state": state})
    assert response.status_code == 502


def test_github_without_the_emails_scope_uses_the_public_email_unverified(api, fakes):
    fake = fakes["github"]
    owner = UserFactory(email="octo@example.com")
    url, state = start(api, "github")
    code = fake.authorize(url, person_for("github", email="octo@example.com"))
    fake.emails_route.mock(
        side_effect=[httpx.Response(403, json={"message": "Resource not accessible by integration"})]
    )
    original = fake.profile_route.side_effect

    def public_email(request):
        response = original(request)
        return httpx.Response(200, json=response.json() | {"email": "octo@example.com"})

    fake.profile_route.mock(side_effect=public_email)
    response = api.post_json("/api/auth/oauth/github/callback", {"code": code, "state": state})
    assert response.status_code == 409  # public, so unverified: never links
    assert response.json()["code"] == "oauth_link_required"
    assert not owner.social_accounts.exists()


# --- providers and configuration ----------------------------------------------------------------


def test_unknown_and_unconfigured_providers_are_404(api, fakes, settings):
    response = api.get_json("/api/auth/oauth/myspace/url")
    assert response.status_code == 404
    assert response.json()["code"] == "oauth_provider_unknown"
    settings.OAUTH_PROVIDERS = {**settings.OAUTH_PROVIDERS, "discord": {"client_id": "", "client_secret": ""}}
    for response in (
        api.get_json("/api/auth/oauth/discord/url"),
        api.post_json("/api/auth/oauth/discord/callback", {"code": "c", "state": "s"}),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "oauth_provider_not_configured"
    listed = api.get_json("/api/auth/oauth/providers").json()
    assert listed == [{"name": "google", "label": "Google"}, {"name": "github", "label": "GitHub"}]


def test_nothing_configured_by_default(api):
    assert api.get_json("/api/auth/oauth/providers").json() == []
    assert api.get_json("/api/auth/oauth/google/url").status_code == 404


def test_oauth_endpoints_are_throttled_per_ip(api, fakes, settings):
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "oauth": "3/m"}
    for _ in range(3):
        assert api.get_json("/api/auth/oauth/google/url").status_code == 200
    response = api.post_json("/api/auth/oauth/google/callback", {"code": "c", "state": "s"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_openapi_documents_the_flow(api):
    paths = api.get_json("/api/openapi.json").json()["paths"]
    callback = paths["/api/auth/oauth/{provider}/callback"]["post"]
    assert "oauth_state_invalid" in callback["description"]
    assert "oauth_link_required" in callback["description"]
    assert {"200", "400", "404", "409", "429", "502"} <= set(callback["responses"])
    for path in ("/api/auth/oauth/{provider}/url", "/api/me/social", "/api/me/social/{provider}"):
        assert path in paths


# --- linking from /api/me, and unlinking ---------------------------------------------------------


def link(api, fake: FakeProvider, user, person: Person):
    url, state = start(api, fake.name, user=user)
    code = fake.authorize(url, person)
    return api.post_json(f"/api/me/social/{fake.name}/callback", {"code": code, "state": state}, user=user)


def test_link_from_me_then_log_in_with_it(api, fakes, user):
    # The provider's email differs and is unverified: linking from a logged-in session is fine.
    response = link(api, fakes["github"], user, person_for("github", email="elsewhere@example.com", verified=False))
    assert response.status_code == 201, response.content
    assert response.json()["provider"] == "github"
    assert response.json()["handle"] == "nova"
    listed = api.get_json("/api/me/social", user=user)
    assert [row["provider"] for row in listed.json()] == ["github"]

    login = social_login(api, fakes["github"], person_for("github", email="elsewhere@example.com", verified=False))
    assert login.status_code == 200
    assert api.get_json("/api/me", token=login.json()["access"]).json()["id"] == user.pk


def test_link_state_is_bound_to_its_purpose_and_user(api, fakes, user):
    other = UserFactory()
    fake = fakes["google"]
    person = person_for("google", email="x@example.com")

    url, state = start(api, "google", user=user)
    code = fake.authorize(url, person)
    stolen = api.post_json("/api/me/social/google/callback", {"code": code, "state": state}, user=other)
    assert stolen.status_code == 400
    assert stolen.json()["code"] == "oauth_state_mismatch"

    url, state = start(api, "google", user=user)
    code = fake.authorize(url, person)
    as_login = api.post_json("/api/auth/oauth/google/callback", {"code": code, "state": state})
    assert as_login.status_code == 400
    assert as_login.json()["code"] == "oauth_state_mismatch"

    url, state = start(api, "google")
    code = fake.authorize(url, person)
    as_link = api.post_json("/api/me/social/google/callback", {"code": code, "state": state}, user=user)
    assert as_link.status_code == 400
    assert fake.token_route.call_count == 0
    assert not SocialAccount.objects.exists()


def test_link_needs_a_login(api, fakes):
    assert api.post_json("/api/me/social/google/url").status_code == 401
    assert api.post_json("/api/me/social/google/callback", {"code": "c", "state": "s"}).status_code == 401
    assert api.get_json("/api/me/social").status_code == 401


def test_link_conflicts(api, fakes, user):
    other = UserFactory()
    SocialAccount.objects.create(user=other, provider="discord", uid=person_for("discord").uid)
    taken = link(api, fakes["discord"], user, person_for("discord", email="x@example.com"))
    assert taken.status_code == 409
    assert taken.json()["code"] == "social_account_taken"

    SocialAccount.objects.create(user=user, provider="google", uid="first-google-account")
    second = link(api, fakes["google"], user, person_for("google", email="x@example.com"))
    assert second.status_code == 409
    assert second.json()["code"] == "oauth_provider_already_linked"

    # Linking the same account again is harmless.
    SocialAccount.objects.create(user=user, provider="github", uid=person_for("github").uid)
    again = link(api, fakes["github"], user, person_for("github", email="x@example.com"))
    assert again.status_code == 201
    assert user.social_accounts.count() == 2


def test_unlink_keeps_a_way_to_log_in(api, fakes):
    social_only = social_login(api, fakes["google"], person_for("google", email="solo@example.com"))
    token = social_only.json()["access"]
    refused = api.delete_json("/api/me/social/google", token=token)
    assert refused.status_code == 409
    assert refused.json()["code"] == "last_login_method"

    user = User.objects.get(email="solo@example.com")
    assert link(api, fakes["discord"], user, person_for("discord", email="solo@example.com")).status_code == 201
    assert api.delete_json("/api/me/social/google", token=token).status_code == 204
    # Discord is now the only way in.
    last = api.delete_json("/api/me/social/discord", token=token)
    assert last.status_code == 409
    assert [a.provider for a in user.social_accounts.all()] == ["discord"]


def test_unlink_with_a_password_and_unknown_links(api, fakes, user):
    SocialAccount.objects.create(user=user, provider="github", uid="1")
    assert api.delete_json("/api/me/social/github", user=user).status_code == 204
    missing = api.delete_json("/api/me/social/github", user=user)
    assert missing.status_code == 404
    assert missing.json()["code"] == "social_account_not_linked"
    assert api.delete_json("/api/me/social/myspace", user=user).status_code == 404
    assert not SocialAccount.objects.exists()


def test_unlink_works_for_a_provider_no_longer_enabled(api, fakes, user, settings):
    SocialAccount.objects.create(user=user, provider="discord", uid="1")
    settings.OAUTH_PROVIDERS = {}
    assert api.delete_json("/api/me/social/discord", user=user).status_code == 204


def test_social_account_in_admin(admin_client_for_social):
    response = admin_client_for_social.get("/admin/accounts/socialaccount/")
    assert response.status_code == 200
    assert b"octocat" in response.content


@pytest.fixture
def admin_client_for_social(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    SocialAccount.objects.create(user=admin_user, provider="github", uid="583231", handle="octocat")
    client.force_login(admin_user)
    return client


# --- review fixes ---------------------------------------------------------------------------------


def _reset_password(api, email: str, password: str = "An-owner-pass-42"):
    import re

    api.post_json("/api/auth/password-reset", {"email": email})
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    token = parse_qs(urlparse(link).query)["token"][0]
    response = api.post_json("/api/auth/password-reset/confirm", {"token": token, "password": password})
    assert response.status_code == 200, response.content


def test_password_reset_by_the_owner_drops_the_squatters_linked_login(api, fakes):
    """A squatter registers the owner's address (never verified) and links their own GitHub,
    whose verified email is their own. The owner proves the mailbox with a password reset: the
    squatter's GitHub must not keep logging into the account."""
    registered = api.post_json(
        "/api/auth/register", {"email": "owner@example.com", "password": PASSWORD, "username": "squatter"}
    )
    assert registered.status_code == 201, registered.content
    squatted = User.objects.get(email="owner@example.com")
    squatter = person_for("github", email="squatter@example.com", verified=True)
    assert link(api, fakes["github"], squatted, squatter).status_code == 201
    session = social_login(api, fakes["github"], squatter).json()
    password_session = api.post_json("/api/auth/login", {"email": "owner@example.com", "password": PASSWORD}).json()

    _reset_password(api, "owner@example.com")

    assert not squatted.social_accounts.exists()
    # Nor do the sessions the squatter opened before the reset live on.
    for refresh in (session["refresh"], password_session["refresh"]):
        refused = api.post_json("/api/auth/token/refresh", {"refresh": refresh})
        assert refused.status_code == 401, refused.content
    again = social_login(api, fakes["github"], squatter)
    # No longer linked: GitHub's address is the squatter's own, so this makes a new account.
    assert again.status_code == 200, again.content
    assert api.get_json("/api/me", token=again.json()["access"]).json()["id"] != squatted.pk


def test_password_reset_drops_a_social_login_whose_provider_email_changed_since(api, fakes):
    """Signed up through Discord with the owner's address, unverified there; then switched the
    Discord address to one of their own, verified, and logged in again. The owner's reset still
    drops that Discord login: it never proved the owner's mailbox."""
    fake = fakes["discord"]
    signup = social_login(api, fake, person_for("discord", email="owner@example.com", verified=False))
    assert signup.json()["created"] is True
    squatted = User.objects.get(email="owner@example.com")
    later = person_for("discord", email="squatter@example.com", verified=True)
    assert social_login(api, fake, later).status_code == 200
    assert squatted.social_accounts.get().email_verified is True

    _reset_password(api, "owner@example.com")

    assert not squatted.social_accounts.exists()
    again = social_login(api, fake, later)
    assert api.get_json("/api/me", token=again.json()["access"]).json()["id"] != squatted.pk


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT"}},
        {"error": ["invalid_grant"]},
        {"error": None},
    ],
)
def test_token_error_that_is_not_a_string_is_502(api, fakes, body):
    url, state = start(api, "google")
    code = fakes["google"].authorize(url, person_for("google", email="x@example.com"))
    fakes["google"].token_route.mock(side_effect=[httpx.Response(400, json=body)])
    result = api.post_json("/api/auth/oauth/google/callback", {"code": code, "state": state})
    assert result.status_code == 502, result.content
    assert result.json()["code"] == "oauth_provider_error"


@pytest.mark.parametrize(
    ("provider", "changes", "status"),
    [
        ("discord", {"id": None}, 502),
        ("discord", {"id": ""}, 502),
        ("discord", {"global_name": 7, "username": ["nova"]}, 200),
        ("google", {"sub": None}, 502),
        ("google", {"email": ["x@example.com"]}, 422),
        ("github", {"id": None}, 502),
        ("github", {"login": {"x": 1}, "name": 5}, 200),
    ],
)
def test_profile_fields_of_the_wrong_type(api, fakes, provider, changes, status):
    """A profile without a usable id must not become the account "None" that every such
    profile would then log into; other fields of the wrong type count as absent, never 500."""
    fake = fakes[provider]
    original = fake.profile_route.side_effect

    def altered(request):
        return httpx.Response(200, json=original(request).json() | changes)

    fake.profile_route.mock(side_effect=altered)
    response = social_login(api, fake, person_for(provider, email="x@example.com"))
    assert response.status_code == status, response.content
    if status == 502:
        assert response.json()["code"] == "oauth_provider_error"
        assert not SocialAccount.objects.exists()
    if status == 200:
        assert SocialAccount.objects.get().uid == person_for(provider).uid


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_unlinks_at_once_leave_a_way_to_log_in():
    """A social-only user with two links unlinks both at once: one goes, the other is refused."""
    from django.db import connection

    from tests.conftest import ApiClient

    user = UserFactory()
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="google", uid="g-1")
    SocialAccount.objects.create(user=user, provider="discord", uid="d-1")
    barrier = threading.Barrier(2)
    statuses = []

    def unlink(provider):
        try:
            client = ApiClient()
            barrier.wait()
            statuses.append(client.delete_json(f"/api/me/social/{provider}", user=user).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=unlink, args=(provider,)) for provider in ("google", "discord")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204, 409]
    assert SocialAccount.objects.filter(user=user).count() == 1
