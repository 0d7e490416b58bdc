"""Battle-royale scoring rules (competitions/scoring.py): the official presets against hand-computed
examples, each rule on its own, and whole stages against a brute-force reference written from the rules
in competitions/scoring.py's docstring and API.md (not from the implementation)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competitions.scoring import (
    DEFAULT_SCORING,
    PRESETS,
    Result,
    Rules,
    ScoringInvalid,
    kill_score,
    match_points,
    rules_from,
    scoring_clean,
    stage_head_start,
    stage_rank,
)
from competitions.standings import TIE_BREAKERS_BR, BRTotals
from tests.competitions.test_standings import assert_ranking

fast = settings(max_examples=150, deadline=None)


def preset_rules(name: str, **rules) -> Rules:
    preset = PRESETS[name]
    scoring = scoring_clean({"preset": name, **rules}, matches_per_group=20)
    return rules_from(points_table=preset.points_table, kill_points=preset.kill_points, scoring=scoring)


# --- presets: hand-computed from the official tables -------------------------------------------


@pytest.mark.parametrize(
    ("preset", "placement", "kills", "expected"),
    [
        # PMGC 2024 / BGMI 2024: 10-6-5-4-3-2-1-1-0…, 1 per finish.
        ("pmgc", 1, 8, (10, 18)),
        ("pmgc", 2, 3, (6, 9)),
        ("pmgc", 7, 2, (1, 3)),
        ("pmgc", 8, 0, (1, 1)),
        ("pmgc", 9, 5, (0, 5)),
        ("pmgc", 16, 0, (0, 0)),
        # PMPL 2020–22 / BMPS "15": 15-12-10-8-6-4-2-1-1-1-1-1-0…
        ("pmpl_15", 1, 12, (15, 27)),
        ("pmpl_15", 3, 4, (10, 14)),
        ("pmpl_15", 7, 1, (2, 3)),
        ("pmpl_15", 12, 0, (1, 1)),
        ("pmpl_15", 13, 2, (0, 2)),
        # FFWS: 12-9-8-7-6-5-4-3-2-1-0-0.
        ("ffws", 1, 6, (12, 18)),
        ("ffws", 5, 2, (6, 8)),
        ("ffws", 10, 0, (1, 1)),
        ("ffws", 11, 3, (0, 3)),
        ("ffws", 12, 0, (0, 0)),
        # ALGS: 12-9-7-5-4-3-3-2-2-2-1-1-1-1-1-0…, 1 per kill.
        ("algs", 1, 5, (12, 17)),
        ("algs", 4, 2, (5, 7)),
        ("algs", 7, 0, (3, 3)),
        ("algs", 10, 1, (2, 3)),
        ("algs", 15, 0, (1, 1)),
        ("algs", 16, 4, (0, 4)),
        ("algs", 20, 0, (0, 0)),
    ],
)
def test_presets_score_like_the_official_tables(preset, placement, kills, expected):
    assert match_points(preset_rules(preset), placement=placement, kills=kills) == expected


def test_a_pmgc_day_adds_up_like_the_published_example():
    """Three matches of one team under PMGC: WWCD with 9 finishes, 4th with 3, 12th with 1."""
    rules = preset_rules("pmgc")
    results = [Result(1, 1, 1, 9), Result(1, 2, 4, 3), Result(1, 3, 12, 1)]
    [(totals, _)] = stage_rank(rules, team_ids=[1], results=results)
    assert (totals.points, totals.wins, totals.placement_points, totals.kills) == (19 + 7 + 1, 1, 14, 13)


# --- each rule ---------------------------------------------------------------------------------


def test_kill_cap_stops_kill_points_not_kills():
    rules = preset_rules("pmgc", kill_cap=5)
    assert match_points(rules, placement=2, kills=9) == (6, 11)
    [(totals, _)] = stage_rank(rules, team_ids=[1], results=[Result(1, 1, 2, 9)])
    assert (totals.points, totals.kills) == (11, 9)


def test_kill_tiers_pay_each_kill_by_its_tier():
    rules = preset_rules("ffws", kill_tiers=[{"from_kill": 1, "points": 1}, {"from_kill": 4, "points": 2}])
    assert [kill_score(rules, kills) for kills in (0, 1, 3, 4, 6)] == [0, 1, 3, 5, 9]
    capped = preset_rules("ffws", kill_cap=5, kill_tiers=[{"from_kill": 1, "points": 1}, {"from_kill": 4, "points": 2}])
    assert kill_score(capped, 8) == 7


def test_wwcd_bonus_is_extra_points_for_first_place_only():
    rules = preset_rules("pmpl_15", wwcd_bonus=5)
    assert match_points(rules, placement=1, kills=2) == (15, 22)
    assert match_points(rules, placement=2, kills=2) == (12, 14)


def test_best_of_counts_the_best_matches_and_their_stats():
    rules = preset_rules("pmgc", best_of=2)
    results = [Result(1, 1, 9, 0), Result(1, 2, 1, 2), Result(1, 3, 3, 6), Result(1, 4, 2, 1)]
    [(totals, _)] = stage_rank(rules, team_ids=[1], results=results)
    # Points per match 0, 12, 11, 7: matches 2 and 3 count.
    assert (totals.points, totals.wins, totals.placement_points, totals.kills, totals.matches_played) == (
        23, 1, 15, 8, 4,
    )  # fmt: skip


def test_head_start_and_carry_over():
    rules = preset_rules("pmgc", head_start={"7": 5}, carry_over=True)
    assert stage_head_start(rules, stage_number=1, previous_points={}) == {7: 5}
    assert stage_head_start(rules, stage_number=2, previous_points={7: 30, 8: 12}) == {7: 30, 8: 12}
    assert stage_head_start(preset_rules("pmgc"), stage_number=2, previous_points={7: 30}) == {}
    ranked = stage_rank(rules, team_ids=[7, 8], results=[Result(8, 1, 1, 0), Result(7, 1, 2, 0)], head_start={7: 5})
    assert [(t.team_id, t.points, t.head_start) for t, _ in ranked] == [(7, 11, 5), (8, 10, 0)]


def test_disqualified_team_keeps_or_voids_its_points_and_ranks_last():
    results = [Result(1, 1, 1, 10), Result(2, 1, 2, 0)]
    for dq_points, points in (("keep", 20), ("void", 0)):
        ranked = stage_rank(
            preset_rules("pmgc", dq_points=dq_points), team_ids=[1, 2], results=results, disqualified={1}
        )
        assert [(t.team_id, t.points, row.rank, row.decided_by) for t, row in ranked] == [
            (2, 6, 1, None), (1, points, 2, "disqualified"),
        ]  # fmt: skip


def test_match_point_champion_is_the_first_eligible_team_to_win_a_later_match():
    """ALGS final, threshold 20: team 1 reaches it in match 1 but wins nothing after; team 2 wins match 2
    without being eligible (13 before it), which does not count, reaches 25 there, wins match 3 and is
    champion, though team 1 has more points."""
    rules = preset_rules("algs", match_point=20)
    results = [
        Result(1, 1, 1, 8), Result(2, 1, 2, 4), Result(3, 1, 3, 0),  # 1: 20, 2: 13, 3: 7
        Result(1, 2, 3, 1), Result(2, 2, 1, 0), Result(3, 2, 2, 0),  # 1: 28, 2: 25, 3: 16
        Result(1, 3, 2, 6), Result(2, 3, 1, 0), Result(3, 3, 3, 0),  # 2 was eligible: champion
    ]  # fmt: skip
    ranked = stage_rank(rules, team_ids=[1, 2, 3], results=results, final=True)
    assert [(t.team_id, t.points, t.champion, t.match_point, row.decided_by) for t, row in ranked] == [
        (2, 37, True, False, None), (1, 43, False, True, "match_point"), (3, 23, False, False, None),
    ]  # fmt: skip
    early = stage_rank(rules, team_ids=[1, 2, 3], results=results[:6], final=True)
    assert not any(t.champion for t, _ in early)
    assert {t.team_id for t, _ in early if t.match_point} == {1, 2}
    # Not the final stage: no match point at all.
    assert not any(t.champion or t.match_point for t, _ in stage_rank(rules, team_ids=[1, 2, 3], results=results))


# --- validation --------------------------------------------------------------------------------


def test_scoring_clean_fills_in_the_defaults():
    assert scoring_clean({}, matches_per_group=3) == DEFAULT_SCORING
    assert rules_from(points_table=[3, 2, 1], kill_points=1, scoring={}).tie_breakers == (
        "points", "wins", "placement_points", "kills", "latest_match",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("scoring", "key"),
    [
        ({"preset": "pubg_2018"}, "preset"),
        ({"kill_cap": -1}, "kill_cap"),
        ({"kill_tiers": [{"from_kill": 2, "points": 1}]}, "kill_tiers"),
        ({"kill_tiers": [{"from_kill": 1, "points": 1}, {"from_kill": 1, "points": 2}]}, "kill_tiers"),
        ({"kill_tiers": [{"from_kill": 1}]}, "kill_tiers"),
        ({"wwcd_bonus": True}, "wwcd_bonus"),
        ({"best_of": 4}, "best_of"),
        ({"head_start": {"abc": 3}}, "head_start"),
        ({"head_start": {"5": -3}}, "head_start"),
        ({"match_point": 0}, "match_point"),
        ({"match_point": 50, "best_of": 2}, "match_point"),
        ({"dq_points": "half"}, "dq_points"),
        ({"tie_breakers": ["kills", "points"]}, "tie_breakers"),
        ({"tie_breakers": ["points", "kills", "kills"]}, "tie_breakers"),
        ({"tie_breakers": ["points", "luck"]}, "tie_breakers"),
        ({"tie_breakers": []}, "tie_breakers"),
        ({"bonus": 1}, "bonus"),
    ],
)
def test_scoring_clean_refuses_bad_rules_with_the_key_at_fault(scoring, key):
    with pytest.raises(ScoringInvalid) as caught:
        scoring_clean(scoring, matches_per_group=3)
    assert f"scoring.{key}" in caught.value.errors


# --- whole stages against a brute-force reference ----------------------------------------------


def ref_kill_points(rules: Rules, kills: int) -> int:
    total = 0
    for kill in range(1, kills + 1):
        if rules.kill_cap is not None and kill > rules.kill_cap:
            break
        tiers = [tier for tier in rules.kill_tiers if tier.from_kill <= kill]
        total += tiers[-1].points if rules.kill_tiers else rules.kill_points
    return total


def ref_points(rules: Rules, placement: int, kills: int) -> int:
    table = [*rules.points_table, *[0] * placement]
    return table[placement - 1] + (rules.wwcd_bonus if placement == 1 else 0) + ref_kill_points(rules, kills)


@dataclass(frozen=True)
class Stage:
    rules: Rules
    team_ids: list[int]
    results: list[Result]
    head_start: dict[int, int]
    disqualified: set[int]
    final: bool


def ref_total_before(stage: Stage, team: int, order: int) -> int:
    """Head start plus every match of `team` before match `order`, from scratch."""
    return stage.head_start.get(team, 0) + sum(
        ref_points(stage.rules, r.placement, r.kills)
        for r in stage.results
        if r.team_id == team and r.match_order < order
    )


def ref_champion(stage: Stage) -> tuple[int | None, int]:
    """(champion, the match it won): the first match won by a team whose total before it had reached the
    threshold; (None, one past the last match) when there is none."""
    orders = sorted({r.match_order for r in stage.results})
    if stage.final and stage.rules.match_point is not None:
        for order in orders:
            winner = next((r.team_id for r in stage.results if r.match_order == order and r.placement == 1), None)
            eligible = winner is not None and ref_total_before(stage, winner, order) >= stage.rules.match_point
            if eligible and winner not in stage.disqualified:
                return winner, order
    return None, (orders[-1] + 1 if orders else 1)


def ref_totals(stage: Stage) -> dict[int, BRTotals]:
    rules = stage.rules
    champion, decided_in = ref_champion(stage)
    totals = {}
    for team in stage.team_ids:
        played = [r for r in stage.results if r.team_id == team]
        size = len(played) if rules.best_of is None else min(rules.best_of, len(played))
        # The best total over every choice of `size` matches; the stats of the choice the rules name.
        best = max(sum(ref_points(rules, r.placement, r.kills) for r in pick) for pick in combinations(played, size))
        kept = sorted(played, key=lambda r: (-ref_points(rules, r.placement, r.kills), r.placement, r.match_order))
        kept = kept[:size]
        assert sum(ref_points(rules, r.placement, r.kills) for r in kept) == best
        head = stage.head_start.get(team, 0)
        dq = team in stage.disqualified
        at_match_point = (
            stage.final
            and rules.match_point is not None
            and not dq
            and team != champion
            and ref_total_before(stage, team, decided_in) >= rules.match_point
        )
        row = BRTotals(
            team_id=team,
            points=head + best,
            wins=sum(r.placement == 1 for r in kept),
            placement_points=sum([*rules.points_table, *[0] * r.placement][r.placement - 1] for r in kept),
            kills=sum(r.kills for r in kept),
            matches_played=len(played),
            head_start=head,
            disqualified=dq,
            champion=team == champion,
            match_point=at_match_point,
        )
        if dq and rules.dq_points == "void":
            row = BRTotals(team_id=team, matches_played=len(played), disqualified=True)
        totals[team] = row
    return totals


@st.composite
def stages(draw: st.DrawFn) -> Stage:
    team_ids = draw(st.lists(st.integers(1, 500), min_size=1, max_size=8, unique=True))
    preset = PRESETS[draw(st.sampled_from(sorted(PRESETS)))]
    matches = draw(st.integers(1, 5))
    tiers = draw(
        st.sampled_from(
            [[], [{"from_kill": 1, "points": 1}, {"from_kill": 3, "points": 2}], [{"from_kill": 1, "points": 0}]]
        )
    )
    # A third of the stages are match-point finals, so that champions are common.
    match_point = draw(st.sampled_from([None, None, 5, 12]))
    best_of = None if match_point else draw(st.sampled_from([None, 1, 2, 3]))
    scoring = {
        "kill_cap": draw(st.sampled_from([None, 0, 2, 5])),
        "kill_tiers": tiers,
        "wwcd_bonus": draw(st.sampled_from([0, 3])),
        "best_of": best_of,
        "match_point": match_point,
        "dq_points": draw(st.sampled_from(["keep", "void"])),
        "tie_breakers": ["points", *draw(st.lists(st.sampled_from(TIE_BREAKERS_BR[1:]), unique=True))],
    }
    rules = rules_from(
        points_table=preset.points_table,
        kill_points=draw(st.sampled_from([0, 1, 2])),
        scoring=scoring_clean(scoring, matches_per_group=5),
    )
    results = []
    for order in range(1, matches + 1):
        playing = draw(st.lists(st.sampled_from(team_ids), unique=True))  # the others did not show up
        places = draw(st.permutations(range(1, len(team_ids) + 1)))[: len(playing)]
        results += [
            Result(team, order, place, draw(st.integers(0, 6))) for team, place in zip(playing, places, strict=True)
        ]
    return Stage(
        rules=rules,
        team_ids=team_ids,
        results=results,
        head_start={team: draw(st.integers(0, 20)) for team in team_ids if draw(st.booleans())},
        disqualified={team for team in team_ids if draw(st.integers(0, 4)) == 0},
        final=match_point is not None or draw(st.booleans()),
    )


def placements_of(results: Sequence[Result]) -> Mapping[int, list[tuple[int, int]]]:
    placements: dict[int, list[tuple[int, int]]] = {}
    for r in results:
        placements.setdefault(r.team_id, []).append((r.match_order, r.placement))
    return placements


@fast
@given(stage=stages(), data=st.data())
def test_stage_rank_matches_the_reference_under_every_rule(stage, data):
    ranked = stage_rank(
        stage.rules, team_ids=stage.team_ids, results=stage.results, head_start=stage.head_start,
        disqualified=stage.disqualified, final=stage.final,
    )  # fmt: skip
    expected = ref_totals(stage)
    assert {t.team_id: t for t, _ in ranked} == expected
    assert_ranking(ranked, list(expected.values()), stage.rules.tie_breakers, placements_of(stage.results))
    shuffled = stage_rank(
        stage.rules, team_ids=data.draw(st.permutations(stage.team_ids)),
        results=data.draw(st.permutations(stage.results)), head_start=stage.head_start,
        disqualified=stage.disqualified, final=stage.final,
    )  # fmt: skip
    assert shuffled == ranked
