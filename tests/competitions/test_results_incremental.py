"""A battle-royale results PUT applies the match's change to the stored totals and reranks from them,
instead of rescoring every earlier result of the round (the PUT's cost stays flat as history grows).

Whatever sequence of results, corrections, absences and disqualifications a host posts over HTTP, the
stored group and round tables must equal the ranking computed from scratch from every stored result
(competitions.scoring.stage_rank, the one definition of a stage's standings), under every rule set.
Kills are drawn from 0–2 so teams tie often and the placement-based tie-breakers are exercised."""

import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from competitions import scoring
from competitions.models import Group, Match, MatchResult, Registration, Standing, Tournament
from tests.competitions.conftest import create_published, make_team, register

pytestmark = pytest.mark.django_db

COMPARED = ("points", "wins", "placement_points", "kills", "matches_played", "head_start", "rank", "decided_by")

MATCH_FILTER = re.compile(r'"competitions_matchresult"\."match_id" (?:= |IN \()(\d+)')

RULE_SETS = {
    "pmgc": {"preset": "pmgc"},
    "cap-tiers-wwcd": {"kill_cap": 1, "kill_tiers": [{"from_kill": 1, "points": 2}], "wwcd_bonus": 3},
    "best-placement-first": {"tie_breakers": ["points", "best_placement", "head_to_head", "wins"]},
    "head-to-head": {"tie_breakers": ["points", "head_to_head", "latest_match"]},
    "void-dq": {"dq_points": "void"},
    "keep-dq": {"dq_points": "keep", "tie_breakers": ["points", "latest_match"]},
    "head-start": {"head_start": "first team: 4"},
    "best-of (rescored in full)": {"best_of": 3},
}


def _setup(api, host, rules: dict, *, lobbies: int = 1) -> tuple[Tournament, list[int]]:
    teams = [make_team(4) for _ in range(5 * lobbies)]
    if rules.get("head_start"):
        rules = {**rules, "head_start": {str(teams[0].pk): 4}}
    tournament = create_published(
        api, host, max_teams=len(teams), group_size=5, rounds_count=1 if lobbies == 1 else 2,
        qualify_per_group=0 if lobbies == 1 else 2, matches_per_group=6, scoring=rules,
    )  # fmt: skip
    for team in teams:
        assert register(api, tournament["id"], team).status_code == 201
    started = api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    assert started.status_code == 200, started.content
    return Tournament.objects.get(pk=tournament["id"]), [team.pk for team in teams]


def _expected(tournament: Tournament) -> dict[tuple[int | None, int], tuple]:
    """{(group_id or None for the round table, team_id): the compared fields} of round 1, from scratch."""
    rules = scoring.rules_from(
        points_table=tournament.points_table, kill_points=tournament.kill_points, scoring=tournament.scoring
    )
    rows = Standing.objects.filter(tournament=tournament, round__number=1)
    disqualified = {row.team_id for row in rows if row.status == Standing.Status.DISQUALIFIED}
    stored = MatchResult.objects.filter(match__tournament=tournament, match__round__number=1)
    results = [
        (group_id, scoring.Result(team_id, number, placement, kills))
        for group_id, team_id, number, placement, kills in stored.values_list(
            "match__group_id", "team_id", "match__number", "placement", "kills"
        )
    ]
    expected = {}
    for scope in {row.group_id for row in rows}:
        teams = [row.team_id for row in rows if row.group_id == scope]
        played = [result for group_id, result in results if scope in (None, group_id)]
        ranked = scoring.stage_rank(
            rules, team_ids=teams, results=played, head_start=rules.head_start, disqualified=disqualified,
            final=tournament.rounds_count == 1,
        )  # fmt: skip
        unplayed = not played and not rules.head_start  # a table nobody has played in is unranked
        for totals, place in ranked:
            rank, decided_by = (0, "") if unplayed else (place.rank, place.decided_by or "")
            expected[scope, totals.team_id] = (
                totals.points, totals.wins, totals.placement_points, totals.kills, totals.matches_played,
                totals.head_start, rank, decided_by,
            )  # fmt: skip
    return expected


