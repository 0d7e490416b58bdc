import random
from collections import defaultdict

import pytest
from django.core import mail

from competitions.models import ResultAudit, Tournament
from tests.competitions.conftest import create_published, make_team, register

pytestmark = pytest.mark.django_db

BGMI = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]


def _points(placement: int, kills: int) -> tuple[int, int]:
    placement_points = BGMI[placement - 1] if placement <= len(BGMI) else 0
    return placement_points, placement_points + kills


def _expected_order(raw: list[tuple[int, int, int, int]]) -> list[int]:
    """Independent ranking from raw (match_number, team, placement, kills) rows."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    latest: dict[int, dict[int, int]] = defaultdict(dict)
    for number, team, placement, kills in raw:
        placement_points, points = _points(placement, kills)
        row = totals[team]
        row[0] += points
        row[1] += placement == 1
        row[2] += placement_points
        row[3] += kills
        latest[team][number] = placement

    def key(team: int):
        points, wins, placement_points, kills = totals[team]
        return (-points, -wins, -placement_points, -kills)

    order = sorted(totals, key=key)
    # Latest-match tie-break for teams equal on every aggregate (rare with these seeds; checked anyway).
    for i in range(len(order) - 1):
        a, b = order[i], order[i + 1]
        if key(a) == key(b):
            shared = set(latest[a]) & set(latest[b])
            if shared and latest[b][max(shared)] < latest[a][max(shared)]:
                order[i], order[i + 1] = b, a
    return order


def test_sixteen_team_two_round_bgmi_tournament_end_to_end(api, host, django_capture_on_commit_callbacks):
    rng = random.Random(20261122)
    tournament = create_published(api, host)
    tid = tournament["id"]
    assert tournament["status"] == "registration_open"
    teams = [make_team(4) for _ in range(16)]
    for team in teams:
        response = register(api, tid, team)
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "confirmed"
    assert api.get_json(f"/api/tournaments/{tid}").json()["registered_teams"] == 16

    started = api.post_json(f"/api/tournaments/{tid}/start", user=host)
    assert started.status_code == 200, started.content
    assert started.json()["status"] == "ongoing"

    raw: list[tuple[int, int, int, int]] = []
    final_round_raw: list[tuple[int, int, int, int]] = []

    def play_round(number: int) -> None:
        rounds = api.get_json(f"/api/tournaments/{tid}/rounds").json()
        current = next(r for r in rounds if r["number"] == number)
        lobby = {group["name"]: [team["id"] for team in group["teams"]] for group in current["groups"]}
        for match in current["matches"]:
            members = lobby[match["group"]][:]
            rng.shuffle(members)
            results = [
                {"team_id": team_id, "placement": place, "kills": rng.randint(0, 12)}
                for place, team_id in enumerate(members, start=1)
            ]
            with django_capture_on_commit_callbacks(execute=True):
                response = api.put_json(f"/api/matches/{match['id']}/results", results, user=host)
            assert response.status_code == 200, response.content
            assert response.json()["status"] == "completed"
            rows = [(match["number"], r["team_id"], r["placement"], r["kills"]) for r in results]
            raw.extend(rows)
            if number == 2:
                final_round_raw.extend(rows)

    play_round(1)
    rounds = api.get_json(f"/api/tournaments/{tid}/rounds").json()
    assert [len(group["teams"]) for group in rounds[0]["groups"]] == [8, 8]
    group_tables = {
        name: api.get_json(f"/api/tournaments/{tid}/standings?round=1&group={name}").json() for name in ("A", "B")
    }
    advanced = api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host)
    assert advanced.status_code == 200, advanced.content
    finalists = {team["id"] for team in advanced.json()["groups"][0]["teams"]}
    assert finalists == {row["team"]["id"] for table in group_tables.values() for row in table[:4]}
    assert api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host).status_code == 409

    play_round(2)

    detail = api.get_json(f"/api/tournaments/{tid}").json()
    assert detail["status"] == "completed"
    expected_final = _expected_order(final_round_raw)
    assert [detail["winner"]["id"], detail["runner_up"]["id"], detail["third_place"]["id"]] == expected_final[:3]

    # Overall: the final round's order, then the teams that went out in round 1 in their round-1 order,
    # each with the totals of the round it finished in.
    overall = api.get_json(f"/api/tournaments/{tid}/standings").json()
    first_round_raw = [row for row in raw if row not in final_round_raw]
    went_out = [team for team in _expected_order(first_round_raw) if team not in finalists]
    assert [row["team"]["id"] for row in overall] == expected_final + went_out
    assert overall[0]["team"]["id"] == detail["winner"]["id"]
    assert overall[len(finalists)]["decided_by"] == "stage"
    by_team = {row["team"]["id"]: row for row in overall}
    for team_id in by_team:
        mine = [r for r in (final_round_raw if team_id in finalists else first_round_raw) if r[1] == team_id]
        assert by_team[team_id]["points"] == sum(_points(p, k)[1] for _, _, p, k in mine)
        assert by_team[team_id]["kills"] == sum(k for *_, k in mine)
        assert by_team[team_id]["matches_played"] == len(mine)
    # Every rostered player hears about the result.
    assert len([m for m in mail.outbox if "final results" in m.subject]) == 16 * 4


def test_invalid_results_are_422_and_change_nothing(api, host):
    tournament = create_published(api, host, max_teams=4, group_size=4, rounds_count=1, qualify_per_group=0)
    teams = [make_team(4) for _ in range(4)]
    for team in teams:
        register(api, tournament["id"], team)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    ids = [team.pk for team in teams]
    good = [{"team_id": t, "placement": i + 1, "kills": 1} for i, t in enumerate(ids)]
    bad_bodies = {
        "duplicate placement": [{**good[0]}, {**good[1], "placement": 1}, good[2], good[3]],
        "unknown team": [*good[:3], {"team_id": 999999, "placement": 4, "kills": 0}],
        "negative kills": [*good[:3], {**good[3], "kills": -1}],
        "missing team": good[:3],
        "placement beyond lobby": [*good[:3], {**good[3], "placement": 9}],
        "head-to-head shape": {"home_score": 1, "away_score": 0},
    }
    for label, body in bad_bodies.items():
        response = api.put_json(f"/api/matches/{match['id']}/results", body, user=host)
        assert response.status_code == 422, (label, response.content)
        assert isinstance(response.json()["detail"], str)
    standings = api.get_json(f"/api/tournaments/{tournament['id']}/standings").json()
    assert all(row["points"] == 0 and row["matches_played"] == 0 for row in standings)

    absent = [*good[:3], {"team_id": ids[3], "absent": True}]
    assert api.put_json(f"/api/matches/{match['id']}/results", absent, user=host).status_code == 200
    standings = {
        row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tournament['id']}/standings").json()
    }
    assert standings[ids[3]]["matches_played"] == 0
    assert standings[ids[0]]["points"] == 15 + 1


def test_correction_replaces_results_and_is_audited(api, host):
    tournament = create_published(api, host, max_teams=3, group_size=3, rounds_count=1, matches_per_group=2)
    teams = [make_team(4) for _ in range(3)]
    for team in teams:
        register(api, tournament["id"], team)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    first = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    a, b, c = (team.pk for team in teams)
    url = f"/api/matches/{first['id']}/results"
    api.put_json(url, [{"team_id": a, "placement": 1, "kills": 5}, {"team_id": b, "placement": 2, "kills": 0},
                       {"team_id": c, "placement": 3, "kills": 0}], user=host)  # fmt: skip
    corrected = api.put_json(
        url,
        [{"team_id": b, "placement": 1, "kills": 2}, {"team_id": a, "placement": 2, "kills": 5},
         {"team_id": c, "placement": 3, "kills": 0}],
        user=host,
    )  # fmt: skip
    assert corrected.status_code == 200
    standings = {
        row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tournament['id']}/standings").json()
    }
    assert (standings[b]["points"], standings[b]["wins"], standings[b]["rank"]) == (17, 1, 1)
    assert (standings[a]["points"], standings[a]["wins"]) == (12 + 5, 0)
    assert standings[a]["rank"] == 2
    assert standings[a]["decided_by"] == "wins"
    audits = ResultAudit.objects.filter(match_id=first["id"]).order_by("created_at")
    assert [audit.before is None for audit in audits] == [True, False]
    assert audits[1].before["results"][0] == {"team_id": a, "placement": 1, "kills": 5}
    assert audits[1].actor_id == host.pk


def test_only_the_host_writes(api, host):
    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1)
    teams = [make_team(4) for _ in range(2)]
    for team in teams:
        register(api, tournament["id"], team)
    outsider = teams[0].captain
    tid = tournament["id"]
    assert api.patch_json(f"/api/tournaments/{tid}", {"title": "Mine now"}, user=outsider).status_code == 403
    assert api.post_json(f"/api/tournaments/{tid}/start", user=outsider).status_code == 403
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    match = api.get_json(f"/api/tournaments/{tid}/matches").json()[0]
    body = [{"team_id": t.pk, "placement": i + 1, "kills": 0} for i, t in enumerate(teams)]
    assert api.put_json(f"/api/matches/{match['id']}/results", body, user=outsider).status_code == 403
    assert api.patch_json(f"/api/matches/{match['id']}", {"room_id": "x"}, user=outsider).status_code == 403
    assert api.delete_json(f"/api/tournaments/{tid}", user=outsider).status_code == 403


def test_room_details_only_for_host_and_registered_players(api, host):
    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1)
    teams = [make_team(4) for _ in range(2)]
    for team in teams:
        register(api, tournament["id"], team)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    response = api.patch_json(
        f"/api/matches/{match['id']}", {"room_id": "123456", "room_password": "pw", "map_name": "Erangel"}, user=host
    )
    assert response.status_code == 200
    player = teams[1].memberships.exclude(user=teams[1].captain).first().user
    assert api.get_json(f"/api/matches/{match['id']}", user=player).json()["room_password"] == "pw"
    anonymous = api.get_json(f"/api/matches/{match['id']}").json()
    assert (anonymous["room_id"], anonymous["room_password"], anonymous["map_name"]) == (None, None, "Erangel")
    from tests.factories import UserFactory

    assert api.get_json(f"/api/matches/{match['id']}", user=UserFactory()).json()["room_id"] is None


def test_tournament_list_is_filtered_and_featured_first(api, host):
    create_published(api, host, title="Basic Cup")
    create_published(api, host, title="Premium Cup", listing_plan="premium")
    create_published(api, host, title="Featured Cup", listing_plan="featured", game="free-fire")
    draft = api.post_json("/api/tournaments", {**_body(), "title": "Secret Draft"}, user=host).json()
    titles = [t["title"] for t in api.get_json("/api/tournaments").json()["items"]]
    assert titles == ["Premium Cup", "Featured Cup", "Basic Cup"]
    assert "Secret Draft" in [t["title"] for t in api.get_json("/api/tournaments", user=host).json()["items"]]
    assert api.get_json(f"/api/tournaments/{draft['id']}").status_code == 404
    assert [t["title"] for t in api.get_json("/api/tournaments?game=free-fire").json()["items"]] == ["Featured Cup"]
    assert api.get_json("/api/tournaments?q=premium").json()["count"] == 1
    assert api.get_json("/api/tournaments?status=bogus").status_code == 422


def _body(**overrides):
    from tests.competitions.conftest import tournament_body

    return tournament_body(**overrides)


def test_games_catalog(api):
    games = {game["slug"]: game for game in api.get_json("/api/games").json()}
    assert {"bgmi", "free-fire", "codm", "valorant", "dota-2", "efootball"} <= set(games)
    assert games["bgmi"]["points_table"][:3] == [15, 12, 10]
    assert games["free-fire"]["points_table"] == [12, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    assert games["valorant"]["format"] == "head_to_head"
    banner = api.get(games["bgmi"]["banner_url"].replace("http://testserver", ""))
    assert banner.status_code == 200


def test_unverified_or_player_cannot_create(api, user):
    assert api.post_json("/api/tournaments", _body(), user=user).status_code == 403
    assert Tournament.objects.count() == 0
