"""Client input that used to reach the database or a parser and answer 500: each gets a clear
4xx JSON error with a code, and nothing is written."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Team, User
from competitions.models import Tournament
from tests.conftest import bearer
from tests.factories import UserFactory
from wallet.models import Payment

pytestmark = pytest.mark.django_db


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


# --- NUL characters (PostgreSQL refuses them in text: a DataError, i.e. a 500) ---------------------


@pytest.fixture
def host(db):
    return UserFactory(role="host", host_status="approved")


def test_nul_in_a_path_is_400(api):
    _error(api.get("/api/users/a%00b"), 400, "nul_character")


@pytest.mark.parametrize("query", ["q=a%00b", "status=%00", "game=bgmi%00", "a%00=1"])
def test_nul_in_a_query_string_is_400(api, query):
    _error(api.get(f"/api/tournaments?{query}"), 400, "nul_character")


def test_nul_in_login_and_register_is_400_and_nothing_is_created(api):
    users = User.objects.count()

    _error(api.post_json("/api/auth/login", {"email": "a\x00@example.com", "password": "x"}), 400, "nul_character")
    registered = api.post_json(
        "/api/auth/register",
        {"email": "new\x00@example.com", "password": "Correct-Horse-42", "username": "newbie", "role": "player"},
    )
    _error(registered, 400, "nul_character")
    _error(api.post_json("/api/auth/password-reset", {"email": "\x00"}), 400, "nul_character")

    assert User.objects.count() == users


def test_nul_in_a_profile_update_is_400_and_nothing_changes(api, user):
    for body in ({"bio": "hi\x00there"}, {"game_ids": {"bgmi": "51\x00"}}, {"social_links": {"x\x00": ""}}):
        _error(api.patch_json("/api/me", body, user=user), 400, "nul_character")
    user.refresh_from_db()
    assert user.bio == ""


def test_nul_in_team_and_tournament_names_is_400_and_nothing_is_created(api, user, host, games_catalog):
    _error(api.post_json("/api/teams", {"name": "Bad\x00Team", "tag": "BAD"}, user=user), 400, "nul_character")
    tournament = {
        "game": "bgmi",
        "title": "Cup\x00",
        "starts_at": (timezone.now() + timedelta(days=2)).isoformat(),
        "max_teams": 16,
    }
    _error(api.post_json("/api/tournaments", tournament, user=host), 400, "nul_character")

    assert not Team.objects.exists()
    assert not Tournament.objects.exists()


def test_nul_in_razorpay_verify_is_400(api, user):
    body = {"razorpay_order_id": "order_\x00", "razorpay_payment_id": "pay_1", "razorpay_signature": "ab"}
    _error(api.post_json("/api/payments/razorpay/verify", body, user=user), 400, "nul_character")


def test_nul_in_a_multipart_field_is_400(api, user):
    response = api.post("/api/me/host-application", {"message": "let me host\x00"}, **bearer(user))
    _error(response, 400, "nul_character")


def test_a_raw_nul_byte_in_a_json_body_is_400(api, user):
    response = api.patch("/api/me", b'{"bio": "a\x00b"}', content_type="application/json", **bearer(user))
    _error(response, 400, "nul_character")


def test_an_escaped_backslash_before_u0000_is_ordinary_text(api, user):
    # JSON "a\\u0000" is the six characters a, \, u, 0, 0, 0, 0: no NUL in it.
    response = api.patch("/api/me", b'{"bio": "a\\\\u0000"}', content_type="application/json", **bearer(user))
    assert response.status_code == 200, response.content
    assert response.json()["bio"] == "a\\u0000"


def test_nul_in_a_header_the_api_stores_is_400(api, user):
    response = api.post_json(
        "/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=user, HTTP_IDEMPOTENCY_KEY="key\x00key"
    )
    _error(response, 400, "nul_character")
    assert not Payment.objects.exists()


def test_nul_outside_the_api_is_a_plain_400(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/accounts/user/?q=a%00b")
    assert response.status_code == 400
    assert client.get("/admin/accounts/user/?q=ab").status_code == 200


# --- request bodies Django refuses to parse --------------------------------------------------------


def test_a_json_body_over_the_upload_limit_is_413(api, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"bio": "x" * 20_000})
    response = api.patch("/api/me", body, content_type="application/json", **bearer(user))
    _error(response, 413, "body_too_large")
    user.refresh_from_db()
    assert user.bio == ""


def test_multipart_without_a_boundary_is_400_json(api, user):
    response = api.post("/api/me/avatar", b"--x\r\n", content_type="multipart/form-data", **bearer(user))
    _error(response, 400, "bad_multipart")


@pytest.mark.parametrize(
    "body",
    [b"", b"garbage", b'--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nabc'],
    ids=["empty", "garbage", "truncated"],
)
def test_an_empty_or_malformed_multipart_body_is_a_json_error(api, user, body):
    response = api.post("/api/me/avatar", body, content_type="multipart/form-data; boundary=b", **bearer(user))
    assert 400 <= response.status_code < 500, response.status_code
    assert response["Content-Type"].startswith("application/json"), (response.status_code, response.content)
    assert response.json()["code"] in ("bad_multipart", "invalid")
    user.refresh_from_db()
    assert not user.avatar


def test_a_form_body_sent_to_a_json_operation_is_415(api, user):
    response = api.post("/api/teams", {"name": "Form Team", "tag": "FT"}, **bearer(user))  # multipart
    _error(response, 415, "unsupported_media_type")
    assert not Team.objects.exists()
