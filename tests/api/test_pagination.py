"""Page numbers past any real page (PostgreSQL: OFFSET out of bigint range, a 500): one bound in the
project's pagination class, checked on every paginated list the OpenAPI schema declares."""

import re

import pytest

from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def _paginated_operations(api) -> list[str]:
    schema = api.get("/api/openapi.json").json()
    paths = []
    for path, item in schema["paths"].items():
        get = item.get("get")
        if get and any(p["name"] == "page" and p["in"] == "query" for p in get.get("parameters", [])):
            paths.append(re.sub(r"\{[^}]+\}", "1", path))
    return paths


def test_every_paginated_list_refuses_a_page_beyond_the_limit(api, admin_user, games_catalog):
    paths = _paginated_operations(api)
    assert len(paths) >= 10, paths
    for path in paths:
        for page in ("99999999999999999999", "1000001"):
            response = api.get(f"{path}?page={page}", **bearer(admin_user))
            assert response.status_code in (404, 422), (path, response.status_code, response.content[:300])
            if response.status_code == 422:
                assert response.json()["errors"][0]["loc"] == ["query", "page"], (path, response.json())
            else:  # the resource itself (id 1) does not exist
                assert response.json()["code"] == "not_found", (path, response.json())


def test_the_last_allowed_page_is_an_empty_page(api, admin_user):
    response = api.get("/api/tournaments?page=1000000", **bearer(admin_user))
    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


def test_the_page_limit_is_in_the_schema(api):
    schema = api.get("/api/openapi.json").json()
    page = next(p for p in schema["paths"]["/api/tournaments"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == 1_000_000
