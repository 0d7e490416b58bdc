"""Qualification math (competitions/qualification.py) against brute force over every outcome.

Two references, both written from the model in the module's docstring rather than from its algorithm:

* points: every outcome of the remaining matches (each team a no-show, or a distinct placement and any
  number of kills up to the cap), judged on points with ties unknown. On this model the module claims to
  be exact: best and worst rank and the status must be equal, and "needs N points" must guarantee
  qualification (and be the least such score where the module says it is exact).
* full: the same outcomes played through the real standings (competitions.standings.br_rank with every
  tie-breaker, then team id at the cut, as round_advance takes them). The module's claims must hold
  there too: qualified teams are through in every outcome, eliminated ones in none, ranks within bounds.
"""

from itertools import permutations, product

from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.qualification import ALIVE, ELIMINATED, QUALIFIED, Scoring, _max_covered, _sumset, group_outlook
from competitions.standings import BRTotals, br_rank
from tests.competitions.reference import br_totals_add

fast = settings(max_examples=300, deadline=None)


def match_outcomes(teams: int, scoring: Scoring):
    """Every result of one match: per team None (no-show) or (placement, kill points)."""
    slots = [None, *range(1, teams + 1)]
    for assignment in product(slots, repeat=teams):
        placed = [p for p in assignment if p is not None]
        if len(placed) != len(set(placed)):
            continue
        present = [i for i, p in enumerate(assignment) if p is not None]
        for kills in product(scoring.kill_points, repeat=len(present)):
            result = [None] * teams
            for i, k in zip(present, kills, strict=True):
                result[i] = (assignment[i], k)
            yield tuple(result)


def increments(teams: int, scoring: Scoring) -> set[tuple[int, ...]]:
    values = scoring.placement_points
    return {
        tuple(0 if r is None else values[r[0] - 1] + r[1] for r in outcome)
        for outcome in match_outcomes(teams, scoring)
    }


def points_reference(points: list[int], remaining: int, scoring: Scoring, places: int):
    teams = len(points)
    per_match = increments(teams, scoring)
    totals = {(0,) * teams}
    for _ in range(remaining):
        totals = {tuple(a + b for a, b in zip(t, inc, strict=True)) for t in totals for inc in per_match}
    out = {}
    for x in range(teams):
        above, level, missing = [], [], []
        for inc in totals:
            final = [p + i for p, i in zip(points, inc, strict=True)]
            gt = sum(1 for y in range(teams) if y != x and final[y] > final[x])
            ge = sum(1 for y in range(teams) if y != x and final[y] >= final[x])
            above.append(gt)
            level.append(ge)
            if ge >= places:
                missing.append(inc[x])
        best, worst = 1 + min(above), 1 + max(level)
        if max(level) < places:
            status, needed = QUALIFIED, 0
        elif min(above) >= places:
            status, needed = ELIMINATED, None
        else:
            status = ALIVE
            gains = {inc[x] for inc in totals}
            needed = min((g for g in gains if g > max(missing)), default=None)
        out[x] = (status, best, worst, needed)
    return out


@st.composite
def groups(draw, max_teams: int = 5):
    teams = draw(st.integers(2, max_teams))
    remaining = draw(st.integers(1, 2 if teams <= 4 else 1))
    table = draw(st.lists(st.integers(0, 6), min_size=1, max_size=teams))
    if draw(st.booleans()):
        table = sorted(table, reverse=True)  # the usual shape; the model takes any table
    kill_cap = draw(st.integers(0, 2 if teams <= 3 else 1))
    kill_points = draw(st.integers(0, 3))
    points = draw(st.lists(st.integers(0, 25), min_size=teams, max_size=teams))
    places = draw(st.integers(1, teams))
    scoring = Scoring.from_table(table, kill_points=kill_points, lobby=teams, max_kills=kill_cap)
    return points, remaining, scoring, places


