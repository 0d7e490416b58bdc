"""Spectator, match and inbox topics through the real ASGI application."""

import json
import time

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
def host():
    return UserFactory(role="host", host_status="approved")


async def _connect(path: str, headers=ORIGIN) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _receive(communicator, channel: str, *, positions: bool = False) -> dict:
    """The next message; periodic position messages (they only repeat the seq) are skipped
    unless `positions`."""
    while True:
        message = assert_valid_message(channel, json.loads(await communicator.receive_from(timeout=5)))
        if positions or message["type"] != "position":
            return message


async def _closed_with(communicator) -> int:
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return output["code"]


def _started_tournament(api, host, teams: int = 2) -> tuple[dict, list, list[dict]]:
    tournament = create_published(api, host, max_teams=teams, group_size=teams, rounds_count=1, matches_per_group=3)
    squads = [make_team(4) for _ in range(teams)]
    for squad in squads:
        register(api, tournament["id"], squad)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    return tournament, squads, api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()


def _post_results(api, host, match: dict, order: list) -> None:
    body = [{"team_id": team.pk, "placement": place, "kills": place} for place, team in enumerate(order, start=1)]
    assert api.put_json(f"/api/matches/{match['id']}/results", body, user=host).status_code == 200


def test_spectators_get_a_snapshot_then_numbered_events(api, host):
    tournament, squads, matches = _started_tournament(api, host)

    async def scenario():
        spectator = await _connect(f"/ws/tournaments/{tournament['id']}/")
        snapshot = await _receive(spectator, "tournament")
        assert snapshot["type"] == "snapshot"
        assert snapshot["topic"] == f"tournament.{tournament['id']}"
        assert [row["points"] for row in snapshot["data"]["standings"]] == [0, 0]
        await sync_to_async(_post_results)(api, host, matches[0], [squads[1], squads[0]])
        result = await _receive(spectator, "tournament")
        standings = await _receive(spectator, "tournament")
        assert (result["type"], result["seq"]) == ("match.result", snapshot["seq"] + 1)
        assert (standings["type"], standings["seq"]) == ("standings.updated", snapshot["seq"] + 2)
        assert [row["team"]["id"] for row in standings["data"]["overall"]] == [squads[1].pk, squads[0].pk]
        await spectator.send_to(text_data=json.dumps({"type": "chat.send", "text": "hi"}))
        error = await _receive(spectator, "tournament")
        assert error["data"]["code"] == "read_only"
        await spectator.send_to(text_data="x" * 5000)
        assert (await _receive(spectator, "tournament"))["data"]["code"] == "frame_too_large"
        await spectator.disconnect()

    async_to_sync(scenario)()


def test_unknown_and_draft_tournaments_are_4404(api, host):
    draft = api.post_json(
        "/api/tournaments", {"game": "bgmi", "title": "Hidden", "starts_at": "2031-01-01T00:00:00Z"}, user=host
    ).json()

    async def scenario():
        for path in ("/ws/tournaments/999999/", f"/ws/tournaments/{draft['id']}/", "/ws/matches/999999/"):
            communicator = await _connect(path)
            assert await _closed_with(communicator) == 4404
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_resume_with_since_replays_missed_events_in_order(api, host):
    tournament, squads, matches = _started_tournament(api, host)
    path = f"/ws/tournaments/{tournament['id']}/"

    async def scenario():
        spectator = await _connect(path)
        snapshot = await _receive(spectator, "tournament")
        seen, epoch = snapshot["seq"], snapshot["epoch"]
        await spectator.disconnect()
        # Missed while away: two results, four events.
        await sync_to_async(_post_results)(api, host, matches[0], squads)
        await sync_to_async(_post_results)(api, host, matches[1], squads[::-1])
        back = await _connect(f"{path}?since={seen}&epoch={epoch}")
        replayed = [await _receive(back, "tournament") for _ in range(4)]
        assert [m["seq"] for m in replayed] == [seen + 1, seen + 2, seen + 3, seen + 4]
        assert [m["type"] for m in replayed] == ["match.result", "standings.updated"] * 2
        assert await back.receive_nothing(timeout=0.2)
        await back.disconnect()
        # Up to date: nothing to replay, and nothing else is sent.
        current = await _connect(f"{path}?since={seen + 4}&epoch={epoch}")
        assert await current.receive_nothing(timeout=0.2)
        await current.disconnect()
        # Too old (or from the future): a fresh snapshot instead.
        for since in (1, seen + 1000):
            stale = await _connect(f"{path}?since={since}&epoch={epoch}")
            snapshot = await _receive(stale, "tournament")
            assert (snapshot["type"], snapshot["seq"]) == ("snapshot", seen + 4)
            await stale.disconnect()

    async_to_sync(scenario)()


