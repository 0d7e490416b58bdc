"""Standings arithmetic (competitions/standings.py) against the API.md rules and a brute-force reference.

The reference below is written from the rules in API.md, not from the implementation: totals are summed
straight from raw match results and every neighbouring pair of the ranking is re-judged rule by rule.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.standings import (
    RULES_BR,
    RULES_H2H,
    TIE_BREAKERS_BR,
    BRTotals,
    H2HTotals,
    RankedRow,
    br_rank,
    h2h_rank,
    h2h_totals_add,
)
from tests.competitions.reference import br_match_points, br_totals_add

BGMI = (15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1)
FREE_FIRE = (12, 9, 8, 7, 6, 5, 4, 3, 2, 1)

fast = settings(max_examples=100, deadline=None)


# --- reference -------------------------------------------------------------------------


def ref_placement_points(table: Sequence[int], placement: int) -> int:
    padded = [*table, *[0] * placement]
    return padded[placement - 1]


def ref_latest_match(mine: Sequence[tuple[int, int]], theirs: Sequence[tuple[int, int]]) -> int:
    """-1 when `mine` placed better in the latest match both played, 1 when worse, 0 when undecided."""
    their_orders = [order for order, _ in theirs]
    shared = [order for order, _ in mine if order in their_orders]
    if not shared:
        return 0
    last = max(shared)
    my_place = next(place for order, place in mine if order == last)
    their_place = next(place for order, place in theirs if order == last)
    return (my_place > their_place) - (my_place < their_place)


def ref_head_to_head(mine: Sequence[tuple[int, int]], theirs: Sequence[tuple[int, int]]) -> int:
    """-1 when `mine` finished above `theirs` in more of the matches both played, 1 when in fewer."""
    their = dict(theirs)
    above = sum(1 for order, place in mine if order in their and place < their[order])
    below = sum(1 for order, place in mine if order in their and place > their[order])
    return (above < below) - (above > below)


def ref_best_placement(mine: Sequence[tuple[int, int]]) -> float:
    return min((place for _, place in mine), default=float("inf"))


def ref_first_difference(
    above: object, below: object, rules: Sequence[str], placements: Mapping[int, Sequence[tuple[int, int]]]
) -> tuple[str | None, bool]:
    """(first rule telling the two rows apart, whether it puts `above` first). Battle-royale rows are
    judged on "disqualified" (never above a team that is not) and "match_point" (the champion above
    everyone) before the given rules."""
    if isinstance(above, BRTotals):
        if above.disqualified != below.disqualified:
            return "disqualified", below.disqualified
        if above.champion != below.champion:
            return "match_point", above.champion
    mine, theirs = placements.get(above.team_id, []), placements.get(below.team_id, [])
    for rule in rules:
        if rule in ("latest_match", "head_to_head"):
            verdict = (ref_latest_match if rule == "latest_match" else ref_head_to_head)(mine, theirs)
            if verdict:
                return rule, verdict < 0
        elif rule == "best_placement":
            if ref_best_placement(mine) != ref_best_placement(theirs):
                return rule, ref_best_placement(mine) < ref_best_placement(theirs)
        elif getattr(above, rule) != getattr(below, rule):
            return rule, getattr(above, rule) > getattr(below, rule)
    return None, True


def assert_ranking(
    ranked: Sequence[tuple[object, RankedRow]],
    given_totals: Sequence[object],
    rules: Sequence[str],
    placements: Mapping[int, Sequence[tuple[int, int]]] | None = None,
) -> None:
    assert sorted((t.team_id for t, _ in ranked)) == sorted(t.team_id for t in given_totals)
    assert {t.team_id: t for t, _ in ranked} == {t.team_id: t for t in given_totals}
    assert all(totals.team_id == row.team_id for totals, row in ranked)
    assert ranked[0][1] == RankedRow(team_id=ranked[0][0].team_id, rank=1, decided_by=None)
    for position in range(1, len(ranked)):
        (above, above_row), (below, row) = ranked[position - 1], ranked[position]
        rule, above_first = ref_first_difference(above, below, rules, placements or {})
        assert above_first, f"{above} is listed above {below} but {rule} says otherwise"
        if rule is None:
            assert row.rank == above_row.rank
            assert row.decided_by == "tied"
            assert above.team_id < below.team_id, "unseparated teams are listed by team_id"
        else:
            assert row.rank == position + 1
            assert row.decided_by == (None if rule == "points" else rule)
    ranks = [row.rank for _, row in ranked]
    assert ranks == sorted(ranks)


# --- battle-royale points --------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "placement", "kills", "expected"),
    [
        (BGMI, 1, 0, (15, 15)),
        (BGMI, 1, 7, (15, 22)),
        (BGMI, 2, 3, (12, 15)),
        (BGMI, 7, 1, (2, 3)),
        (BGMI, 8, 0, (1, 1)),
        (BGMI, 12, 2, (1, 3)),
        (BGMI, 13, 4, (0, 4)),
        (BGMI, 25, 0, (0, 0)),
        (FREE_FIRE, 1, 3, (12, 15)),
        (FREE_FIRE, 4, 0, (7, 7)),
        (FREE_FIRE, 10, 0, (1, 1)),
        (FREE_FIRE, 11, 5, (0, 5)),
        ((), 1, 2, (0, 2)),
    ],
)
def test_br_match_points_follow_the_table_with_one_point_per_kill(table, placement, kills, expected):
    assert br_match_points(placement=placement, kills=kills, table=table, kill_points=1) == expected


def test_br_match_points_scale_kills_by_kill_points():
    assert br_match_points(placement=3, kills=4, table=FREE_FIRE, kill_points=2) == (8, 16)
    assert br_match_points(placement=3, kills=4, table=FREE_FIRE, kill_points=0) == (8, 8)


@pytest.mark.parametrize(("placement", "kills"), [(0, 0), (-1, 0), (1, -1)])
def test_br_match_points_reject_impossible_results(placement, kills):
    with pytest.raises(ValueError, match="invalid result"):
        br_match_points(placement=placement, kills=kills, table=BGMI, kill_points=1)


@pytest.mark.parametrize("sign", [0, 2, -2])
def test_totals_add_rejects_other_signs(sign):
    with pytest.raises(ValueError, match="sign"):
        h2h_totals_add(H2HTotals(team_id=1), score_for=1, score_against=0, sign=sign)


br_results = st.tuples(st.integers(1, 30), st.integers(0, 20))
tables = st.sampled_from([BGMI, FREE_FIRE, (1,), (), (3, 2, 1)])


@fast
@given(
    data=st.data(),
    results=st.lists(br_results, max_size=8),
    table=tables,
    kill_points=st.integers(0, 3),
)
def test_br_totals_do_not_depend_on_the_order_of_results(data, results, table, kill_points):
    def total(ordered: Sequence[tuple[int, int]]) -> BRTotals:
        totals = BRTotals(team_id=1)
        for placement, kills in ordered:
            totals = br_totals_add(totals, placement=placement, kills=kills, table=table, kill_points=kill_points)
        return totals

    totals = total(results)
    assert total(data.draw(st.permutations(results))) == totals
    placement_points = sum(ref_placement_points(table, placement) for placement, _ in results)
    kills = sum(kills for _, kills in results)
    assert totals == BRTotals(
        team_id=1,
        points=placement_points + kill_points * kills,
        wins=sum(placement == 1 for placement, _ in results),
        placement_points=placement_points,
        kills=kills,
        matches_played=len(results),
    )


# --- battle-royale ranking -------------------------------------------------------------


def test_br_rank_walks_every_rule():
    """Totals are set by hand (not from matches) so that each rule gets to decide once."""
    totals = [
        BRTotals(team_id=8, points=30),
        BRTotals(team_id=7, points=40, wins=1, placement_points=25, kills=12),  # no match shared with 5 or 6
        BRTotals(team_id=6, points=40, wins=1, placement_points=25, kills=12),
        BRTotals(team_id=5, points=40, wins=1, placement_points=25, kills=12),
        BRTotals(team_id=4, points=40, wins=1, placement_points=25, kills=15),
        BRTotals(team_id=3, points=40, wins=1, placement_points=30, kills=10),
        BRTotals(team_id=2, points=40, wins=2, placement_points=30, kills=10),
        BRTotals(team_id=1, points=50),
    ]
    placements = {
        5: [(1, 9), (2, 7), (3, 4)],
        6: [(1, 1), (2, 2), (3, 6)],  # better than 5 earlier, but only the latest shared match counts
        7: [(4, 1)],
    }
    ranked = br_rank(totals, placements=placements)
    assert [row for _, row in ranked] == [
        RankedRow(team_id=1, rank=1, decided_by=None),
        RankedRow(team_id=2, rank=2, decided_by=None),
        RankedRow(team_id=3, rank=3, decided_by="wins"),
        RankedRow(team_id=4, rank=4, decided_by="placement_points"),
        RankedRow(team_id=5, rank=5, decided_by="kills"),
        RankedRow(team_id=6, rank=6, decided_by="latest_match"),
        RankedRow(team_id=7, rank=6, decided_by="tied"),
        RankedRow(team_id=8, rank=8, decided_by=None),
    ]
    assert [t.team_id for t, _ in ranked] == [row.team_id for _, row in ranked]


def test_br_rank_uses_the_latest_match_the_pair_shared():
    totals = [BRTotals(team_id=1, points=20), BRTotals(team_id=2, points=20)]
    placements = {1: [(1, 2), (2, 5), (3, 1)], 2: [(1, 3), (2, 4)]}  # team 1 alone played match 3
    ranked = br_rank(totals, placements=placements)
    assert [row for _, row in ranked] == [
        RankedRow(team_id=2, rank=1, decided_by=None),
        RankedRow(team_id=1, rank=2, decided_by="latest_match"),
    ]


def test_br_rank_survives_an_intransitive_latest_match_cycle():
    """1 beats 2 in match 1, 2 beats 3 in match 2, 3 beats 1 in match 3: no order satisfies every pair."""
    totals = [BRTotals(team_id=team, points=10, wins=1, placement_points=8, kills=2) for team in (1, 2, 3)]
    placements = {1: [(1, 1), (3, 2)], 2: [(1, 2), (2, 1)], 3: [(2, 2), (3, 1)]}
    ranked = br_rank(totals, placements=placements)
    assert_ranking(ranked, totals, RULES_BR, placements)
    assert [row.rank for _, row in ranked] == [1, 2, 3]
    assert [row.decided_by for _, row in ranked] == [None, "latest_match", "latest_match"]
    assert br_rank(totals[::-1], placements=placements) == ranked


def test_br_rank_of_nobody_is_empty():
    assert br_rank([], placements={}) == []
    assert h2h_rank([]) == []


@dataclass(frozen=True)
class History:
    team_ids: list[int]
    table: tuple[int, ...]
    kill_points: int
    matches: list[dict[int, tuple[int, int]]]  # in time order: team_id -> (placement, kills)

    def placements(self) -> dict[int, list[tuple[int, int]]]:
        """team_id -> [(match_order, placement)], straight from the raw results."""
        return {
            team: [(order, match[team][0]) for order, match in enumerate(self.matches, start=1) if team in match]
            for team in self.team_ids
        }

    def reference_totals(self, team: int) -> BRTotals:
        results = [match[team] for match in self.matches if team in match]
        placement_points = sum(ref_placement_points(self.table, placement) for placement, _ in results)
        kills = sum(kills for _, kills in results)
        return BRTotals(
            team_id=team,
            points=placement_points + self.kill_points * kills,
            wins=sum(placement == 1 for placement, _ in results),
            placement_points=placement_points,
            kills=kills,
            matches_played=len(results),
        )


@st.composite
def histories(draw: st.DrawFn, *, everyone_plays: bool) -> History:
    team_ids = draw(st.lists(st.integers(1, 10_000), min_size=2, max_size=12, unique=True))
    max_kills = draw(st.sampled_from([0, 2, 20]))  # few kills make ties, and so tie-breaks, likely
    matches = []
    for _ in range(draw(st.integers(1, 6))):
        playing = team_ids if everyone_plays else draw(st.lists(st.sampled_from(team_ids), min_size=1, unique=True))
        size = len(playing)
        places = draw(st.lists(st.integers(1, 25), min_size=size, max_size=size, unique=True))
        if everyone_plays and draw(st.booleans()):
            places = list(range(1, size + 1))
        kills = draw(st.lists(st.integers(0, max_kills), min_size=size, max_size=size))
        matches.append(dict(zip(playing, zip(places, kills, strict=True), strict=True)))
    return History(
        team_ids=team_ids,
        table=draw(tables),
        kill_points=draw(st.sampled_from([0, 1, 2])),
        matches=matches,
    )


def totals_by_adding(history: History) -> list[BRTotals]:
    totals = {team: BRTotals(team_id=team) for team in history.team_ids}
    for match in history.matches:
        for team, (placement, kills) in match.items():
            totals[team] = br_totals_add(
                totals[team], placement=placement, kills=kills, table=history.table, kill_points=history.kill_points
            )
    return list(totals.values())


@fast
@given(history=histories(everyone_plays=False), data=st.data())
def test_br_rank_of_random_histories_matches_the_reference(history, data):
    totals = totals_by_adding(history)
    assert totals == [history.reference_totals(team) for team in history.team_ids]
    placements = history.placements()
    ranked = br_rank(totals, placements=placements)
    assert_ranking(ranked, totals, RULES_BR, placements)
    assert br_rank(data.draw(st.permutations(totals)), placements=placements) == ranked

    def earlier_rules(t: BRTotals) -> tuple[int, ...]:
        return (t.points, t.wins, t.placement_points, t.kills)

    keys = [earlier_rules(t) for t in totals]
    # What the caller may send instead: placements only for teams tied on all earlier rules.
    tied_only = {t.team_id: placements[t.team_id] for t in totals if keys.count(earlier_rules(t)) > 1}
    assert br_rank(totals, placements=tied_only) == ranked


@fast
@given(history=histories(everyone_plays=True))
def test_br_rank_is_a_plain_sort_when_everyone_played_every_match(history):
    """Every pair then shares the last match, so the rules form a total preorder and the order is unique."""
    totals = totals_by_adding(history)
    ranked = br_rank(totals, placements=history.placements())
    last = history.matches[-1]

    def reference_key(t: BRTotals) -> tuple[int, ...]:
        return (-t.points, -t.wins, -t.placement_points, -t.kills, last[t.team_id][0], t.team_id)

    assert [t for t, _ in ranked] == sorted(totals, key=reference_key)
    assert_ranking(ranked, totals, RULES_BR, history.placements())


@st.composite
def arbitrary_br_tables(draw: st.DrawFn) -> tuple[list[BRTotals], dict[int, list[tuple[int, int]]]]:
    """Totals and placements unrelated to each other and in tiny ranges, so every rule decides often;
    placements may repeat within a match."""
    team_ids = draw(st.lists(st.integers(1, 50), min_size=1, max_size=10, unique=True))
    small = st.integers(0, 1)
    totals = [
        BRTotals(
            team_id=team,
            points=draw(small),
            wins=draw(small),
            placement_points=draw(small),
            kills=draw(small),
            matches_played=draw(small),
        )
        for team in team_ids
    ]
    placements = {
        team: [(order, draw(st.integers(1, 3))) for order in draw(st.sets(st.integers(1, 4), max_size=4))]
        for team in team_ids
        if draw(st.booleans())
    }
    return totals, placements


@fast
@given(case=arbitrary_br_tables())
def test_br_rank_of_arbitrary_totals_matches_the_reference(case):
    totals, placements = case
    assert_ranking(br_rank(totals, placements=placements), totals, RULES_BR, placements)


chains = st.lists(st.sampled_from(TIE_BREAKERS_BR[1:]), unique=True).map(lambda rest: ("points", *rest))


@st.composite
def flagged_br_tables(draw: st.DrawFn) -> tuple[list[BRTotals], dict[int, list[tuple[int, int]]]]:
    """arbitrary_br_tables with some teams disqualified and at most one match-point champion."""
    totals, placements = draw(arbitrary_br_tables())
    champion = draw(st.sampled_from([None, *(t.team_id for t in totals)]))
    totals = [
        replace(t, disqualified=t.team_id != champion and draw(st.booleans()), champion=t.team_id == champion)
        for t in totals
    ]
    return totals, placements


@fast
@given(case=flagged_br_tables(), chain=chains, data=st.data())
def test_br_rank_follows_any_tie_breaker_chain(case, chain, data):
    """Every chain a tournament may configure, with disqualified teams and a champion, against the reference."""
    totals, placements = case
    ranked = br_rank(totals, placements=placements, tie_breakers=chain)
    assert_ranking(ranked, totals, chain, placements)
    assert br_rank(data.draw(st.permutations(totals)), placements=placements, tie_breakers=chain) == ranked
    flagged = [t for t, _ in ranked if t.disqualified]
    assert [t for t, _ in ranked][len(ranked) - len(flagged) :] == flagged, "disqualified teams rank last"
    if any(t.champion for t in totals):
        assert ranked[0][0].champion


def test_br_rank_chain_can_put_head_to_head_and_best_placement_first():
    totals = [BRTotals(team_id=1, points=20, wins=1), BRTotals(team_id=2, points=20), BRTotals(team_id=3, points=20)]
    placements = {1: [(1, 1), (2, 9), (3, 8)], 2: [(1, 2), (2, 3), (3, 4)], 3: [(1, 3), (2, 2), (3, 5)]}
    ranked = br_rank(totals, placements=placements, tie_breakers=("points", "head_to_head", "wins"))
    # 2 finished above 1 twice and above 3 twice; 3 above 1 twice.
    assert [(row.team_id, row.decided_by) for _, row in ranked] == [
        (2, None), (3, "head_to_head"), (1, "head_to_head"),
    ]  # fmt: skip
    ranked = br_rank(totals, placements=placements, tie_breakers=("points", "best_placement", "kills"))
    assert [(row.team_id, row.rank, row.decided_by) for _, row in ranked] == [
        (1, 1, None), (2, 2, "best_placement"), (3, 2, "tied"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "chain", [(), ("wins", "points"), ("points", "points"), ("points", "luck")], ids=["empty", "wins", "twice", "luck"]
)
def test_br_rank_refuses_a_bad_chain(chain):
    with pytest.raises(ValueError, match="tie-breaker chain"):
        br_rank([BRTotals(team_id=1)], placements={}, tie_breakers=chain)


# --- head to head ----------------------------------------------------------------------


def h2h_from(team_id: int, scores: Sequence[tuple[int, int]]) -> H2HTotals:
    totals = H2HTotals(team_id=team_id)
    for score_for, score_against in scores:
        totals = h2h_totals_add(totals, score_for=score_for, score_against=score_against)
    return totals


def test_h2h_points_are_three_per_win_and_one_per_draw():
    totals = h2h_from(1, [(3, 0), (1, 1), (0, 2), (2, 1)])
    assert totals == H2HTotals(team_id=1, played=4, wins=2, draws=1, losses=1, score_for=6, score_against=4)
    assert totals.points == 7
    assert totals.score_difference == 2


def test_h2h_rejects_negative_scores():
    with pytest.raises(ValueError, match="invalid score"):
        h2h_totals_add(H2HTotals(team_id=1), score_for=-1, score_against=0)


def test_h2h_rank_walks_every_rule():
    totals = [
        h2h_from(8, [(0, 1)]),
        h2h_from(7, [(1, 1), (1, 1), (1, 1), (2, 2)]),
        h2h_from(6, [(1, 1), (1, 1), (1, 1), (2, 2)]),
        h2h_from(5, [(4, 0), (1, 1), (0, 4)]),
        h2h_from(4, [(2, 0), (2, 2)]),
        h2h_from(3, [(4, 2), (2, 2)]),
        h2h_from(2, [(3, 0), (2, 2)]),
        h2h_from(1, [(3, 0), (2, 1)]),
    ]
    ranked = h2h_rank(totals)
    assert [row for _, row in ranked] == [
        RankedRow(team_id=1, rank=1, decided_by=None),
        RankedRow(team_id=2, rank=2, decided_by=None),
        RankedRow(team_id=3, rank=3, decided_by="score_difference"),
        RankedRow(team_id=4, rank=4, decided_by="score_for"),
        RankedRow(team_id=5, rank=5, decided_by="score_difference"),
        RankedRow(team_id=6, rank=6, decided_by="wins"),
        RankedRow(team_id=7, rank=6, decided_by="tied"),
        RankedRow(team_id=8, rank=8, decided_by=None),
    ]


h2h_scores = st.tuples(st.integers(0, 5), st.integers(0, 5))
h2h_start = st.builds(
    H2HTotals,
    team_id=st.integers(1, 100),
    played=st.integers(0, 30),
    wins=st.integers(0, 10),
    draws=st.integers(0, 10),
    losses=st.integers(0, 10),
    score_for=st.integers(0, 100),
    score_against=st.integers(0, 100),
)


@fast
@given(start=h2h_start, score=h2h_scores)
def test_h2h_totals_add_then_remove_is_the_identity(start, score):
    score_for, score_against = score
    added = h2h_totals_add(start, score_for=score_for, score_against=score_against)
    assert h2h_totals_add(added, score_for=score_for, score_against=score_against, sign=-1) == start


@fast
@given(data=st.data(), scores=st.lists(h2h_scores, max_size=10))
def test_h2h_totals_do_not_depend_on_the_order_of_results(data, scores):
    totals = h2h_from(1, scores)
    assert h2h_from(1, data.draw(st.permutations(scores))) == totals
    wins = sum(f > a for f, a in scores)
    draws = sum(f == a for f, a in scores)
    assert (totals.played, totals.wins, totals.draws, totals.losses) == (
        len(scores),
        wins,
        draws,
        len(scores) - wins - draws,
    )
    assert totals.points == 3 * wins + draws
    assert totals.score_difference == sum(f for f, _ in scores) - sum(a for _, a in scores)


@st.composite
def h2h_seasons(draw: st.DrawFn) -> tuple[list[int], list[tuple[int, int, int, int]]]:
    """Team ids and games (home, away, home_score, away_score)."""
    team_ids = draw(st.lists(st.integers(1, 10_000), min_size=2, max_size=10, unique=True))
    pairs = st.lists(st.sampled_from(team_ids), min_size=2, max_size=2, unique=True)
    games = draw(st.lists(st.tuples(pairs, st.integers(0, 3), st.integers(0, 3)), max_size=25))
    return team_ids, [(home, away, home_score, away_score) for (home, away), home_score, away_score in games]


@fast
@given(season=h2h_seasons(), data=st.data())
def test_h2h_rank_of_random_seasons_matches_the_reference(season, data):
    team_ids, games = season
    totals = {team: H2HTotals(team_id=team) for team in team_ids}
    for home, away, home_score, away_score in games:
        totals[home] = h2h_totals_add(totals[home], score_for=home_score, score_against=away_score)
        totals[away] = h2h_totals_add(totals[away], score_for=away_score, score_against=home_score)
    rows = list(totals.values())

    def reference_key(t: H2HTotals) -> tuple[int, ...]:
        scores = [(hs, as_) for h, _, hs, as_ in games if h == t.team_id]
        scores += [(as_, hs) for _, a, hs, as_ in games if a == t.team_id]
        wins = sum(f > a for f, a in scores)
        points = 3 * wins + sum(f == a for f, a in scores)
        score_for = sum(f for f, _ in scores)
        return (-points, -(score_for - sum(a for _, a in scores)), -score_for, -wins, t.team_id)

    ranked = h2h_rank(rows)
    assert [t for t, _ in ranked] == sorted(rows, key=reference_key)
    assert_ranking(ranked, rows, RULES_H2H)
    assert h2h_rank(data.draw(st.permutations(rows))) == ranked
    assert all(t.points == 3 * t.wins + t.draws for t in rows)
