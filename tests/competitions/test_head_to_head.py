"""Every head-to-head format, played through the API to its champion."""

import random
from collections import defaultdict

import pytest

from competitions.brackets import double_elimination
from tests.competitions.conftest import create_published, make_team, register, tournament_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def play(api, host, django_capture_on_commit_callbacks):
    """Post a result for every playable match until none is left; returns the played matches.
    Winner selection is queued after commit, so each request's commit callbacks run as in production."""

    def run(tid: int, decide) -> list[dict]:
        played = []
        for _ in range(200):
            matches = api.get_json(f"/api/tournaments/{tid}/matches").json()
            playable = [
                m
                for m in matches
                if m["status"] == "scheduled" and not m["is_bye"] and m["home_team"] and m["away_team"]
            ]
            if not playable:
                return played
            match = playable[0]
            home_score, away_score = decide(match)
            with django_capture_on_commit_callbacks(execute=True):
                response = api.put_json(
                    f"/api/matches/{match['id']}/results",
                    {"home_score": home_score, "away_score": away_score},
                    user=host,
                )
            assert response.status_code == 200, response.content
            played.append(response.json())
        raise AssertionError("the bracket never finished")

    return run


def _setup(api, host, fmt: str, count: int, **extra) -> tuple[int, list[int]]:
    tournament = create_published(
        api, host, game="efootball", format=fmt, max_teams=count, rounds_count=1, qualify_per_group=0, **extra
    )
    seeds = []
    for _ in range(count):
        team = make_team(1)
        assert register(api, tournament["id"], team).status_code == 201
        seeds.append(team.pk)
    started = api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    assert started.status_code == 200, started.content
    return tournament["id"], seeds


def _better_seed_wins(seeds: list[int], upsets: dict[str, bool] | None = None):
    def decide(match):
        home, away = match["home_team"]["id"], match["away_team"]["id"]
        home_better = seeds.index(home) < seeds.index(away)
        if upsets and upsets.get(match["key"]):
            home_better = not home_better
        return (2, 1) if home_better else (1, 2)

    return decide


def _podium(api, tid: int) -> list[int | None]:
    detail = api.get_json(f"/api/tournaments/{tid}").json()
    assert detail["status"] == "completed"
    return [detail[k]["id"] if detail[k] else None for k in ("winner", "runner_up", "third_place")]


def _league_order(results: list[tuple[int, int, int, int]]) -> list[int]:
    """Independent head-to-head table: 3/1/0, then score difference, score for, wins."""
    table: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # points, diff, for, wins
    for home, away, home_score, away_score in results:
        for team, scored, conceded in ((home, home_score, away_score), (away, away_score, home_score)):
            row = table[team]
            row[0] += 3 if scored > conceded else 1 if scored == conceded else 0
            row[1] += scored - conceded
            row[2] += scored
            row[3] += scored > conceded
    return sorted(table, key=lambda team: [-value for value in table[team]] + [team])


def test_single_elimination_with_six_teams(api, host, play):
    tid, seeds = _setup(api, host, "single_elimination", 6)
    byes = [m for m in api.get_json(f"/api/tournaments/{tid}/matches").json() if m["is_bye"]]
    assert sorted(m["winner"]["id"] for m in byes) == sorted(seeds[:2])
    played = play(tid, _better_seed_wins(seeds))
    assert len(played) == 5
    assert _podium(api, tid)[:2] == [seeds[0], seeds[1]]


def test_elimination_rejects_draws(api, host):
    tid, _ = _setup(api, host, "single_elimination", 2)
    match = api.get_json(f"/api/tournaments/{tid}/matches").json()[0]
    response = api.put_json(f"/api/matches/{match['id']}/results", {"home_score": 1, "away_score": 1}, user=host)
    assert response.status_code == 422
    assert response.json()["code"] == "draw_not_allowed"


