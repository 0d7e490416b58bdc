"""One schema per thing: a standings row and a match are the same JSON over REST and WebSocket,
and the AsyncAPI document describes them with the OpenAPI document's own schemas."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import Client

from tests.factories import UserFactory
from tests.realtime.asyncapi import assert_valid_message
from tests.realtime.test_topics import _connect, _post_results, _receive, _started_tournament

pytestmark = pytest.mark.django_db(transaction=True)
ROOM = ("room_id", "room_password")


@pytest.fixture(autouse=True)
def _games(games_catalog):
    pass


def _spectator_match(api, match_id: int) -> dict:
    """GET /api/matches/{id} as an anonymous spectator: no room details, otherwise the WebSocket shape."""
    match = api.get_json(f"/api/matches/{match_id}").json()
    assert [match.pop(key) for key in ROOM] == [None, None]
    return match


def test_rest_and_websocket_standings_rows_and_matches_are_the_same_json(api):
    host = UserFactory(role="host", host_status="approved")
    tournament, squads, matches = _started_tournament(api, host)
    tid = tournament["id"]
    _post_results(api, host, matches[0], [squads[1], squads[0]])

    async def scenario():
        spectator = await _connect(f"/ws/tournaments/{tid}/")
        snapshot = (await _receive(spectator, "tournament"))["data"]
        rest = (await sync_to_async(api.get_json)(f"/api/tournaments/{tid}/standings")).json()
        assert snapshot["standings"] == rest
        assert [row["team"]["id"] for row in rest] == [squads[1].pk, squads[0].pk]
        assert rest[0]["team"] == {"id": squads[1].pk, "name": squads[1].name, "tag": squads[1].tag}
        assert rest[0]["team_id"] == squads[1].pk  # deprecated, kept for clients of the old WebSocket row
        for match in snapshot["matches"]:
            assert match == await sync_to_async(_spectator_match)(api, match["id"])

        watcher = await _connect(f"/ws/matches/{matches[1]['id']}/")
        match_snapshot = (await _receive(watcher, "match"))["data"]
        assert match_snapshot.pop("spectators") >= 1
        assert match_snapshot == await sync_to_async(_spectator_match)(api, matches[1]["id"])

        await sync_to_async(_post_results)(api, host, matches[1], squads)
        assert (await _receive(spectator, "tournament"))["type"] == "match.result"
        updated = await _receive(spectator, "tournament")
        assert updated["type"] == "standings.updated"
        rest = (await sync_to_async(api.get_json)(f"/api/tournaments/{tid}/standings")).json()
        assert updated["data"]["overall"] == rest
        result = await _receive(watcher, "match")
        assert result["type"] == "match.result"
        assert result["data"] == await sync_to_async(_spectator_match)(api, matches[1]["id"])
        assert [row["placement_points"] > 0 for row in result["data"]["results"]] == [True, True]
        await watcher.disconnect()
        await spectator.disconnect()

    async_to_sync(scenario)()


def test_the_asyncapi_row_and_match_schemas_are_the_openapi_ones():
    openapi = Client().get("/api/openapi.json").json()
    rest, ws = openapi["components"]["schemas"], Client().get("/api/asyncapi.json").json()["components"]["schemas"]
    for name in ("StandingRow", "TeamRef", "MatchResultRow"):
        assert ws[name] == rest[name], name
    assert rest["StandingRow"]["properties"]["team_id"]["deprecated"] is True
    standings = openapi["paths"]["/api/tournaments/{tournament_id}/standings"]["get"]["responses"]["200"]
    assert standings["content"]["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/StandingRow"}
    assert ws["StandingsUpdated"]["properties"]["overall"]["items"] == {"$ref": "#/components/schemas/StandingRow"}
    # REST's MatchOut is the WebSocket MatchState plus the room details (for the host and players only).
    match_out, match_state = rest["MatchOut"], ws["MatchState"]
    assert {k: v for k, v in match_out["properties"].items() if k not in ROOM} == match_state["properties"]
    assert match_out["required"] == match_state["required"]


def test_the_old_websocket_row_shape_is_no_longer_documented():
    old_row = {"rank": 1, "team_id": 1, "team": "Owls", "points": 0, "wins": 0, "kills": 0, "matches_played": 0}
    frame = {"type": "standings.updated", "topic": "tournament.1", "epoch": "e", "seq": 1, "ts": "2030-01-01T00:00:00Z"}
    with pytest.raises(AssertionError, match="does not match"):
        assert_valid_message("tournament", {**frame, "data": {"overall": [{**old_row, "decided_by": None}]}})
