"""A dispute end to end over HTTP and WebSocket: captains report over REST, the lobby (host and players,
real socket connections through arena.asgi.application) sees each report, the dispute opening and its
resolution, every message checked against the AsyncAPI document."""

from asgiref.sync import sync_to_async

from tests.competitions.test_reports import start_h2h
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.realtime.test_chat import join, receive_type, scenario


@scenario
async def test_a_dispute_flows_through_the_lobby(games_catalog):
    api = ApiClient()
    host = await sync_to_async(UserFactory)(role="host", host_status="approved")
    tournament, teams, match = await sync_to_async(start_h2h)(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    path = f"/ws/lobbies/{tournament['id']}/"
    host_socket, _ = await join(path, host)
    player_socket, _ = await join(path, away.captain)
    try:
        post = sync_to_async(api.post_json)
        assert (await post(f"/api/matches/{match['id']}/reports", {"home_score": 3, "away_score": 1},
                           user=home.captain)).status_code == 200  # fmt: skip
        for socket in (host_socket, player_socket):
            submitted = await receive_type(socket, "report.submitted")
            assert submitted["data"]["match_id"] == match["id"]
            assert submitted["data"]["report"]["team_id"] == home.pk
            assert (submitted["data"]["report"]["home_score"], submitted["data"]["report"]["away_score"]) == (3, 1)

        assert (await post(f"/api/matches/{match['id']}/reports", {"home_score": 1, "away_score": 3},
                           user=away.captain)).status_code == 200  # fmt: skip
        for socket in (host_socket, player_socket):
            assert (await receive_type(socket, "report.submitted"))["data"]["report"]["team_id"] == away.pk
            opened = await receive_type(socket, "dispute.opened")
            assert opened["data"]["match_id"] == match["id"]
            assert opened["data"]["opened_by"] is None
            assert {r["team_id"] for r in opened["data"]["reports"]} == {home.pk, away.pk}
        dispute_id = opened["data"]["id"]

        resolved = await post(f"/api/disputes/{dispute_id}/resolve", {"home_score": 3, "away_score": 1}, user=host)
        assert resolved.status_code == 200, resolved.content
        for socket in (host_socket, player_socket):
            message = await receive_type(socket, "dispute.resolved")
            assert message["data"]["id"] == dispute_id
            assert message["data"]["resolution"] == "entered"
            assert message["data"]["resolved_by"] == host.pk
            assert message["data"]["result"] == {"home_score": 3, "away_score": 1}
        match_now = (await sync_to_async(api.get_json)(f"/api/matches/{match['id']}")).json()
        assert (match_now["status"], match_now["home_score"], match_now["away_score"]) == ("completed", 3, 1)
    finally:
        await host_socket.disconnect()
        await player_socket.disconnect()


@scenario
async def test_agreement_is_announced_as_confirmed(games_catalog):
    api = ApiClient()
    host = await sync_to_async(UserFactory)(role="host", host_status="approved")
    tournament, teams, match = await sync_to_async(start_h2h)(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    socket, _ = await join(f"/ws/lobbies/{tournament['id']}/", host)
    try:
        for team in (home, away):
            response = await sync_to_async(api.post_json)(
                f"/api/matches/{match['id']}/reports", {"home_score": 0, "away_score": 2}, user=team.captain
            )
            assert response.status_code == 200
            await receive_type(socket, "report.submitted")
        confirmed = await receive_type(socket, "report.confirmed")
        assert confirmed["data"] == {"match_id": match["id"], "home_score": 0, "away_score": 2}
    finally:
        await socket.disconnect()
