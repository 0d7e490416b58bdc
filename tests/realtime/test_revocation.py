"""Access revoked while sockets are open: removal from a team, leaving it, and a ban close the
affected sockets at once (4403 on the lobby, 4401 for a session), through the HTTP API and the
Django admin, as a client sees it on the real ASGI application."""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

from arena.asgi import application
from realtime.edge.tickets import ticket_issue
from tests.competitions.conftest import create_published, make_team, register
from tests.factories import UserFactory
from tests.realtime.asyncapi import assert_valid_message

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"http://localhost")]


@pytest.fixture(autouse=True)
def _games(games_catalog):
    pass


@pytest.fixture
def lobby(api):
    """A started tournament with two registered teams, and a match whose room details are out."""
    host = UserFactory(role="host", host_status="approved")
    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1, matches_per_group=1)
    squads = [make_team(4) for _ in range(2)]
    for squad in squads:
        register(api, tournament["id"], squad)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    room = {"room_id": "4455", "room_password": "arena"}
    assert api.patch_json(f"/api/matches/{match['id']}", room, user=host).status_code == 200
    team = squads[0]
    player = team.memberships.exclude(user=team.captain).first().user
    teammate = team.memberships.exclude(user__in=[team.captain, player]).first().user
    return {"id": tournament["id"], "host": host, "team": team, "player": player, "teammate": teammate, "match": match}


async def _open(path: str, user=None) -> WebsocketCommunicator:
    if user is not None:
        path += f"?ticket={await sync_to_async(ticket_issue)(user_id=user.pk)}"
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _receive(communicator, channel: str) -> dict:
    while True:
        message = assert_valid_message(channel, json.loads(await communicator.receive_from(timeout=5)))
        if message["type"] != "position":
            return message


async def _closed_with(communicator) -> int:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return output["code"]


def _sees_room(api, match: dict, user) -> bool:
    return api.get_json(f"/api/matches/{match['id']}", user=user).json()["room_password"] == "arena"


@pytest.mark.parametrize("removed_by", ["captain", "self"])
def test_leaving_or_being_removed_from_a_team_closes_its_lobby_sockets_4403(api, lobby, removed_by):
    """The roster row stays (results keep their players), but a player out of the team no longer
    takes part: the lobby socket closes with 4403, the same topic on /ws/ gets a `forbidden`
    error while the socket's other topics go on, and the room password is no longer shown."""
    tid, team, player, teammate = lobby["id"], lobby["team"], lobby["player"], lobby["teammate"]
    assert _sees_room(api, lobby["match"], player)

    async def scenario():
        single = await _open(f"/ws/lobbies/{tid}/", player)
        staying = await _open(f"/ws/lobbies/{tid}/", teammate)
        multi = await _open("/ws/", player)
        for topic in (f"lobby.{tid}", f"user.{player.pk}"):
            await multi.send_to(text_data=json.dumps({"type": "subscribe", "topic": topic}))
        for communicator, channel in ((single, "lobby"), (staying, "lobby"), (multi, "multi"), (multi, "multi")):
            assert (await _receive(communicator, channel))["type"] in ("chat.history", "snapshot")

        by = team.captain if removed_by == "captain" else player
        response = await sync_to_async(api.delete_json)(f"/api/teams/{team.pk}/members/{player.pk}", user=by)
        assert response.status_code == 204

        assert await _closed_with(single) == 4403
        error = await _receive(multi, "multi")
        assert (error["type"], error["topic"], error["data"]["code"]) == ("error", f"lobby.{tid}", "forbidden")
        assert await staying.receive_nothing(timeout=0.3)
        # The /ws/ socket itself stays open and serving.
        await multi.send_to(text_data=json.dumps({"type": "subscribe", "topic": f"tournament.{tid}"}))
        assert (await _receive(multi, "multi"))["type"] == "snapshot"
        again = await _open(f"/ws/lobbies/{tid}/", player)
        assert await _closed_with(again) == 4403
        for communicator in (single, staying, multi, again):
            await communicator.disconnect()

    async_to_sync(scenario)()
    assert not _sees_room(api, lobby["match"], player)
    assert _sees_room(api, lobby["match"], teammate)


def test_a_ban_in_the_admin_closes_every_authenticated_socket_4401(api, lobby):
    """The admin action "Deactivate (ban)" ends the user's open sockets, whatever the topic;
    a /ws/ socket that followed nothing at that moment is closed on its next subscribe."""
    tid, player, teammate = lobby["id"], lobby["player"], lobby["teammate"]

    async def scenario():
        sockets = {
            "lobby": await _open(f"/ws/lobbies/{tid}/", player),
            "user": await _open("/ws/me/", player),
            "chat": await _open("/ws/chat/", player),
        }
        idle = await _open("/ws/", player)
        bystander = await _open(f"/ws/lobbies/{tid}/", teammate)
        for channel, communicator in sockets.items():
            await _receive(communicator, channel)
        await _receive(bystander, "lobby")

        def ban():
            api.force_login(UserFactory(is_staff=True, is_superuser=True))
            changelist = "/admin/accounts/user/"
            response = api.post(changelist, {"action": "deactivate", "_selected_action": [player.pk]})
            assert response.status_code == 302, response.content

        await sync_to_async(ban)()
        for communicator in sockets.values():
            assert await _closed_with(communicator) == 4401
        await idle.send_to(text_data=json.dumps({"type": "subscribe", "topic": f"tournament.{tid}"}))
        assert await _closed_with(idle) == 4401
        assert await bystander.receive_nothing(timeout=0.3)
        for communicator in (*sockets.values(), idle, bystander):
            await communicator.disconnect()

    async_to_sync(scenario)()
    player.refresh_from_db()
    assert not player.is_active