@fast
@given(groups())
def test_equals_brute_force_on_points(group):
    points, remaining, scoring, places = group
    outlook = group_outlook(dict(enumerate(points)), remaining=remaining, scoring=scoring, places=places)
    expected = points_reference(points, remaining, scoring, places)
    lowest = min(scoring.placement_points)
    from_kills = {remaining * lowest + k for k in _sumset(set(scoring.kill_points), remaining)}
    for x, (status, best, worst, needed) in expected.items():
        got = outlook[x]
        assert (got.status, got.best_rank, got.worst_rank) == (status, best, worst), (x, got, expected[x])
        if needed is None:
            assert got.points_needed is None
            continue
        # A guarantee: at least the least one; exactly it when the module's witness (the last score
        # that can miss) is a score the team makes on the lowest placement through kills alone.
        assert got.points_needed is None or got.points_needed >= needed
        if status == ALIVE:
            gains = sorted(
                _sumset({0} | {v + k for v in scoring.placement_points for k in scoring.kill_points}, remaining)
            )
            witness = max(g for g in gains if g < got.points_needed) if got.points_needed is not None else gains[-1]
            if witness in from_kills:
                assert got.points_needed == needed


def test_hand_example_with_a_kill_cap():
    """Four teams, top 2 go through, one match left, table 10-6-3-0, 1 point per kill, cap 2.
    A (30) cannot be caught by two teams: B and C would need 30 each (max +12). D (5) cannot reach
    the two teams above 17 even with 12 more. B (18) needs the points that keep C (16) and D out."""
    scoring = Scoring.from_table([10, 6, 3, 0], kill_points=1, lobby=4, max_kills=2)
    outlook = group_outlook({1: 30, 2: 18, 3: 16, 4: 5}, remaining=1, scoring=scoring, places=2)
    assert outlook[1].status == QUALIFIED
    assert outlook[1].worst_rank == 2
    assert outlook[1].points_needed == 0
    assert outlook[4].status == ELIMINATED
    assert outlook[4].best_rank == 3
    assert outlook[4].points_needed is None
    assert outlook[2].status == ALIVE
    assert outlook[2].best_rank == 1
    # B misses out only if C passes it: C reaches at most 28, so B is safe from 11 points on.
    assert outlook[2].points_needed == 11
    assert outlook[3].status == ALIVE


def test_uncapped_kills_leave_everyone_alive_until_the_last_match():
    scoring = Scoring.from_table([10, 6, 3, 0], kill_points=1, lobby=4, max_kills=1000)
    outlook = group_outlook({1: 300, 2: 18, 3: 16, 4: 0}, remaining=1, scoring=scoring, places=2)
    assert {o.status for o in outlook.values()} == {ALIVE}
    # A leads by 282, yet B and C can both pass it on kills: A is safe only from 725 points on (B
    # and C end at most 1,028 and 1,022, or 1,024 and 1,026: the second of them at most 1,024).
    assert outlook[1].points_needed == 725


def test_finished_group_uses_the_stored_order():
    scoring = Scoring.from_table([10, 6, 3, 0], kill_points=1, lobby=3, max_kills=10)
    outlook = group_outlook(
        {1: 10, 2: 10, 3: 4}, remaining=0, scoring=scoring, places=1, order=[2, 1, 3], ranks={2: 1, 1: 2, 3: 3}
    )
    assert outlook[2].status == QUALIFIED
    assert outlook[1].status == ELIMINATED
    assert (outlook[1].best_rank, outlook[1].worst_rank) == (2, 2)


def test_no_cut_gives_ranks_only():
    scoring = Scoring.from_table([10, 6, 3], kill_points=0, lobby=3, max_kills=0)
    outlook = group_outlook({1: 30, 2: 5, 3: 0}, remaining=1, scoring=scoring, places=None)
    assert outlook[1].status is None
    assert outlook[1].worst_rank == 1
    assert (outlook[3].best_rank, outlook[3].worst_rank) == (2, 3)