def _stored(tournament: Tournament) -> dict[tuple[int | None, int], tuple]:
    rows = Standing.objects.filter(tournament=tournament, round__number=1)
    return {(row.group_id, row.team_id): tuple(getattr(row, name) for name in COMPARED) for row in rows}


def _play(api, host, tournament: Tournament, teams: list[int], *, seed: int, steps: int, disqualify_at: int | None):
    rng = random.Random(seed)
    lobbies: dict[int, list[Match]] = {}
    for match in Match.objects.filter(tournament=tournament, round__number=1).order_by("number"):
        lobbies.setdefault(match.group_id, []).append(match)
    lineups = {group.pk: sorted(group.teams.values_list("id", flat=True)) for group in Group.objects.filter(
        pk__in=lobbies)}  # fmt: skip
    registrations = dict(Registration.objects.filter(tournament=tournament).values_list("team_id", "pk"))
    disqualified: set[int] = set()
    played: dict[int, set[int]] = {}  # match id -> the teams that have a result there
    for step in range(steps):
        if step == disqualify_at:
            team = rng.choice(teams)
            path = f"/api/tournaments/{tournament.pk}/registrations/{registrations[team]}/disqualify"
            assert api.post_json(path, user=host).status_code == 200
            disqualified.add(team)
        else:
            # The last match of each lobby stays unplayed, so the tournament stays open for corrections.
            match = rng.choice([m for lobby in lobbies.values() for m in lobby[:-1]])
            lineup = lineups[match.group_id]
            allowed = [t for t in lineup if t not in disqualified or t in played.get(match.pk, set())]
            present = rng.sample(allowed, rng.randint(max(1, len(allowed) - 2), len(allowed)))
            body = [{"team_id": team, "placement": place, "kills": rng.randint(0, 2)}
                    for place, team in enumerate(present, start=1)]  # fmt: skip
            body += [{"team_id": team, "absent": True} for team in lineup if team not in present]
            response = api.put_json(f"/api/matches/{match.pk}/results", body, user=host)
            assert response.status_code == 200, response.content
            played[match.pk] = set(present)
        assert _stored(tournament) == _expected(tournament), f"after step {step}"


@pytest.mark.parametrize("rules", RULE_SETS.values(), ids=RULE_SETS.keys())
@pytest.mark.parametrize("seed", [1, 2])
def test_stored_standings_equal_a_ranking_from_scratch(api, host, games_catalog, rules, seed):
    tournament, teams = _setup(api, host, rules)
    _play(api, host, tournament, teams, seed=seed, steps=14, disqualify_at=6 if "dq_points" in rules else None)


def test_two_lobbies_and_a_match_point_final_still_rank_round_one_from_its_totals(api, host, games_catalog):
    """Match point applies to the final round only: round one, of two lobbies, is additive."""
    tournament, teams = _setup(api, host, {"preset": "algs", "match_point": 30}, lobbies=2)
    _play(api, host, tournament, teams, seed=3, steps=16, disqualify_at=None)


def test_a_put_reads_no_earlier_match_when_no_team_is_tied(api, host, games_catalog):
    """The mechanism: with totals that separate every team, the request reads only the posted match's
    results, however many matches came before."""
    tournament, teams = _setup(api, host, {"preset": "pmgc"})
    matches = api.get_json(f"/api/tournaments/{tournament.pk}/matches").json()
    for match in matches:
        body = [{"team_id": team, "placement": place, "kills": 3 * place}  # distinct points, ever apart
                for place, team in enumerate(teams, start=1)]  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = api.put_json(f"/api/matches/{match['id']}/results", body, user=host)
        assert response.status_code == 200, response.content
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        history = [sql for sql in reads if 'FROM "competitions_matchresult"' in sql]
        assert history, "the posted match's own results are read (to replace them)"
        for sql in history:  # each read is filtered to this match (= id, or IN (id) for a prefetch)
            assert set(MATCH_FILTER.findall(sql)) == {str(match["id"])}, sql
    assert _stored(tournament) == _expected(tournament)
