"""The overall standings of a multi-round battle royale: the final stage's order, then the teams that went
out in each earlier stage (latest first), so the declared winner is always rank 1."""

import pytest

from tests.competitions.conftest import create_published, make_team, register

pytestmark = pytest.mark.django_db


def _standings(api, tid: int, suffix: str = "") -> list[dict]:
    response = api.get_json(f"/api/tournaments/{tid}/standings{suffix}")
    assert response.status_code == 200, response.content
    return response.json()


def _lobbies(api, tid: int, number: int) -> tuple[dict[str, list[int]], list[dict]]:
    current = next(r for r in api.get_json(f"/api/tournaments/{tid}/rounds").json() if r["number"] == number)
    return {g["name"]: [t["id"] for t in g["teams"]] for g in current["groups"]}, current["matches"]


def _post(api, host, match: dict, order: list[int], kills: dict[int, int] | None = None) -> None:
    body = [
        {"team_id": team, "placement": place, "kills": (kills or {}).get(team, 0)}
        for place, team in enumerate(order, start=1)
    ]
    response = api.put_json(f"/api/matches/{match['id']}/results", body, user=host)
    assert response.status_code == 200, response.content


def test_three_round_overall_follows_the_stages_not_the_sum_of_points(api, host):
    tournament = create_published(
        api, host, max_teams=8, group_size=4, rounds_count=3, qualify_per_group=2, matches_per_group=1
    )
    tid = tournament["id"]
    for _ in range(8):
        assert register(api, tid, make_team(4)).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200

    lobbies, matches = _lobbies(api, tid, 1)
    (a0, a1, a2, a3), (b0, b1, b2, b3) = lobbies["A"], lobbies["B"]
    by_group = {m["group"]: m for m in matches}
    _post(api, host, by_group["A"], [a0, a1, a2, a3], kills={a0: 20})  # a0: 15 + 20 points
    _post(api, host, by_group["B"], [b0, b1, b2, b3])
    # One stage so far: overall is round 1's table.
    assert [r["team"]["id"] for r in _standings(api, tid)] == [
        r["team"]["id"] for r in _standings(api, tid, "?round=1")
    ]
    assert api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host).status_code == 200

    # Round 2 has begun and nobody in it has played: its four teams lead, unranked (0, as round 2's own
    # table), above round 1's leavers, who keep their places from 5 down.
    overall = _standings(api, tid)
    assert {r["team"]["id"] for r in overall[:4]} == {a0, a1, b0, b1}
    assert [r["rank"] for r in overall] == [0, 0, 0, 0, 5, 5, 7, 7]
    assert overall[4]["decided_by"] == "stage"

    _, (semi,) = _lobbies(api, tid, 2)
    _post(api, host, semi, [b0, a0, a1, b1])
    assert api.post_json(f"/api/tournaments/{tid}/rounds/2/advance", user=host).status_code == 200
    _, (final,) = _lobbies(api, tid, 3)
    _post(api, host, final, [b0, a0])

    detail = api.get_json(f"/api/tournaments/{tid}").json()
    assert detail["status"] == "completed"
    assert (detail["winner"]["id"], detail["runner_up"]["id"]) == (b0, a0)

    overall = _standings(api, tid)
    # Summed over the rounds a0 leads (35 + 12 + 12 = 59 against b0's 15 + 15 + 15 = 45): the bug.
    assert overall[0]["team"]["id"] == b0 == detail["winner"]["id"]
    round_one_tied = [sorted([a2, b2]), sorted([a3, b3])]
    assert [r["team"]["id"] for r in overall] == [b0, a0, a1, b1, *round_one_tied[0], *round_one_tied[1]]
    assert [r["rank"] for r in overall] == [1, 2, 3, 4, 5, 5, 7, 7]
    assert [r["decided_by"] for r in overall] == [None, None, "stage", None, "stage", "tied", None, "tied"]
    # Each team shows the totals of the round it finished in.
    assert [(r["points"], r["kills"], r["matches_played"]) for r in overall[:4]] == [
        (15, 0, 1),
        (12, 0, 1),
        (10, 0, 1),
        (8, 0, 1),
    ]
    assert {r["points"] for r in overall[4:6]} == {10}
    assert {r["points"] for r in overall[6:]} == {8}
    # The live feed's table is the same one.
    from competitions.selectors import standings_table

    assert standings_table(tournament_id=tid) == overall


def test_a_correction_in_the_final_reorders_the_overall_top(api, host):
    tournament = create_published(
        api, host, max_teams=4, group_size=4, rounds_count=2, qualify_per_group=2, matches_per_group=2
    )
    tid = tournament["id"]
    for _ in range(4):
        assert register(api, tid, make_team(4)).status_code == 201
    api.post_json(f"/api/tournaments/{tid}/start", user=host)
    lobbies, firsts = _lobbies(api, tid, 1)
    a, b, c, d = lobbies["A"]
    for first in firsts:
        _post(api, host, first, [a, b, c, d], kills={a: 30})
    api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host)
    _, (final, _) = _lobbies(api, tid, 2)
    _post(api, host, final, [a, b])
    assert [r["team"]["id"] for r in _standings(api, tid)] == [a, b, c, d]
    _post(api, host, final, [b, a])  # corrected: b won that match
    overall = _standings(api, tid)
    assert [r["team"]["id"] for r in overall] == [b, a, c, d]
    assert [(r["rank"], r["points"], r["wins"]) for r in overall[:2]] == [(1, 15, 1), (2, 12, 0)]