def test_match_topic_follows_one_match(api, host):
    _, squads, matches = _started_tournament(api, host)

    async def scenario():
        watcher = await _connect(f"/ws/matches/{matches[0]['id']}/")
        snapshot = await _receive(watcher, "match")
        assert (snapshot["type"], snapshot["data"]["status"]) == ("snapshot", "scheduled")
        await sync_to_async(api.patch_json)(f"/api/matches/{matches[0]['id']}", {"status": "ongoing"}, user=host)
        status = await _receive(watcher, "match")
        assert (status["type"], status["data"]["status"], status["seq"]) == (
            "match.status",
            "ongoing",
            snapshot["seq"] + 1,
        )
        await sync_to_async(_post_results)(api, host, matches[0], squads)
        result = await _receive(watcher, "match")
        assert result["type"] == "match.result"
        assert [r["team"]["id"] for r in result["data"]["results"]] == [squads[0].pk, squads[1].pk]
        assert "room_password" not in result["data"]
        await watcher.disconnect()

    async_to_sync(scenario)()


def test_inbox_needs_a_valid_single_use_ticket(api, settings):
    user = UserFactory()

    async def scenario():
        no_ticket = await _connect("/ws/me/")
        assert await _closed_with(no_ticket) == 4401
        await no_ticket.disconnect()
        bogus = await _connect("/ws/me/?ticket=not-a-ticket")
        assert await _closed_with(bogus) == 4401
        await bogus.disconnect()

        ticket = (await sync_to_async(api.post_json)("/api/realtime/ticket", user=user)).json()["ticket"]
        inbox = await _connect(f"/ws/me/?ticket={ticket}")
        snapshot = await _receive(inbox, "user")
        assert (snapshot["topic"], snapshot["data"]["unread"]) == (f"user.{user.pk}", 0)
        await inbox.disconnect()
        reused = await _connect(f"/ws/me/?ticket={ticket}")
        assert await _closed_with(reused) == 4401
        await reused.disconnect()

    async_to_sync(scenario)()
    assert api.post_json("/api/realtime/ticket").status_code == 401


def test_expired_ticket_is_rejected(settings):
    settings.REALTIME_TICKET_SECONDS = 1
    ticket = ticket_issue(user_id=UserFactory().pk)
    time.sleep(1.5)

    async def scenario():
        communicator = await _connect(f"/ws/me/?ticket={ticket}")
        assert await _closed_with(communicator) == 4401
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_public_topics_accept_clients_without_origin_authenticated_ones_need_a_ticket(api, host):
    """Native apps, bots and scripts send no Origin: they may watch public topics as anyone
    may; private topics still need a ticket from them, and a foreign Origin is refused."""
    tournament, _, matches = _started_tournament(api, host)
    user = UserFactory()

    async def scenario():
        public = [(f"/ws/tournaments/{tournament['id']}/", "tournament"), (f"/ws/matches/{matches[0]['id']}/", "match")]
        for path, channel in public:
            app_client = await _connect(path, headers=[])
            assert (await _receive(app_client, channel))["type"] == "snapshot"
            await app_client.disconnect()
            foreign = WebsocketCommunicator(application, path, headers=[(b"origin", b"https://evil.example")])
            assert not (await foreign.connect())[0]
        for path in ("/ws/me/", "/ws/chat/", f"/ws/lobbies/{tournament['id']}/"):
            refused = WebsocketCommunicator(application, path)
            assert not (await refused.connect())[0]
        ticket = await sync_to_async(ticket_issue)(user_id=user.pk)
        inbox = await _connect(f"/ws/me/?ticket={ticket}", headers=[])
        assert (await _receive(inbox, "user"))["type"] == "snapshot"
        await inbox.disconnect()

    async_to_sync(scenario)()