def test_real_size_is_bounded_and_consistent():
    """25 teams, 6 matches left, placement points only: the hardest case for the search. Whatever the
    budget leaves undecided is answered by the necessary condition, so the bounds stay ordered and
    the statuses agree with them."""
    table = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]
    scoring = Scoring.from_table(table, kill_points=0, lobby=25, max_kills=0)
    points = {team: (team * 37) % 121 for team in range(25)}
    outlook = group_outlook(points, remaining=6, scoring=scoring, places=12)
    for o in outlook.values():
        assert 1 <= o.best_rank <= o.worst_rank <= 25
        assert (o.status == QUALIFIED) == (o.worst_rank <= 12)
        assert (o.status == ELIMINATED) == (o.best_rank > 12)


# --- full tie-breakers ---------------------------------------------------------------------


@st.composite
def played_groups(draw):
    teams = draw(st.integers(2, 4))
    table = sorted(draw(st.lists(st.integers(0, 5), min_size=1, max_size=teams)), reverse=True)
    kill_points = draw(st.integers(0, 2))
    cap = draw(st.integers(0, 1))
    # One match already played, with the same rules (kills up to 3 then).
    placing = draw(st.permutations(range(1, teams + 1)))
    kills = draw(st.lists(st.integers(0, 3), min_size=teams, max_size=teams))
    places = draw(st.integers(1, teams - 1))
    return teams, table, kill_points, cap, list(zip(placing, kills, strict=True)), places


@settings(max_examples=100, deadline=None)
@given(played_groups())
def test_claims_hold_under_every_tie_breaker(group):
    teams, table, kill_points, cap, played, places = group
    start = []
    for team, (placement, kills) in enumerate(played):
        totals = br_totals_add(
            BRTotals(team_id=team), placement=placement, kills=kills, table=table, kill_points=kill_points
        )
        start.append(totals)
    scoring = Scoring.from_table(table, kill_points=kill_points, lobby=teams, max_kills=cap)
    outlook = group_outlook({t.team_id: t.points for t in start}, remaining=1, scoring=scoring, places=places)
    kill_range = range(cap + 1)
    seen_ranks: dict[int, set[int]] = {t: set() for t in range(teams)}
    through: dict[int, set[bool]] = {t: set() for t in range(teams)}
    slots = [None, *range(1, teams + 1)]
    for assignment in product(slots, repeat=teams):
        placed = [p for p in assignment if p is not None]
        if len(placed) != len(set(placed)):
            continue
        present = [i for i, p in enumerate(assignment) if p is not None]
        for kills in product(kill_range, repeat=len(present)):
            final = list(start)
            history = {t: [(1, played[t][0])] for t in range(teams)}
            for i, k in zip(present, kills, strict=True):
                final[i] = br_totals_add(
                    final[i], placement=assignment[i], kills=k, table=table, kill_points=kill_points
                )
                history[i].append((2, assignment[i]))
            ranked = br_rank(final, placements=history)
            order = [row.team_id for _, row in sorted(ranked, key=lambda pair: (pair[1].rank, pair[1].team_id))]
            for _, row in ranked:
                seen_ranks[row.team_id].add(row.rank)
                through[row.team_id].add(order.index(row.team_id) < places)
    for team in range(teams):
        got = outlook[team]
        assert got.best_rank <= min(seen_ranks[team])
        assert max(seen_ranks[team]) <= got.worst_rank
        if got.status == QUALIFIED:
            assert through[team] == {True}
        if got.status == ELIMINATED:
            assert through[team] == {False}


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 4),
    st.integers(2, 3),
    st.lists(st.integers(0, 9), min_size=4, max_size=4),
    st.lists(st.integers(1, 25), min_size=1, max_size=4),
)
def test_covering_search_equals_every_schedule(lobby, matches, table, needs):
    """The exact search behind the worst case, against every way m matches can hand out placements:
    the most teams that can each collect at least their need."""
    values = sorted(table[:lobby], reverse=True)
    needs = needs[: lobby - 1] or needs[:1]
    best = 0
    per_match = list(permutations(range(lobby), len(needs)))
    for schedule in product(per_match, repeat=matches):
        totals = [sum(values[match[i]] for match in schedule) for i in range(len(needs))]
        best = max(best, sum(1 for total, need in zip(totals, needs, strict=True) if total >= need))
    assert _max_covered(needs, values, matches, [10**9]) == best