def test_double_elimination_with_eight_teams_and_a_bracket_reset(api, host, play):
    tid, seeds = _setup(api, host, "double_elimination", 8)
    # Seed 2 drops to the losers bracket after the winners final, wins it, then takes GF: a reset is played.
    played = play(tid, _better_seed_wins(seeds, upsets={"GF": True}))
    keys = [m["key"] for m in played]
    assert len(played) == 15
    assert keys[-2:] == ["GF", "GF2"]
    winner, runner_up, third = _podium(api, tid)
    assert (winner, runner_up) == (seeds[0], seeds[1])
    assert third == seeds[2]


def test_double_elimination_without_reset(api, host, play):
    tid, seeds = _setup(api, host, "double_elimination", 8)
    played = play(tid, _better_seed_wins(seeds))
    assert len(played) == 14
    assert "GF2" not in [m["key"] for m in played]
    assert _podium(api, tid)[0] == seeds[0]


def test_round_robin_with_five_teams(api, host, play):
    tid, _seeds = _setup(api, host, "round_robin", 5)
    rng = random.Random(5)
    played = play(tid, lambda match: (rng.randint(0, 4), rng.randint(0, 4)))
    assert len(played) == 10
    pairs = {frozenset((m["home_team"]["id"], m["away_team"]["id"])) for m in played}
    assert len(pairs) == 10
    raw = [(m["home_team"]["id"], m["away_team"]["id"], m["home_score"], m["away_score"]) for m in played]
    expected = _league_order(raw)
    standings = api.get_json(f"/api/tournaments/{tid}/standings").json()
    assert [row["team"]["id"] for row in standings] == expected
    assert _podium(api, tid) == expected[:3]


def test_swiss_with_eight_teams_for_three_rounds(api, host, play):
    tid, _seeds = _setup(api, host, "swiss", 8, swiss_rounds=3)
    rng = random.Random(8)

    def decide(match):
        home, away = rng.randint(0, 3), rng.randint(0, 3)
        return (home, away) if home != away else (home + 1, away)

    played = play(tid, decide)
    assert len(played) == 12
    pairs = [frozenset((m["home_team"]["id"], m["away_team"]["id"])) for m in played]
    assert len(set(pairs)) == 12, "no rematches"
    raw = [(m["home_team"]["id"], m["away_team"]["id"], m["home_score"], m["away_score"]) for m in played]
    standings = api.get_json(f"/api/tournaments/{tid}/standings").json()
    assert all(row["matches_played"] == 3 for row in standings)
    assert _podium(api, tid)[0] == standings[0]["team"]["id"]
    # The winner has the best record by the head-to-head rules (team id only breaks total ties here).
    best = _league_order(raw)[0]
    top = next(row for row in standings if row["team"]["id"] == best)
    assert (top["points"], top["score_for"] - top["score_against"]) == (
        standings[0]["points"],
        standings[0]["score_for"] - standings[0]["score_against"],
    )


def test_correcting_a_played_result_is_blocked_once_the_next_match_is_played(api, host):
    tid, _ = _setup(api, host, "single_elimination", 8)

    def matches():
        return {m["key"]: m for m in api.get_json(f"/api/tournaments/{tid}/matches").json()}

    def post(key, home, away):
        return api.put_json(
            f"/api/matches/{matches()[key]['id']}/results", {"home_score": home, "away_score": away}, user=host
        )

    first = matches()["W1-1"]
    post("W1-1", 3, 0)
    post("W1-2", 3, 0)
    semi = next(m for m in matches().values() if m["key"].startswith("W2") and m["home_team"] and m["away_team"])
    # A correction before the semi is played moves the other team into it.
    assert post("W1-1", 0, 3).status_code == 200
    semi_now = matches()[semi["key"]]
    assert first["away_team"]["id"] in (semi_now["home_team"]["id"], semi_now["away_team"]["id"])
    assert first["home_team"]["id"] not in (semi_now["home_team"]["id"], semi_now["away_team"]["id"])
    assert post(semi["key"], 1, 0).status_code == 200
    blocked = post("W1-1", 3, 0)
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "result_locked"


# --- a bracket a client can draw -------------------------------------------------------------------------------------


def _by_key(api, tid: int) -> dict[str, dict]:
    return {m["key"]: m for m in api.get_json(f"/api/tournaments/{tid}/matches").json()}