def test_notifications_are_pushed_and_listed(api, host):
    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1)
    squad = make_team(4)
    player = squad.memberships.exclude(user=squad.captain).first().user

    async def scenario():
        ticket = await sync_to_async(ticket_issue)(user_id=player.pk)
        inbox = await _connect(f"/ws/me/?ticket={ticket}")
        await _receive(inbox, "user")
        await sync_to_async(register)(api, tournament["id"], squad)
        pushed = await _receive(inbox, "user")
        assert (pushed["type"], pushed["data"]["kind"]) == ("notification", "registration_confirmed")
        await inbox.disconnect()
        return pushed["data"]["id"]

    notification_id = async_to_sync(scenario)()
    listed = api.get_json("/api/notifications?unread=true", user=player).json()
    assert [n["id"] for n in listed["items"]] == [notification_id]
    assert api.post_json("/api/notifications/read", {"ids": [notification_id, 999999]}, user=player).json() == {
        "marked": 1
    }
    assert api.get_json("/api/notifications?unread=true", user=player).json()["count"] == 0
    # Someone else's ids are ignored.
    assert api.post_json("/api/notifications/read", {"ids": [notification_id]}, user=host).json() == {"marked": 0}


def test_asyncapi_document_lists_every_route(api):
    document = api.get("/api/asyncapi.json").json()
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {
        "/ws/tournaments/{tournament_id}/",
        "/ws/matches/{match_id}/",
        "/ws/chat/",
        "/ws/lobbies/{tournament_id}/",
        "/ws/me/",
        "/ws/",
    }
    assert set(document["x-close-codes"]) == {"4401", "4403", "4404", "4408", "4429"}
    for code in ("bad_frame", "frame_too_large", "bad_json", "bad_message", "read_only", "flooding", "unavailable"):
        assert code in document["x-error-codes"]
    envelope = document["components"]["messages"]["tournament.snapshot"]["payload"]
    assert "epoch" in envelope["required"]
    assert {"tournament.position", "chat.position", "user.position"} <= set(document["components"]["messages"])


def test_host_announcements_reach_spectators(api, host):
    tournament, squads, _ = _started_tournament(api, host)

    async def scenario():
        spectator = await _connect(f"/ws/tournaments/{tournament['id']}/")
        snapshot = await _receive(spectator, "tournament")
        response = await sync_to_async(api.post_json)(
            f"/api/tournaments/{tournament['id']}/announcements", {"text": "  Lobby opens in 5 minutes "}, user=host
        )
        assert response.status_code == 202
        announcement = await _receive(spectator, "tournament")
        assert (announcement["type"], announcement["seq"]) == ("announcement", snapshot["seq"] + 1)
        assert announcement["data"]["text"] == "Lobby opens in 5 minutes"
        assert snapshot["data"]["announcements"] == []
        await spectator.disconnect()
        # A late joiner (or a client resynced by a snapshot) sees it too.
        late = await _connect(f"/ws/tournaments/{tournament['id']}/")
        recovered = await _receive(late, "tournament")
        assert recovered["data"]["announcements"] == [announcement["data"]]
        await late.disconnect()
        return announcement["data"]

    sent = async_to_sync(scenario)()
    listed = api.get_json(f"/api/tournaments/{tournament['id']}/announcements").json()
    assert listed["count"] == 1
    assert listed["items"][0]["text"] == sent["text"]
    assert listed["items"][0]["by"] == host.username
    assert api.get_json("/api/tournaments/999999/announcements").status_code == 404
    outsider = squads[0].captain
    assert (
        api.post_json(f"/api/tournaments/{tournament['id']}/announcements", {"text": "x"}, user=outsider).status_code
        == 403
    )
    assert (
        api.post_json(f"/api/tournaments/{tournament['id']}/announcements", {"text": ""}, user=host).status_code == 422
    )


