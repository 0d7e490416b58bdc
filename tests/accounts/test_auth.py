import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from ninja_jwt.tokens import AccessToken

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _link_token(message) -> str:
    link = re.search(r"https?://\S+", message.body).group(0)
    return parse_qs(urlparse(link).query)["token"][0]


def test_register_verify_login_refresh_logout(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post_json(
            "/api/auth/register",
            {"email": "Nova@Example.com", "password": PASSWORD, "username": "nova", "role": "player"},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "nova@example.com"
    assert body["email_verified"] is False
    assert "password" not in body

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nova@example.com"]
    assert message.alternatives
    assert "text/html" in message.alternatives[0][1]
    token = _link_token(message)

    response = api.post_json("/api/auth/verify-email", {"token": token})
    assert response.status_code == 200, response.content
    assert User.objects.get(username="nova").email_verified_at is not None

    response = api.post_json("/api/auth/login", {"email": "NOVA@example.com", "password": PASSWORD})
    assert response.status_code == 200, response.content
    pair = response.json()
    me = api.get_json("/api/me", token=pair["access"])
    assert me.status_code == 200
    assert me.json()["username"] == "nova"
    assert me.json()["email_verified"] is True
    assert me.json()["xp"] == 0

    rotated = api.post_json("/api/auth/token/refresh", {"refresh": pair["refresh"]})
    assert rotated.status_code == 200, rotated.content
    new_pair = rotated.json()
    assert new_pair["refresh"] != pair["refresh"]
    reused = api.post_json("/api/auth/token/refresh", {"refresh": pair["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"

    response = api.post_json("/api/auth/logout", {"refresh": new_pair["refresh"]}, token=new_pair["access"])
    assert response.status_code == 204
    after_logout = api.post_json("/api/auth/token/refresh", {"refresh": new_pair["refresh"]})
    assert after_logout.status_code == 401
    assert "detail" in after_logout.json()


def test_register_conflicts_are_case_insensitive(api):
    UserFactory(username="Ghost", email="ghost@example.com")
    taken_email = api.post_json(
        "/api/auth/register", {"email": "GHOST@example.com", "password": PASSWORD, "username": "other"}
    )
    assert taken_email.status_code == 409
    assert taken_email.json()["code"] == "email_taken"
    taken_name = api.post_json(
        "/api/auth/register", {"email": "new@example.com", "password": PASSWORD, "username": "ghost"}
    )
    assert taken_name.status_code == 409
    assert taken_name.json()["code"] == "username_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "username": "valid_name"}, "email"),
        ({"email": "a@example.com", "password": "123", "username": "valid_name"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "username": "x"}, "username"),
        ({"email": "a@example.com", "password": PASSWORD, "username": "valid_name", "role": "admin"}, "role"),
    ],
)
def test_register_validation_errors_leave_nothing_behind(api, body, field):
    response = api.post_json("/api/auth/register", body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert isinstance(payload["detail"], str)
    assert payload["code"] == "invalid"
    assert any(field in error["loc"] for error in payload["errors"])
    assert not User.objects.exists()
    assert mail.outbox == []


def test_wrong_password_is_401_with_detail(api, user):
    response = api.post_json("/api/auth/login", {"email": user.email, "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Email or password is incorrect.", "code": "invalid_credentials"}


def test_unknown_email_is_the_same_401(api):
    response = api.post_json("/api/auth/login", {"email": "nobody@example.com", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_expired_access_token_is_401(api, user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    response = api.get_json("/api/me", token=str(token))
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_tampered_access_token_is_401(api, user):
    header, payload, signature = str(AccessToken.for_user(user)).split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = api.get_json("/api/me", token=tampered)
    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


def test_refresh_token_cannot_be_used_as_access_token(api, user):
    response = api.post_json("/api/auth/login", {"email": user.email, "password": PASSWORD})
    response = api.get_json("/api/me", token=response.json()["refresh"])
    assert response.status_code == 401


def test_missing_token_is_401(api):
    response = api.get_json("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_inactive_user_cannot_log_in_or_use_tokens(api, user):
    access = str(AccessToken.for_user(user))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api.post_json("/api/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 401
    assert api.get_json("/api/me", token=access).status_code == 401


def test_logout_with_someone_elses_refresh_token_is_403(api, user):
    other = UserFactory()
    theirs = api.post_json("/api/auth/login", {"email": other.email, "password": PASSWORD}).json()["refresh"]
    response = api.post_json("/api/auth/logout", {"refresh": theirs}, user=user)
    assert response.status_code == 403
    assert api.post_json("/api/auth/token/refresh", {"refresh": theirs}).status_code == 200


def test_verify_email_rejects_bad_and_stale_tokens(api, django_capture_on_commit_callbacks):
    assert api.post_json("/api/auth/verify-email", {"token": "garbage"}).json()["code"] == "token_invalid"
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json("/api/auth/register", {"email": "old@example.com", "password": PASSWORD, "username": "mover"})
    token = _link_token(mail.outbox[0])
    # The address changed after the link was sent: the old link must not verify the new address.
    User.objects.filter(username="mover").update(email="new@example.com")
    response = api.post_json("/api/auth/verify-email", {"token": token})
    assert response.status_code == 422
    assert User.objects.get(username="mover").email_verified_at is None


def test_resend_verification(api, django_capture_on_commit_callbacks):
    unverified = UserFactory(email_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post_json("/api/auth/verify-email/resend", user=unverified)
    assert response.status_code == 202
    assert mail.outbox[0].to == [unverified.email]
    verified = UserFactory()
    assert api.post_json("/api/auth/verify-email/resend", user=verified).status_code == 409


def test_password_reset_does_not_reveal_accounts(api, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        unknown = api.post_json("/api/auth/password-reset", {"email": "nobody@example.com"})
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        known = api.post_json("/api/auth/password-reset", {"email": user.email.upper()})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]

    token = _link_token(mail.outbox[0])
    response = api.post_json("/api/auth/password-reset/confirm", {"token": token, "password": "A-brand-new-pass-9"})
    assert response.status_code == 200, response.content
    assert api.post_json("/api/auth/login", {"email": user.email, "password": PASSWORD}).status_code == 401
    assert api.post_json("/api/auth/login", {"email": user.email, "password": "A-brand-new-pass-9"}).status_code == 200
    reused = api.post_json("/api/auth/password-reset/confirm", {"token": token, "password": "Yet-another-pass-7"})
    assert reused.status_code == 422
    assert reused.json()["code"] == "token_invalid"


def test_password_reset_confirm_validates_the_new_password(api, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json("/api/auth/password-reset", {"email": user.email})
    token = _link_token(mail.outbox[0])
    response = api.post_json("/api/auth/password-reset/confirm", {"token": token, "password": "password"})
    assert response.status_code == 422
    assert response.json()["errors"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_of_an_unproven_account_drops_unverified_social_logins(api, django_capture_on_commit_callbacks):
    """Someone signs up through a provider with an address they do not own (the provider had
    not verified it); the owner takes the account over with a password reset: the squatter's
    social login goes, social logins with a provider-verified address stay."""
    from accounts.models import SocialAccount
    from tests.factories import UserFactory

    owner_email = "real.owner@example.com"
    squatted = UserFactory(email=owner_email, email_verified_at=None)
    SocialAccount.objects.create(user=squatted, provider="discord", uid="80351110224678912", email=owner_email)
    SocialAccount.objects.create(user=squatted, provider="github", uid="583231", email=owner_email, email_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        api.post_json("/api/auth/password-reset", {"email": owner_email})
    token = _link_token(mail.outbox[-1])
    response = api.post_json("/api/auth/password-reset/confirm", {"token": token, "password": "a-long-new-pass-42"})
    assert response.status_code == 200, response.content
    assert list(SocialAccount.objects.filter(user=squatted).values_list("provider", flat=True)) == ["github"]


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_one_token_yield_one_new_pair(user):
    import threading

    from django.db import connection

    from tests.conftest import ApiClient

    refresh = ApiClient().post_json("/api/auth/login", {"email": user.email, "password": PASSWORD}).json()["refresh"]
    barrier = threading.Barrier(4)
    statuses = []

    def attempt():
        try:
            client = ApiClient()
            barrier.wait()
            statuses.append(client.post_json("/api/auth/token/refresh", {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401]
