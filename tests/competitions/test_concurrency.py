"""Results posted at once to different matches of one tournament (PostgreSQL row locks, real threads)."""

import random
import threading
from collections import defaultdict

import pytest
from django.db import connection

from competitions import standings
from competitions.models import Match, MatchResult, Standing
from tests.competitions.conftest import create_published, make_team, register
from tests.conftest import ApiClient, bearer
from tests.factories import UserFactory

BGMI = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]
THREADS = 10
PUTS_PER_THREAD = 5


def _expected(results: list[MatchResult], team_ids: list[int]) -> dict[int, tuple]:
    """Totals summed from the stored results (independently of the service's running totals) and
    ranked by the standings rules: team -> (rank, points, wins, placement_points, kills, played)."""
    totals: dict[int, list[int]] = {team: [0, 0, 0, 0, 0] for team in team_ids}
    history: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for result in results:
        placement_points = BGMI[result.placement - 1] if result.placement <= len(BGMI) else 0
        row = totals[result.team_id]
        row[0] += placement_points + result.kills
        row[1] += result.placement == 1
        row[2] += placement_points
        row[3] += result.kills
        row[4] += 1
        history[result.team_id].append((result.match.number, result.placement))
    rows = [
        standings.BRTotals(team_id=t, points=p, wins=w, placement_points=pp, kills=k, matches_played=n)
        for t, (p, w, pp, k, n) in totals.items()
    ]
    ranked = standings.br_rank(rows, placements=history)
    return {
        row.team_id: (ranked_row.rank, row.points, row.wins, row.placement_points, row.kills, row.matches_played)
        for row, ranked_row in ranked
    }


def _stored(rows) -> dict[int, tuple]:
    return {r.team_id: (r.rank, r.points, r.wins, r.placement_points, r.kills, r.matches_played) for r in rows}


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_results_posted_at_once_across_three_matches(games_catalog):
    host = UserFactory(role="host", host_status="approved")
    api = ApiClient()
    tid = create_published(
        api, host, max_teams=8, group_size=4, rounds_count=1, qualify_per_group=0, matches_per_group=2
    )["id"]
    for _ in range(8):
        assert register(api, tid, make_team(4)).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    rounds = api.get_json(f"/api/tournaments/{tid}/rounds").json()
    lobby = {group["name"]: [team["id"] for team in group["teams"]] for group in rounds[0]["groups"]}
    by_group = defaultdict(list)
    for match in rounds[0]["matches"]:
        by_group[match["group"]].append(match)
    # Two matches of group A (same teams) and one of group B: every pair of PUTs shares the round and
    # overall rows, and A's share their group's rows too.
    targets = [(by_group["A"][0], lobby["A"]), (by_group["A"][1], lobby["A"]), (by_group["B"][0], lobby["B"])]
    # The fourth match stays unplayed, so the tournament stays ongoing.

    headers = bearer(host)
    barrier = threading.Barrier(THREADS)
    statuses: list[tuple[int, bytes]] = []
    failures: list[BaseException] = []

    def poster(seed: int) -> None:
        rng = random.Random(seed)
        client = ApiClient()
        try:
            barrier.wait(timeout=30)
            for n in range(PUTS_PER_THREAD):
                match, teams = targets[(seed + n) % len(targets)]
                order = rng.sample(teams, len(teams))
                body = [{"team_id": t, "placement": p, "kills": rng.randint(0, 9)} for p, t in enumerate(order, 1)]
                response = client.put_json(f"/api/matches/{match['id']}/results", body, **headers)
                statuses.append((response.status_code, response.content))
        except BaseException as exc:  # surfaced in the main thread below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poster, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    assert all(not thread.is_alive() for thread in threads)
    assert len(statuses) == THREADS * PUTS_PER_THREAD
    errors = [(status, body) for status, body in statuses if status != 200]
    assert errors == [], f"{len(errors)} of {len(statuses)} PUTs failed: {errors[:3]}"

    # The stored totals and ranks equal a recomputation from the results that won.
    results = list(MatchResult.objects.filter(match__tournament_id=tid).select_related("match"))
    assert {r.match_id for r in results} == {match["id"] for match, _ in targets}
    for name, teams in lobby.items():
        group_rows = Standing.objects.filter(tournament_id=tid, group__name=name)
        in_group = [r for r in results if r.match.group_id == group_rows[0].group_id]
        assert _stored(group_rows) == _expected(in_group, teams), f"group {name}"
    every_team = lobby["A"] + lobby["B"]
    round_rows = Standing.objects.filter(tournament_id=tid, round__number=1, group__isnull=True)
    assert _stored(round_rows) == _expected(results, every_team)
    overall = Standing.objects.filter(tournament_id=tid, round__isnull=True, group__isnull=True)
    assert _stored(overall) == _expected(results, every_team)
    assert Match.objects.filter(tournament_id=tid, status="completed").count() == 3
