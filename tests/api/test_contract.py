"""The OpenAPI document tells the truth about every operation (api.contract): the errors any of them
can answer, optional authentication, and JSON bodies that must be objects."""

import pytest

from tests.conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api):
    return api.get("/api/openapi.json").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_declares_the_errors_the_edge_can_answer(schema):
    checked = 0
    for label, operation in _operations(schema):
        declared = set(operation["responses"])
        assert {"400", "404", "413", "415", "422"} <= declared, label
        if operation.get("security"):
            assert {"401", "403"} <= declared, label
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }, label
        checked += 1
    assert checked > 90


def test_optional_authentication_is_declared_optional(schema, api, user):
    optional = schema["paths"]["/api/teams"]["get"]["security"]
    assert optional == [{"JWTAuth": []}, {}]
    assert schema["paths"]["/api/me"]["get"]["security"] == [{"JWTAuth": []}]
    # And it is: anonymous gets 200, a bad token 401.
    assert api.get("/api/teams").status_code == 200
    assert api.get("/api/teams", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_an_all_optional_multipart_form_is_an_optional_body(schema):
    assert schema["paths"]["/api/me/host-application"]["post"]["requestBody"]["required"] is False
    assert schema["paths"]["/api/me/avatar"]["post"]["requestBody"]["required"] is True


@pytest.mark.parametrize("body", ["[null, null]", "[]", '"x"', "5", "true", "null"])
def test_a_json_body_declared_as_an_object_must_be_one(api, user, body):
    response = api.patch("/api/me", body, content_type="application/json", **bearer(user))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"][0]["loc"] == ["body"]


def test_an_optional_object_body_may_still_be_left_out(api, user):
    from tests.factories import TeamFactory

    team = TeamFactory()
    assert api.post_json(f"/api/teams/{team.pk}/join-requests", user=user).status_code == 201
    response = api.post(f"/api/teams/{team.pk}/join-requests", "[1]", content_type="application/json", **bearer(user))
    assert response.status_code == 422


def test_a_list_body_is_still_a_list(api, user):
    # PUT results takes a list (battle royale) or an object (head to head): not forced to an object.
    response = api.put("/api/matches/999999/results", "[]", content_type="application/json", **bearer(user))
    assert response.status_code == 404


def test_throttled_operations_work_without_a_client_address(api):
    # Behind a unix socket or a proxy that did not send the configured header there is no address:
    # django-ratelimit raised ImproperlyConfigured (a 500); such requests share one bucket instead.
    response = api.post_json("/api/auth/login", {"email": "a@example.com", "password": "x"}, REMOTE_ADDR="")
    assert response.status_code == 401, response.content


def test_true_and_false_are_no_integers_in_a_json_body(api, user):
    response = api.post_json("/api/notifications/read", {"ids": [False]}, user=user)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"] == ["body", "ids"]
    assert api.post_json("/api/notifications/read", {"ids": [0]}, user=user).status_code == 200


def test_integers_in_the_path_and_query_fit_in_64_bits(api, admin_user, schema):
    huge = "38481591724958722031616"
    response = api.post_json(f"/api/admin/users/{huge}/xp", {"amount": 5, "reason": "bonus"}, user=admin_user)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"] == ["path", "user_id"]
    response = api.get_json(f"/api/tournaments/1/standings?round={huge}")
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"] == ["query", "round"]
    assert api.get_json(f"/api/tournaments/{2**63 - 1}").status_code == 404
    parameter = schema["paths"]["/api/admin/users/{user_id}/xp"]["post"]["parameters"][0]
    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (-(2**63), 2**63 - 1)


def test_an_xp_adjustment_for_a_missing_user_is_404(api, admin_user):
    # The wallet row was inserted for a user that does not exist: its foreign key failed at COMMIT.
    response = api.post_json("/api/admin/users/999999/xp", {"amount": 5, "reason": "bonus"}, user=admin_user)
    assert response.status_code == 404, response.content
