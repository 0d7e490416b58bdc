import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_limits(settings):
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "login": "3/m", "password_reset": "2/m"}


def _login(api, email, password="wrong-password", ip="203.0.113.7"):
    return api.post_json("/api/auth/login", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_login_is_throttled_per_ip_with_retry_after(api, user, tight_limits):
    for _ in range(3):
        assert _login(api, user.email).status_code == 401
    response = _login(api, "someone-else@example.com")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Even the right password waits until the window passes.
    assert _login(api, user.email, PASSWORD).status_code == 429
    # Another address is not affected.
    assert _login(api, "someone-else@example.com", ip="198.51.100.9").status_code == 401


def test_login_is_throttled_per_account_across_ips(api, user, tight_limits):
    for n in range(3):
        assert _login(api, user.email, ip=f"198.51.100.{n + 1}").status_code == 401
    response = _login(api, user.email.upper(), ip="192.0.2.200")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_password_reset_is_throttled(api, tight_limits):
    for _ in range(2):
        assert api.post_json("/api/auth/password-reset", {"email": "x@example.com"}).status_code == 202
    response = api.post_json("/api/auth/password-reset", {"email": "x@example.com"})
    assert response.status_code == 429
    assert "Retry-After" in response


def test_register_and_verify_email_are_throttled(api, settings):
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "register": "1/h", "verify_email": "1/m"}
    body = {"email": "first@example.com", "password": PASSWORD, "username": "first"}
    assert api.post_json("/api/auth/register", body).status_code == 201
    second = api.post_json("/api/auth/register", {**body, "email": "b@example.com", "username": "second"})
    assert second.status_code == 429
    assert api.post_json("/api/auth/verify-email", {"token": "x"}).status_code == 422
    assert api.post_json("/api/auth/verify-email", {"token": "x"}).status_code == 429


@pytest.mark.requires_redis
def test_throttle_counters_live_in_redis(api, user, tight_limits):
    """The counter is a Redis key, so every ASGI process sharing REDIS_URL sees it
    (tests/e2e proves it with a second process)."""
    import redis
    from django.conf import settings

    for _ in range(2):
        _login(api, user.email)
    client = redis.Redis.from_url(settings.REDIS_URL)
    values = [int(client.get(key)) for key in client.scan_iter("arena:*:rl:*")]
    assert sorted(values) == [2, 2]  # one per-IP counter, one per-account counter


def test_throttled_answers_carry_ratelimit_headers(api, user, tight_limits):
    """IETF draft RateLimit headers on every answer of a throttled operation, 429 included."""
    remaining = []
    for _ in range(3):
        response = _login(api, user.email, ip="192.0.2.44")
        assert response.status_code == 401
        assert response["RateLimit-Limit"] == "3"
        assert 1 <= int(response["RateLimit-Reset"]) <= 60
        remaining.append(int(response["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = _login(api, user.email, ip="192.0.2.44")
    assert refused.status_code == 429
    assert refused["RateLimit-Remaining"] == "0"
    assert "RateLimit-Limit" not in api.get("/api/health")  # only throttled operations say it


def test_the_schema_documents_the_ratelimit_and_retry_headers(api):
    login = api.get("/api/openapi.json").json()["paths"]["/api/auth/login"]["post"]["responses"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= login["200"]["headers"].keys()
    assert "Retry-After" in login["429"]["headers"]