def _drop(topic: str, n: int) -> None:
    """Number and buffer an event whose broadcast is lost, as a dropped pub/sub connection or
    a stalled process would lose it: the real append, its broadcast sent to a channel nobody hears."""
    from realtime.publish import buffer

    body = json.dumps(
        {"type": "registrations.count", "topic": topic, "ts": "2026-11-22T00:00:00+00:00", "data": {"count": n}}
    )
    store = buffer.get_buffer()
    if isinstance(store, buffer.RedisBuffer):
        position, events = buffer._keys(topic)
        args = [body, buffer.new_epoch(), buffer._base(), buffer.KEEP_EVENTS, buffer.KEEP_SECONDS]
        store._append(keys=[position, events, "arena:rt:pub:nobody"], args=args)
    else:
        store.append(topic, body)  # no deliver: no hub hears of it


def test_dropped_events_are_refilled_in_order(api, host, settings):
    """The next event reveals the hole by seq and the consumer refills it from the replay
    buffer, so the client still sees every event, in order."""
    from realtime.publish import publish

    settings.REALTIME_POSITION_SECONDS = 3600  # only the next event can reveal the hole here
    tournament, _, _ = _started_tournament(api, host)
    topic = f"tournament.{tournament['id']}"

    async def scenario():
        spectator = await _connect(f"/ws/tournaments/{tournament['id']}/")
        start = (await _receive(spectator, "tournament"))["seq"]
        await sync_to_async(lambda: [_drop(topic, n) for n in range(29)])()
        assert await spectator.receive_nothing(timeout=0.2)
        await sync_to_async(publish)(topic, "registrations.count", {"count": 29})
        received = [await _receive(spectator, "tournament") for _ in range(30)]
        assert [m["seq"] for m in received] == list(range(start + 1, start + 31))
        assert [m["data"]["count"] for m in received] == list(range(30))
        assert await spectator.receive_nothing(timeout=0.3)
        await spectator.disconnect()

    async_to_sync(scenario)()


def test_a_lost_tail_is_refilled_by_the_position_message_without_a_further_event(api, host, settings):
    """The last events of a burst are lost and nothing follows: the periodic position tells
    the consumer it is behind; it refills the tail, then the position message follows."""
    settings.REALTIME_POSITION_SECONDS = 0.2
    tournament, _, _ = _started_tournament(api, host)
    topic = f"tournament.{tournament['id']}"

    async def scenario():
        spectators = [await _connect(f"/ws/tournaments/{tournament['id']}/") for _ in range(2)]
        start = [(await _receive(s, "tournament"))["seq"] for s in spectators]
        assert start[0] == start[1]
        await sync_to_async(lambda: [_drop(topic, n) for n in range(5)])()
        for spectator in spectators:
            received = [await _receive(spectator, "tournament") for _ in range(5)]
            assert [m["seq"] for m in received] == list(range(start[0] + 1, start[0] + 6))
            position = await _receive(spectator, "tournament", positions=True)
            assert (position["type"], position["seq"], position["epoch"]) == (
                "position",
                start[0] + 5,
                received[-1]["epoch"],
            )
            assert position["data"] == {"spectators": 2}
        for spectator in spectators:
            await spectator.disconnect()

    async_to_sync(scenario)()


def test_room_details_are_released_to_the_lobby_only(api, host):
    tournament, squads, matches = _started_tournament(api, host)
    player = squads[0].memberships.exclude(user=squads[0].captain).first().user

    async def scenario():
        lobby = await _connect(
            f"/ws/lobbies/{tournament['id']}/?ticket={await sync_to_async(ticket_issue)(user_id=player.pk)}"
        )
        history = await _receive(lobby, "lobby")
        spectator = await _connect(f"/ws/tournaments/{tournament['id']}/")
        await _receive(spectator, "tournament")
        body = {"room_id": "4455", "room_password": "arena", "map_name": "Erangel"}
        assert (
            await sync_to_async(api.patch_json)(f"/api/matches/{matches[0]['id']}", body, user=host)
        ).status_code == 200
        room = await _receive(lobby, "lobby")
        assert (room["type"], room["seq"]) == ("lobby.room", history["seq"] + 1)
        assert (room["data"]["room_id"], room["data"]["room_password"]) == ("4455", "arena")
        assert await spectator.receive_nothing(timeout=0.3)
        await lobby.disconnect()
        await spectator.disconnect()

    async_to_sync(scenario)()