def _post(api, host, match: dict, home: int, away: int):
    return api.put_json(f"/api/matches/{match['id']}/results", {"home_score": home, "away_score": away}, user=host)


def test_matches_carry_bracket_rounds_next_match_pointers_and_seeds(api, host):
    # Five teams in eight slots: three winners-bracket byes, a losers-bracket bye and a losers match nobody reaches.
    tid, seeds = _setup(api, host, "double_elimination", 5)
    matches = _by_key(api, tid)
    planned = {m.key: m for m in double_elimination(seeds)}
    assert set(matches) == set(planned)
    for key, match in matches.items():
        plan = planned[key]
        assert (match["bracket"], match["bracket_round"], match["is_bye"]) == (plan.bracket, plan.round, plan.is_bye)
        for pointer, link in ((match["winner_to"], plan.winner_to), (match["loser_to"], plan.loser_to)):
            expected = link and {"match_id": matches[link.match_key]["id"], "key": link.match_key, "side": link.side}
            assert pointer == expected, key
    # Seeds are public once the tournament starts: on registrations and on both sides of every match.
    registrations = api.get_json(f"/api/tournaments/{tid}/registrations").json()
    registrations = registrations.get("items", registrations) if isinstance(registrations, dict) else registrations
    assert {r["team"]["id"]: r["seed"] for r in registrations} == {team: n for n, team in enumerate(seeds, start=1)}
    for match in matches.values():
        for side in ("home", "away"):
            team = match[f"{side}_team"]
            assert match[f"{side}_seed"] == (seeds.index(team["id"]) + 1 if team else None)
    # The byes have already passed their teams on, following the pointers.
    for key in ("W1-1", "W1-3", "W1-4"):
        bye = matches[key]
        assert bye["status"] == "completed"
        target = next(m for m in matches.values() if m["id"] == bye["winner_to"]["match_id"])
        assert target[f"{bye['winner_to']['side']}_team"]["id"] == bye["winner"]["id"]

    rounds = api.get_json(f"/api/tournaments/{tid}/rounds").json()
    assert len(rounds) == 1
    drawn = [(r["bracket"], r["number"], r["name"]) for r in rounds[0]["bracket_rounds"]]
    assert drawn == [
        ("winners", 1, "Winners quarter-finals"),
        ("winners", 2, "Winners semi-finals"),
        ("winners", 3, "Winners final"),
        ("losers", 1, "Losers round 1"),
        ("losers", 2, "Losers round 2"),
        ("losers", 3, "Losers round 3"),
        ("losers", 4, "Losers final"),
        ("grand_final", 1, "Grand final"),
        ("grand_final", 2, "Grand final reset"),
    ]
    ids = {m["id"]: m for m in rounds[0]["matches"]}
    for bracket_round in rounds[0]["bracket_rounds"]:
        numbers = [ids[i]["number"] for i in bracket_round["match_ids"]]
        assert numbers == sorted(numbers)
        assert {ids[i]["bracket_round"] for i in bracket_round["match_ids"]} == {bracket_round["number"]}


def test_the_unused_grand_final_reset_is_cancelled(api, host):
    tid, seeds = _setup(api, host, "double_elimination", 4)
    decide = _better_seed_wins(seeds)
    while True:
        matches = _by_key(api, tid)
        match = next(
            m for k, m in sorted(matches.items()) if k != "GF" and m["status"] == "scheduled" and m["away_team"]
        )
        if match["key"] == "GF2":
            break
        assert _post(api, host, match, *decide(match)).status_code == 200
        if _by_key(api, tid)["GF"]["away_team"]:
            break
    grand_final = _by_key(api, tid)["GF"]
    assert grand_final["home_team"]["id"] == seeds[0]
    # The losers-bracket champion wins the grand final: both teams have one loss, so the reset is on.
    assert _post(api, host, grand_final, 1, 3).status_code == 200
    reset = _by_key(api, tid)["GF2"]
    assert reset["status"] == "scheduled"
    assert (reset["home_team"]["id"], reset["away_team"]["id"]) == (seeds[0], grand_final["away_team"]["id"])
    assert api.get_json(f"/api/tournaments/{tid}").json()["status"] == "ongoing"
    # Corrected before the reset is played: the winners-bracket champion won, so the reset is not needed.
    assert _post(api, host, grand_final, 3, 1).status_code == 200
    reset = _by_key(api, tid)["GF2"]
    assert (reset["status"], reset["home_team"], reset["away_team"]) == ("cancelled", None, None)
    assert _podium(api, tid)[:2] == [seeds[0], grand_final["away_team"]["id"]]


