"""Standings arithmetic: match points, running totals and tie-broken ranking. Pure Python, no ORM.

Ranking semantics (both formats):

* Rows are ordered best first by the format's rules, in order (``RULES_BR`` / ``RULES_H2H``); every rule
  except the battle-royale ``latest_match`` is a number where more is better.
* Walking the ordered rows, each row after the first is compared with the row just above it. The first
  rule that separates them gives ``decided_by`` and the row's rank is its 1-based position. When no rule
  separates them the row shares the rank of the row above ("1, 2, 2, 4") and ``decided_by`` is "tied".
  ``decided_by`` is None for the first row and when "points" already separated the pair: no tie-break
  was needed.
* Rows that no rule separates are listed by team_id ascending, so the output never depends on the
  input order.

``latest_match`` (battle royale): between two teams, take the latest match_order present in both teams'
placement lists; the smaller placement there is better. Teams that share no match are not separated.

This pairwise rule can be intransitive when the tied teams did not all play the same matches (A beats B
in match 1, B beats C in match 2, C beats A in match 3), and then no order agrees with every pair;
``sorted`` promises nothing for such a comparator. Teams tied on the other rules are therefore placed
by insertion (see ``_chain``), which guarantees what the output promises: every row is ranked correctly
against the row just above it (so a cycle shows as ranks 1, 2, 3, each decided by latest_match), and
the result is deterministic. When the tied teams played the same matches, as within a group, the rule
is transitive and this is a plain sort.
We keep the pairwise rule rather than "the latest match all tied teams played" because that would
judge some neighbouring pairs on an older match than the one they both played last.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from typing import TypeVar

RULES_BR = ("points", "wins", "placement_points", "kills", "latest_match")
RULES_H2H = ("points", "score_difference", "score_for", "wins")
# Every battle-royale tie-breaker a tournament may chain (competitions.scoring validates the chain;
# RULES_BR, today's order, is the default). best_placement: the better best single-match placement;
# head_to_head: more of the matches both teams played finished above the other team.
TIE_BREAKERS_BR = ("points", "wins", "placement_points", "kills", "best_placement", "latest_match", "head_to_head")
# Rules between two teams rather than on one team's numbers: they may be intransitive (see _chain).
PAIRWISE_BR = ("latest_match", "head_to_head")
# Rules that need each team's placements match by match, not only its totals.
PLACEMENT_BR = ("best_placement", *PAIRWISE_BR)
# Always ahead of a tournament's chain: a disqualified team ranks below every other one, and in
# match-point mode the champion above every other one, whatever their points.
DISQUALIFIED = "disqualified"
MATCH_POINT = "match_point"

TIED = "tied"


@dataclass(frozen=True)
class BRTotals:
    team_id: int
    points: int = 0
    wins: int = 0  # matches with placement 1
    placement_points: int = 0
    kills: int = 0
    matches_played: int = 0
    head_start: int = 0  # points carried in from a previous stage, already in `points`
    disqualified: bool = False
    champion: bool = False  # match-point mode: won a match after reaching the threshold
    match_point: bool = False  # match-point mode: reached the threshold, not champion (yet)


@dataclass(frozen=True)
class H2HTotals:
    team_id: int
    played: int = 0
    wins: int = 0
    draws: int = 0
    losses: int = 0
    score_for: int = 0
    score_against: int = 0

    @property
    def points(self) -> int:
        return 3 * self.wins + self.draws

    @property
    def score_difference(self) -> int:
        return self.score_for - self.score_against


@dataclass(frozen=True)
class RankedRow:
    team_id: int
    rank: int  # 1-based; teams that no rule separates share a rank
    decided_by: str | None  # see the module docstring


Totals = TypeVar("Totals", BRTotals, H2HTotals)
# Negative when the first row ranks above the second, 0 when the rule does not separate them.
Compare = Callable[[Totals, Totals], int]


def h2h_totals_add(
    totals: H2HTotals, *, score_for: int, score_against: int, sign: int = 1, outcome: str | None = None
) -> H2HTotals:
    """Add (sign=1) or remove (sign=-1, for corrections) one match result, seen from this team's side.
    `outcome` ("win" or "loss") overrides the scores' verdict: a forfeit is won or lost without a score
    (then 0-0, so the score difference is unchanged)."""
    _check_sign(sign)
    if score_for < 0 or score_against < 0:
        raise ValueError(f"invalid score: {score_for}-{score_against}")
    if outcome not in (None, "win", "loss"):
        raise ValueError(f"invalid outcome: {outcome}")
    won = outcome == "win" if outcome else score_for > score_against
    lost = outcome == "loss" if outcome else score_for < score_against
    return replace(
        totals,
        played=totals.played + sign,
        wins=totals.wins + sign * won,
        draws=totals.draws + sign * (not won and not lost),
        losses=totals.losses + sign * lost,
        score_for=totals.score_for + sign * score_for,
        score_against=totals.score_against + sign * score_against,
    )


def br_rank(
    totals: Sequence[BRTotals],
    *,
    placements: Mapping[int, Sequence[tuple[int, int]]],
    tie_breakers: Sequence[str] = RULES_BR,
) -> list[tuple[BRTotals, RankedRow]]:
    """Order battle-royale standings by the tournament's tie-breaker chain (default RULES_BR: total
    points, then wins, then placement points, then kills, then the better placement in the latest match
    both teams played). Disqualified teams rank below all others, a match-point champion above all
    others (``decided_by`` "disqualified" / "match_point").

    `placements` maps team_id -> [(match_order, placement), ...] (match_order increases with time); it
    only needs entries for teams tied on every rule before the first placement-based one
    (best_placement, latest_match, head_to_head).
    """
    unknown = [rule for rule in tie_breakers if rule not in TIE_BREAKERS_BR]
    if unknown or not tie_breakers or tie_breakers[0] != "points" or len(set(tie_breakers)) != len(tie_breakers):
        raise ValueError(f"invalid tie-breaker chain: {list(tie_breakers)}")
    by_match = {team_id: dict(pairs) for team_id, pairs in placements.items()}

    def best_placement(row: BRTotals) -> float:
        return min(by_match.get(row.team_id, {}).values(), default=float("inf"))

    def latest_match(a: BRTotals, b: BRTotals) -> int:
        mine, theirs = by_match.get(a.team_id, {}), by_match.get(b.team_id, {})
        shared = mine.keys() & theirs.keys()
        if not shared:
            return 0
        match_order = max(shared)
        return _sign(mine[match_order] - theirs[match_order])

    def head_to_head(a: BRTotals, b: BRTotals) -> int:
        mine, theirs = by_match.get(a.team_id, {}), by_match.get(b.team_id, {})
        return _sign(sum(_sign(mine[order] - theirs[order]) for order in mine.keys() & theirs.keys()))

    keys: dict[str, Callable[[BRTotals], float]] = {
        DISQUALIFIED: lambda row: row.disqualified,
        MATCH_POINT: lambda row: not row.champion,
        "best_placement": best_placement,
        **{rule: _negated(rule) for rule in ("points", "wins", "placement_points", "kills")},
    }
    pairwise = {"latest_match": latest_match, "head_to_head": head_to_head}
    chain = [DISQUALIFIED, MATCH_POINT, *tie_breakers]
    rules = [(rule, keys.get(rule), pairwise.get(rule) or _by_key(keys[rule])) for rule in chain]
    return _rank(totals, rules)


def h2h_rank(totals: Sequence[H2HTotals]) -> list[tuple[H2HTotals, RankedRow]]:
    """Points, then score difference, then score for, then wins."""
    return _rank(totals, [(rule, _negated(rule), _by_key(_negated(rule))) for rule in RULES_H2H])


# (name, key or None for a pairwise rule, compare): a smaller key ranks higher.
Rule = tuple[str, Callable[[Totals], float] | None, Compare[Totals]]


def _rank(rows: Sequence[Totals], rules: Sequence[Rule[Totals]]) -> list[tuple[Totals, RankedRow]]:
    """Sort by the rules up to the first pairwise one; rows tied on those are placed by _chain with the
    remaining rules in order. ``decided_by`` is None where "points" separated the pair."""
    prefix = []
    for rule in rules:
        if rule[1] is None:
            break
        prefix.append(rule[1])
    rest = rules[len(prefix) :]

    def key(row: Totals) -> tuple[float, ...]:
        return tuple(rule_key(row) for rule_key in prefix)

    def compare_rest(a: Totals, b: Totals) -> int:
        return next((verdict for _, _, compare in rest if (verdict := compare(a, b))), 0)

    ordered: list[Totals] = []
    for _, group in groupby(sorted(rows, key=lambda row: (key(row), row.team_id)), key=key):
        tied = list(group)
        ordered.extend(_chain(tied, compare_rest) if rest else tied)

    ranked: list[tuple[Totals, RankedRow]] = []
    for position, row in enumerate(ordered, start=1):
        if position == 1:
            ranked.append((row, RankedRow(team_id=row.team_id, rank=1, decided_by=None)))
            continue
        above = ordered[position - 2]
        rule = next((name for name, _, compare in rules if compare(above, row)), None)
        if rule is None:
            ranked.append((row, RankedRow(team_id=row.team_id, rank=ranked[-1][1].rank, decided_by=TIED)))
        else:
            decided_by = None if rule == "points" else rule
            ranked.append((row, RankedRow(team_id=row.team_id, rank=position, decided_by=decided_by)))
    return ranked


def _chain(rows: list[Totals], compare: Compare[Totals]) -> list[Totals]:
    """Order rows (given by team_id ascending) so that each ranks above, or ties with, the next one.

    Each row goes just before the first row it beats. Everything before it then beats it or ties with
    it (and has a smaller team_id), so every neighbouring pair stays in order even if `compare` is
    intransitive; for a transitive `compare` this is the sort by (compare, team_id).
    """
    chain: list[Totals] = []
    for row in rows:
        at = next((i for i, other in enumerate(chain) if compare(row, other) < 0), len(chain))
        chain.insert(at, row)
    return chain


def _negated(rule: str) -> Callable[[Totals], float]:
    """The key of a number where more is better."""
    return lambda row: -getattr(row, rule)


def _by_key(key: Callable[[Totals], float]) -> Compare[Totals]:
    return lambda a, b: _sign(key(a) - key(b))


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _check_sign(sign: int) -> None:
    if sign not in (1, -1):
        raise ValueError(f"sign must be 1 or -1, not {sign}")


STAGE = "stage"


def br_stages_rank(
    stages: Sequence[Sequence[tuple[BRTotals, RankedRow]]], *, tie_breakers: Sequence[str] = RULES_BR
) -> list[tuple[BRTotals, RankedRow]]:
    """The overall order of a battle royale played in stages (rounds), given each stage's ranked rows,
    earliest stage first.

    Every team of the final stage comes first, in that stage's order; below them the teams that went
    out in each earlier stage, latest stage first, each block in the order of the stage it went out in.
    A team's row carries its totals from the stage it finished in, so the winner of the final stage is
    always rank 1 and every row is comparable with the one above. ``decided_by`` follows the module's
    rules within a block (the stage's own verdict where the two rows were neighbours there); the first
    row of each earlier block is ``"stage"`` (it went out earlier).
    Rows of a stage nobody has played yet (rank 0) stay unranked, at the top.
    """
    by_key = [DISQUALIFIED, MATCH_POINT, *(rule for rule in tie_breakers if rule in ("points", "wins",
              "placement_points", "kills"))]  # fmt: skip
    keys: dict[str, Callable[[BRTotals], float]] = {
        DISQUALIFIED: lambda row: row.disqualified,
        MATCH_POINT: lambda row: not row.champion,
        **{rule: _negated(rule) for rule in ("points", "wins", "placement_points", "kills")},
    }
    # Without match history here, a pair no number separates was separated by a placement rule.
    placement_rule = next((rule for rule in tie_breakers if rule not in keys), TIED)
    ranked: list[tuple[BRTotals, RankedRow]] = []
    placed: set[int] = set()
    for stage in reversed(stages):
        in_stage = sorted(stage, key=lambda p: (p[1].rank, p[0].team_id))
        position_in_stage = {totals.team_id: index for index, (totals, _) in enumerate(in_stage)}
        block = [pair for pair in in_stage if pair[0].team_id not in placed]
        for index, (totals, row) in enumerate(block):
            position = len(ranked) + 1
            if row.rank == 0:  # a stage nobody has played yet: unranked (0), as its own table shows
                ranked.append((totals, RankedRow(team_id=totals.team_id, rank=0, decided_by=None)))
            elif not ranked:
                ranked.append((totals, RankedRow(team_id=totals.team_id, rank=1, decided_by=None)))
            elif index == 0:
                ranked.append((totals, RankedRow(team_id=totals.team_id, rank=position, decided_by=STAGE)))
            elif row.rank == block[index - 1][1].rank:
                ranked.append((totals, RankedRow(team_id=totals.team_id, rank=ranked[-1][1].rank, decided_by=TIED)))
            else:
                above = block[index - 1][0]
                if position_in_stage[above.team_id] + 1 == position_in_stage[totals.team_id]:
                    decided_by = row.decided_by
                else:
                    rule = next((name for name in by_key if _by_key(keys[name])(above, totals)), placement_rule)
                    decided_by = None if rule == "points" else rule
                ranked.append((totals, RankedRow(team_id=totals.team_id, rank=position, decided_by=decided_by)))
        placed.update(totals.team_id for totals, _ in block)
    return ranked