def test_a_deeply_nested_frame_is_refused_and_the_socket_stays_open(api, host):
    """3,000 nested `[` fit in the 4,096-byte frame limit but exhaust Python's recursion
    limit in json.loads: it must be refused like any malformed frame, not close 1011."""
    tournament, _, _ = _started_tournament(api, host)

    async def scenario():
        spectator = await _connect(f"/ws/tournaments/{tournament['id']}/")
        await _receive(spectator, "tournament")
        for bomb in ("[" * 3000, '{"":' * 1024):
            assert len(bomb.encode()) <= 4096
            await spectator.send_to(text_data=bomb)
            assert (await _receive(spectator, "tournament"))["data"]["code"] == "bad_json"
        await spectator.send_to(text_data=json.dumps({"type": "chat.send", "text": "still here"}))
        assert (await _receive(spectator, "tournament"))["data"]["code"] == "read_only"
        await spectator.disconnect()

    async_to_sync(scenario)()


def test_a_password_reset_closes_the_accounts_open_sockets_4401(api, host):
    """The README says a reset ends earlier sessions: sockets opened before it close at once
    (on every process: the recheck goes through Redis pub/sub), other users' stay open."""
    from accounts.services import password_reset_token_make

    user, other = UserFactory(), UserFactory()

    async def scenario():
        inbox = await _connect(f"/ws/me/?ticket={await sync_to_async(ticket_issue)(user_id=user.pk)}")
        chat = await _connect(f"/ws/chat/?ticket={await sync_to_async(ticket_issue)(user_id=user.pk)}")
        bystander = await _connect(f"/ws/me/?ticket={await sync_to_async(ticket_issue)(user_id=other.pk)}")
        await _receive(inbox, "user")
        await _receive(chat, "chat")
        await _receive(bystander, "user")
        token = await sync_to_async(password_reset_token_make)(user=user)
        response = await sync_to_async(api.post_json)(
            "/api/auth/password-reset/confirm", {"token": token, "password": "A-brand-new-pass-9"}
        )
        assert response.status_code == 200
        assert await _closed_with(inbox) == 4401
        assert await _closed_with(chat) == 4401
        assert await bystander.receive_nothing(timeout=0.3)
        for communicator in (inbox, chat, bystander):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_one_socket_follows_several_topics_exactly_as_single_topic_sockets_would(api, host):
    """/ws/ with a tournament, its lobby and the player's inbox receives what three
    single-topic sockets receive: the same events, texts, epochs and seqs, per topic."""
    tournament, squads, matches = _started_tournament(api, host)
    player = squads[0].memberships.exclude(user=squads[0].captain).first().user
    tid = tournament["id"]
    channels = {f"tournament.{tid}": "tournament", f"lobby.{tid}": "lobby", f"user.{player.pk}": "user"}

    async def frames(communicator, channel: str | None) -> list[dict]:
        received = []
        while not await communicator.receive_nothing(timeout=0.5):
            message = json.loads(await communicator.receive_from())
            received.append(assert_valid_message(channel or channels[message["topic"]], message))
            if channel is None:
                assert_valid_message("multi", message)
        return received

    async def scenario():
        async def ticket() -> str:
            return await sync_to_async(ticket_issue)(user_id=player.pk)

        singles = {
            f"tournament.{tid}": await _connect(f"/ws/tournaments/{tid}/"),
            f"lobby.{tid}": await _connect(f"/ws/lobbies/{tid}/?ticket={await ticket()}"),
            f"user.{player.pk}": await _connect(f"/ws/me/?ticket={await ticket()}"),
        }
        multi = await _connect(f"/ws/?ticket={await ticket()}")
        for topic in singles:
            await multi.send_to(text_data=json.dumps({"type": "subscribe", "topic": topic}))
        before = {topic: await frames(single, channels[topic]) for topic, single in singles.items()}
        together = await frames(multi, None)
        await sync_to_async(_post_results)(api, host, matches[0], squads)
        body = {"room_id": "4455", "room_password": "arena", "map_name": "Erangel"}
        await sync_to_async(api.patch_json)(f"/api/matches/{matches[1]['id']}", body, user=host)
        after = {topic: await frames(single, channels[topic]) for topic, single in singles.items()}
        together += await frames(multi, None)
        # Refused topics get an error on that topic; the socket stays.
        for topic, code in (
            ("tournament.999999", "no_such_topic"),
            (f"user.{host.pk}", "forbidden"),
            ("x", "no_such_topic"),
        ):
            await multi.send_to(text_data=json.dumps({"type": "subscribe", "topic": topic}))
            error = assert_valid_message("multi", json.loads(await multi.receive_from(timeout=5)))
            assert (error["type"], error["topic"], error["data"]["code"]) == ("error", topic, code)
        await multi.send_to(text_data=json.dumps({"type": "unsubscribe", "topic": f"tournament.{tid}"}))
        await multi.receive_nothing(timeout=0.3)
        await sync_to_async(_post_results)(api, host, matches[2], squads)
        assert [m["topic"] for m in await frames(multi, None)] == [f"user.{player.pk}"]
        for communicator in (*singles.values(), multi):
            await communicator.disconnect()
        return before, after, together

    before, after, together = async_to_sync(scenario)()
    for topic in channels:
        mine = [m for m in together if m["topic"] == topic]
        (snapshot,) = before[topic]
        assert (mine[0]["type"], mine[0]["epoch"], mine[0]["seq"]) == (
            snapshot["type"],
            snapshot["epoch"],
            snapshot["seq"],
        )
        assert mine[1:] == after[topic]
        assert after[topic], topic