def test_single_elimination_third_place_match(api, host, play):
    tid, seeds = _setup(api, host, "single_elimination", 6, third_place_match=True)
    assert api.get_json(f"/api/tournaments/{tid}").json()["third_place_match"] is True
    matches = _by_key(api, tid)
    third = matches["3P"]
    assert (third["bracket"], third["bracket_round"]) == ("third_place", matches["W3-1"]["bracket_round"])
    semis = [m for m in matches.values() if m["bracket"] == "winners" and m["bracket_round"] == 2]
    assert sorted((m["loser_to"]["match_id"], m["loser_to"]["side"]) for m in semis) == [
        (third["id"], "away"),
        (third["id"], "home"),
    ]
    drawn = api.get_json(f"/api/tournaments/{tid}/rounds").json()[0]["bracket_rounds"]
    assert [r["name"] for r in drawn] == ["Quarter-finals", "Semi-finals", "Final", "Third-place match"]

    played = play(tid, _better_seed_wins(seeds))
    assert len(played) == 6
    assert _podium(api, tid) == seeds[:3]


def test_third_place_match_is_for_single_elimination_only(api, host):
    for fmt in ("double_elimination", "round_robin", "swiss"):
        body = tournament_body(
            game="efootball", format=fmt, third_place_match=True, rounds_count=1, qualify_per_group=0
        )
        response = api.post_json("/api/tournaments", body, user=host)
        assert response.status_code == 422, response.content
        assert "third_place_match" in str(response.json())


@pytest.mark.django_db(transaction=True)
def test_the_migration_derives_pointers_and_rounds_from_the_stored_keys():
    """Brackets started before the pointers existed stored "KEY:side" strings; 0010 turns them into pointers."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from competitions.models import Match

    before = [("competitions", "0009_merge_reports_and_scoring")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("accounts", "User").objects.create(username="old-host", email="old@example.com")
    game = old.get_model("competitions", "Game").objects.create(
        slug="old-game", name="Old", format="head_to_head", team_size=1, banner="x.svg"
    )
    tournament = old.get_model("competitions", "Tournament").objects.create(
        host=user, game=game, title="Old Cup", format="double_elimination", max_teams=2, starts_at="2030-01-01T00:00Z"
    )
    round_ = old.get_model("competitions", "Round").objects.create(tournament=tournament, number=1)
    OldMatch = old.get_model("competitions", "Match")
    stored = [("W1-1", "winners", "GF:home", "GF:away"), ("GF", "grand_final", "GF2:away", "GF2:home"),
              ("GF2", "grand_final", "", "")]  # fmt: skip
    ids = {
        key: OldMatch.objects.create(
            tournament=tournament, round=round_, number=n, key=key, bracket=bracket, winner_to=w, loser_to=lo
        ).pk
        for n, (key, bracket, w, lo) in enumerate(stored, start=1)
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    matches = {m.key: m for m in Match.objects.filter(tournament_id=tournament.pk)}
    pointers = {
        key: (m.bracket_round, m.winner_to_match_id, m.winner_to_side, m.loser_to_match_id, m.loser_to_side)
        for key, m in matches.items()
    }
    assert pointers == {
        "W1-1": (1, ids["GF"], "home", ids["GF"], "away"),
        "GF": (1, ids["GF2"], "away", ids["GF2"], "home"),
        "GF2": (2, None, "", None, ""),
    }
    # And back: the strings are rebuilt from the pointers.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    restored = OldMatch.objects.filter(tournament_id=tournament.pk).order_by("number")
    assert [(m.key, m.winner_to, m.loser_to) for m in restored] == [(key, w, lo) for key, _, w, lo in stored]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
