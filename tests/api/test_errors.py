"""Bad input never gets a 500, and every error has the same shape."""

import re

import pytest

from tests.conftest import bearer

pytestmark = pytest.mark.django_db

BAD_BODIES = [
    ("malformed JSON", "{not json", "application/json"),
    ("JSON array instead of object", "[1, 2, 3]", "application/json"),
    ("wrong types", '{"email": 5, "password": [], "username": {}, "token": 7, "refresh": false, "name": 1}', None),
    ("missing fields", "{}", "application/json"),
    ("null", "null", "application/json"),
    ("huge string", '{"email": "' + "a" * 100_000 + '"}', "application/json"),
    ("form data", "a=1&b=2", "application/x-www-form-urlencoded"),
]


def _operations(api_client):
    schema = api_client.get("/api/openapi.json").json()
    for path, item in schema["paths"].items():
        for method in item:
            yield method, re.sub(r"\{[^}]+\}", "1", path)


def _assert_error_shape(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert isinstance(body["detail"], str)
    assert set(body) <= {"detail", "code", "errors"}


def test_openapi_lists_the_foundation_endpoints(api):
    paths = api.get("/api/openapi.json").json()["paths"]
    for expected in ("/api/auth/register", "/api/auth/login", "/api/me", "/api/teams", "/api/health", "/api/ready"):
        assert expected in paths


@pytest.mark.parametrize(("label", "body", "content_type"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_no_endpoint_returns_500_on_bad_bodies(api, user, label, body, content_type):
    headers = bearer(user)
    checked = 0
    for method, path in _operations(api):
        if method not in ("post", "put", "patch"):
            continue
        response = getattr(api, method)(path, body, content_type=content_type or "application/json", **headers)
        assert response.status_code < 500, (method, path, response.status_code, response.content[:300])
        if response.status_code >= 400:
            _assert_error_shape(response)
        checked += 1
    assert checked >= 15


def test_no_endpoint_returns_500_on_bad_path_and_query_values(api, user):
    headers = bearer(user)
    for method, path in _operations(api):
        weird = path.replace("/1", "/99999999999999999999") + "?page=-1&page_size=abc&mine=maybe&by=x"
        response = getattr(api, method)(weird, **headers)
        assert response.status_code < 500, (method, weird, response.status_code, response.content[:300])
        if response.status_code >= 400:
            _assert_error_shape(response)


def test_malformed_json_is_400(api):
    response = api.post("/api/auth/login", "{oops", content_type="application/json")
    assert response.status_code == 400
    _assert_error_shape(response)


def test_validation_errors_list_fields(api):
    response = api.post_json("/api/auth/login", {"email": 5})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {tuple(error["loc"]) for error in body["errors"]} == {("body", "email"), ("body", "password")}
    assert body["detail"].startswith("email:")


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/definitely/not/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "No API endpoint at /api/definitely/not/here.", "code": "not_found"}


def test_wrong_method_is_json_405(api):
    response = api.delete("/api/health")
    assert response.status_code == 405
    _assert_error_shape(response)