def test_head_to_head_spectators_get_the_bracket_and_what_each_result_changed(api, host):
    tournament = create_published(
        api, host, game="efootball", format="single_elimination", max_teams=4, rounds_count=1, qualify_per_group=0
    )
    teams = [make_team(1) for _ in range(3)]  # three teams: the top seed has a bye into the final
    for team in teams:
        register(api, tournament["id"], team)
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    matches = {m["key"]: m for m in api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()}

    async def scenario():
        spectator = await _connect(f"/ws/tournaments/{tournament['id']}/")
        snapshot = await _receive(spectator, "tournament")
        data = snapshot["data"]
        assert [(r["name"], len(r["match_ids"])) for r in data["bracket_rounds"]] == [("Semi-finals", 2), ("Final", 1)]
        by_key = {m["key"]: m for m in data["matches"]}
        assert by_key["W1-2"]["winner_to"] == {"match_id": matches["W2-1"]["id"], "key": "W2-1", "side": "away"}
        assert (by_key["W2-1"]["home_team"]["id"], by_key["W2-1"]["home_seed"]) == (teams[0].pk, 1)
        semi = by_key["W1-2"]
        await sync_to_async(api.put_json)(
            f"/api/matches/{semi['id']}/results", {"home_score": 0, "away_score": 1}, user=host
        )
        received = {}
        while "bracket.updated" not in received:
            message = await _receive(spectator, "tournament")
            received[message["type"]] = message["data"]
        changed = {m["key"]: m for m in received["bracket.updated"]["matches"]}
        assert set(changed) == {"W1-2", "W2-1"}
        assert changed["W1-2"]["winner"]["id"] == teams[2].pk
        assert (changed["W2-1"]["away_team"]["id"], changed["W2-1"]["away_seed"]) == (teams[2].pk, 3)
        assert received["bracket.updated"]["bracket_rounds"] == data["bracket_rounds"]
        await spectator.disconnect()

    async_to_sync(scenario)()
