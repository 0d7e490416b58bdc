"""POST /api/tournaments and PATCH: what the body says is what gets created, or a 422 saying why not."""

import pytest

from competitions.models import Tournament
from tests.competitions.conftest import tournament_body

pytestmark = pytest.mark.django_db

ONE_ROUND = {"rounds_count": 1, "qualify_per_group": 0}


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


def test_mode_scrim_on_the_tournaments_endpoint_creates_a_scrim(api, host):
    response = api.post_json(
        "/api/tournaments", tournament_body(mode="scrim", max_teams=20, group_size=20, **ONE_ROUND), user=host
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["mode"], created["rounds_count"]) == ("scrim", 1)
    assert Tournament.objects.get(pk=created["id"]).mode == Tournament.Mode.SCRIM
    assert created["id"] in {item["id"] for item in api.get_json("/api/scrims", user=host).json()["items"]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rounds_count": 2, "qualify_per_group": 4}, "rounds_count"),
        ({"max_teams": 26, "group_size": 25}, "max_teams"),
        ({"matches_per_group": 7}, "matches_per_group"),
        ({"game": "valorant", "format": "single_elimination"}, "game"),
    ],
)
def test_mode_scrim_on_the_tournaments_endpoint_enforces_the_scrim_limits(api, host, overrides, field):
    body = tournament_body(**{"mode": "scrim", "max_teams": 20, "group_size": 20, **ONE_ROUND, **overrides})
    error = _error(api.post_json("/api/tournaments", body, user=host), 422)
    assert field in error["detail"] or field in {str(p) for e in error.get("errors", []) for p in e["loc"]}, error
    assert not Tournament.objects.exists()


def test_mode_tournament_is_the_default_and_explicit_tournament_is_accepted(api, host):
    for body in (tournament_body(**ONE_ROUND), tournament_body(mode="tournament", **ONE_ROUND)):
        response = api.post_json("/api/tournaments", body, user=host)
        assert response.status_code == 201, response.content
        assert response.json()["mode"] == "tournament"


def test_the_scrims_endpoint_refuses_a_body_asking_for_a_tournament(api, host):
    body = tournament_body(mode="tournament", max_teams=20, group_size=20, **ONE_ROUND)
    assert _error(api.post_json("/api/scrims", body, user=host), 422)["code"] == "mode_mismatch"
    assert not Tournament.objects.exists()


@pytest.mark.parametrize("bracket", ["single_elimination", "double_elimination", "round_robin", "swiss"])
def test_a_bracket_format_on_a_battle_royale_game_is_refused(api, host, bracket):
    error = _error(api.post_json("/api/tournaments", tournament_body(format=bracket, **ONE_ROUND), user=host), 422)
    assert error["code"] == "format_not_for_battle_royale"
    assert "battle royale" in error["detail"]
    assert not Tournament.objects.exists()


def test_groups_on_a_head_to_head_game_is_refused_with_a_code(api, host):
    error = _error(api.post_json("/api/tournaments", tournament_body(game="valorant", format="groups"), user=host), 422)
    assert error["code"] == "format_not_for_head_to_head"
    assert not Tournament.objects.exists()


def test_unknown_fields_are_refused_not_dropped(api, host):
    error = _error(api.post_json("/api/tournaments", tournament_body(modee="scrim"), user=host), 422)
    assert "modee" in {str(p) for e in error["errors"] for p in e["loc"]}, error
    assert not Tournament.objects.exists()

    created = api.post_json("/api/tournaments", tournament_body(**ONE_ROUND), user=host).json()
    for field, value in (("format", "swiss"), ("mode", "scrim"), ("game", "valorant"), ("status", "ongoing")):
        error = _error(api.patch_json(f"/api/tournaments/{created['id']}", {field: value}, user=host), 422)
        assert field in {str(p) for e in error["errors"] for p in e["loc"]}, error
    unchanged = Tournament.objects.get(pk=created["id"])
    assert (unchanged.format, unchanged.mode, unchanged.game.slug, unchanged.status) == (
        "groups",
        "tournament",
        "bgmi",
        "draft",
    )
