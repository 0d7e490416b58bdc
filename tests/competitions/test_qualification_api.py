"""Qualification math through the public edges: REST standings rows, the WebSocket tournament topic
(snapshot and standings.updated) and the spectator page.

One group of four, top two go through, table 10-6-3-0 and no kill points, three matches. After two
matches A (1st twice) has 20, B 12, C 6, D 0, one match left (hand-computed from the rules):
* A: the most B can make is 22 and nobody else reaches 20: qualified, worst rank 2.
* B: C can pass it only if B scores less than 6 (C makes 16 at most): needs 6 (2nd place).
* C: at most 16, below A's 20; it goes through only if B stays at 15 or less: alive, no score is enough.
* D: at most 10, below A and B: eliminated.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from arena.asgi import application
from tests.competitions.conftest import create_published, make_team, register
from tests.conftest import ApiClient
from tests.factories import UserFactory

ORIGIN = [(b"origin", b"http://localhost")]


def _group_after_two_matches(api, host):
    tid = create_published(
        api, host, max_teams=4, group_size=4, rounds_count=2, qualify_per_group=2, matches_per_group=3,
        points_table=[10, 6, 3, 0], kill_points=0,
    )["id"]  # fmt: skip
    squads = [make_team(4) for _ in range(4)]
    for squad in squads:
        assert register(api, tid, squad).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    matches = api.get_json(f"/api/tournaments/{tid}/matches").json()
    order = [squad.pk for squad in squads]  # A, B, C, D
    for match in matches[:2]:
        body = [{"team_id": team_id, "placement": place, "kills": 3} for place, team_id in enumerate(order, start=1)]
        assert api.put_json(f"/api/matches/{match['id']}/results", body, user=host).status_code == 200
    return tid, order, matches


EXPECTED = [
    {"status": "qualified", "best_rank": 1, "worst_rank": 2, "points_needed": 0},
    {"status": "alive", "best_rank": 1, "worst_rank": 3, "points_needed": 6},
    {"status": "alive", "best_rank": 2, "worst_rank": 4, "points_needed": None},
    {"status": "eliminated", "best_rank": 3, "worst_rank": 4, "points_needed": None},
]


@pytest.mark.django_db
def test_rest_rows_carry_the_qualification_of_each_team(api, host):
    tid, order, matches = _group_after_two_matches(api, host)
    group = api.get_json(f"/api/tournaments/{tid}/standings?round=1&group=A").json()
    assert [row["team"]["id"] for row in group] == order
    assert [row["qualification"] for row in group] == EXPECTED
    overall = api.get_json(f"/api/tournaments/{tid}/standings").json()
    assert [row["qualification"] for row in overall] == EXPECTED

    # The last match decides (C wins, B third: 15 against C's 16), and the next standings read shows it.
    a, b, c, d = order
    body = [{"team_id": t, "placement": p, "kills": 0} for t, p in ((c, 1), (a, 2), (b, 3), (d, 4))]
    assert api.put_json(f"/api/matches/{matches[2]['id']}/results", body, user=host).status_code == 200
    group = {row["team"]["id"]: row["qualification"] for row in api.get_json(
        f"/api/tournaments/{tid}/standings?round=1&group=A").json()}  # fmt: skip
    assert [group[t]["status"] for t in order] == ["qualified", "eliminated", "qualified", "eliminated"]
    assert [(group[t]["best_rank"], group[t]["worst_rank"]) for t in order] == [(1, 1), (3, 3), (2, 2), (4, 4)]

    # The final round has no places to qualify for: ranks only.
    assert api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host).status_code == 200
    final = api.get_json(f"/api/tournaments/{tid}/standings?round=2&group=A").json()
    assert {row["qualification"]["status"] for row in final} == {None}
    assert all(row["qualification"]["worst_rank"] == 2 for row in final)


@pytest.mark.django_db
def test_an_extra_or_cancelled_match_moves_the_outlook(api, host):
    """Two matches left instead of one: B could make 32 and pass A's 20, so A is no longer safe;
    cancelling the extra match makes A qualified again."""
    tid, order, _ = _group_after_two_matches(api, host)
    group_id = api.get_json(f"/api/tournaments/{tid}/rounds").json()[0]["groups"][0]["id"]

    def status_of_a() -> str:
        rows = api.get_json(f"/api/tournaments/{tid}/standings?round=1&group=A").json()
        return next(row["qualification"]["status"] for row in rows if row["team"]["id"] == order[0])

    assert status_of_a() == "qualified"
    extra = api.post_json(f"/api/tournaments/{tid}/matches", {"group_id": group_id}, user=host)
    assert extra.status_code == 201, extra.content
    assert status_of_a() == "alive"
    cancelled = api.patch_json(f"/api/matches/{extra.json()['id']}", {"status": "cancelled"}, user=host)
    assert cancelled.status_code == 200, cancelled.content
    assert status_of_a() == "qualified"


@pytest.mark.django_db
def test_head_to_head_rows_have_no_qualification(api, host):
    tid = create_published(
        api, host, game="efootball", format="round_robin", max_teams=3, rounds_count=1, qualify_per_group=0
    )["id"]
    for squad in [make_team(1) for _ in range(3)]:
        assert register(api, tid, squad).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    assert {row["qualification"] for row in api.get_json(f"/api/tournaments/{tid}/standings").json()} == {None}


@pytest.mark.requires_postgres
@pytest.mark.requires_redis
@pytest.mark.django_db(transaction=True)
def test_websocket_rows_and_spectator_page_carry_it(games_catalog):
    host = UserFactory(role="host", host_status="approved")
    api = ApiClient()
    tid, _, _ = _group_after_two_matches(api, host)

    async def snapshot() -> dict:
        communicator = WebsocketCommunicator(application, f"/ws/tournaments/{tid}/", headers=ORIGIN)
        connected, _ = await communicator.connect()
        assert connected
        message = json.loads(await communicator.receive_from())
        await communicator.disconnect()
        return message

    message = async_to_sync(snapshot)()
    assert message["type"] == "snapshot"
    assert [row["qualification"] for row in message["data"]["standings"]] == EXPECTED

    page = api.get(f"/live/tournaments/{tid}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-qualification="qualified"' in html
    assert 'data-qualification="eliminated"' in html
    assert "Needs 6 pts" in html


def _capped_group(api, host, **scoring):
    """The group above with 1 point per kill capped at 2 (kills 3 count 2): after two matches A 24,
    B 16, C 10, D 4, and one match worth at most 12 (10 + 2) left."""
    tid = create_published(
        api, host, max_teams=4, group_size=4, rounds_count=2, qualify_per_group=2, matches_per_group=3,
        points_table=[10, 6, 3, 0], kill_points=1, scoring={"kill_cap": 2, **scoring},
    )["id"]  # fmt: skip
    squads = [make_team(4) for _ in range(4)]
    registrations = [register(api, tid, squad).json()["id"] for squad in squads]
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    matches = api.get_json(f"/api/tournaments/{tid}/matches").json()
    order = [squad.pk for squad in squads]
    for match in matches[:2]:
        body = [{"team_id": team_id, "placement": place, "kills": 3} for place, team_id in enumerate(order, start=1)]
        assert api.put_json(f"/api/matches/{match['id']}/results", body, user=host).status_code == 200
    return tid, order, registrations


def _outlooks(api, tid) -> list:
    return [row["qualification"] for row in api.get_json(f"/api/tournaments/{tid}/standings?round=1&group=A").json()]


@pytest.mark.django_db
def test_the_outlook_follows_the_tournaments_scoring_rules(api, host):
    # With the kill cap only B (28 at most) can pass A's 24: A is through a match early. Without the
    # cap anyone could (1,000 kills), as the first test's uncapped twin shows.
    tid, order, registrations = _capped_group(api, host)
    outlooks = _outlooks(api, tid)
    assert outlooks[0] == {"status": "qualified", "best_rank": 1, "worst_rank": 2, "points_needed": 0}
    # D: 4 + 12 = 16 at most, level with B if B does not show: alive, but no score guarantees it.
    assert (outlooks[3]["status"], outlooks[3]["points_needed"]) == ("alive", None)

    # A disqualified team plays no further match: it has no outlook, and the others' are computed without it.
    disqualified = api.post_json(f"/api/tournaments/{tid}/registrations/{registrations[1]}/disqualify", user=host)
    assert disqualified.status_code == 200, disqualified.content
    rows = {row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tid}/standings?round=1&group=A").json()}
    assert rows[order[1]]["status"] == "disqualified"
    assert rows[order[1]]["qualification"] is None
    assert rows[order[0]]["qualification"]["worst_rank"] == 1  # only B could have passed A


@pytest.mark.django_db
def test_best_of_scoring_has_no_outlook(api, host):
    """Best-N: a later match can replace an earlier one, so points are not additive: no claim is made."""
    tid, _, _ = _capped_group(api, host, best_of=2)
    assert _outlooks(api, tid) == [None] * 4
