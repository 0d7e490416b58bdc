"""Battle-royale scoring rules per tournament: official presets, validated rules, match points, and one
stage's standings from its raw results. Pure Python, no ORM (standings.py does the ranking).

A tournament's scoring is its points table and kill points (model fields, from a preset or the game's
defaults) plus the rules below, stored as one JSON object (``Tournament.scoring``):

* ``kill_cap``: kills beyond it in one match earn nothing (they still count as kills);
* ``kill_tiers``: ``[{"from_kill": 1, "points": 1}, {"from_kill": 6, "points": 2}]``: the k-th kill of a
  match earns the points of the last tier starting at or before k (instead of kill_points per kill);
* ``wwcd_bonus``: extra points for placement 1 ("winner winner chicken dinner");
* ``best_of``: only a team's best N matches of the stage count (most points, then better placement,
  then earlier); wins, placement points and kills are summed over the counted matches, while the
  placement-based tie-breakers look at every match played;
* ``head_start``: ``{team_id: points}`` carried into the first stage from a stage played elsewhere;
  ``carry_over``: each later stage starts with the team's total of the stage before;
* ``match_point``: ALGS match-point mode for the final stage: a team at or above this many points
  after a match is eligible, and the first eligible team to win a later match is champion;
* ``dq_points``: ``keep`` (a disqualified team keeps what it scored) or ``void`` (its totals are zeroed);
  either way it ranks below every other team and neither qualifies nor wins;
* ``tie_breakers``: the ordered chain (standings.TIE_BREAKERS_BR), starting with "points".

A team that does not show up in a match has no result there: it scores 0 and has no placement.
"""

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from competitions.standings import RULES_BR, TIE_BREAKERS_BR, BRTotals, RankedRow, br_rank


@dataclass(frozen=True)
class Preset:
    name: str
    points_table: tuple[int, ...]
    kill_points: int
    description: str


# Official placement tables; placements past the end of a table score 0.
PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            "pmgc",
            (10, 6, 5, 4, 3, 2, 1, 1),
            1,
            "PUBG Mobile PMGC / BGMI 2024: 10-6-5-4-3-2-1-1, 0 from 9th; 1 point per kill.",
        ),
        Preset(
            "pmpl_15",
            (15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1),
            1,
            'PMPL 2020–22 / BMPS "15": 15-12-10-8-6-4-2-1-1-1-1-1, 0 from 13th; 1 point per kill.',
        ),
        Preset(
            "ffws",
            (12, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0),
            1,
            "Free Fire World Series: 12-9-8-7-6-5-4-3-2-1-0-0; 1 point per kill.",
        ),
        Preset(
            "algs",
            (12, 9, 7, 5, 4, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1),
            1,
            "Apex ALGS: 12-9-7-5-4-3-3-2-2-2, 1 for 11th–15th, 0 from 16th; 1 point per kill. "
            "Pair with match_point for a match-point final.",
        ),
    )
}

DQ_KEEP, DQ_VOID = "keep", "void"
MAX_POINTS = 100_000


@dataclass(frozen=True)
class KillTier:
    from_kill: int
    points: int


@dataclass(frozen=True)
class Rules:
    points_table: tuple[int, ...]
    kill_points: int
    kill_cap: int | None = None
    kill_tiers: tuple[KillTier, ...] = ()
    wwcd_bonus: int = 0
    best_of: int | None = None
    head_start: Mapping[int, int] = field(default_factory=dict)
    carry_over: bool = False
    match_point: int | None = None
    dq_points: str = DQ_KEEP
    tie_breakers: tuple[str, ...] = RULES_BR


@dataclass(frozen=True)
class Result:
    """One team's result in one match; match_order increases with time."""

    team_id: int
    match_order: int
    placement: int
    kills: int


class ScoringInvalid(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{key}: {' '.join(messages)}" for key, messages in errors.items()))
        self.errors = errors


DEFAULT_SCORING = {
    "preset": None, "kill_cap": None, "kill_tiers": [], "wwcd_bonus": 0, "best_of": None, "head_start": {},
    "carry_over": False, "match_point": None, "dq_points": DQ_KEEP, "tie_breakers": list(RULES_BR),
}  # fmt: skip


def scoring_clean(data: Mapping, *, matches_per_group: int) -> dict:
    """The stored form of a tournament's scoring (every key, defaults filled in), or ScoringInvalid with
    messages per key ("scoring.<key>"). Checks what one field cannot check alone."""
    errors: dict[str, list[str]] = {}

    def error(key: str, message: str) -> None:
        errors.setdefault(f"scoring.{key}", []).append(message)

    unknown = sorted(set(data) - set(DEFAULT_SCORING))
    if unknown:
        error(unknown[0], f"unknown scoring keys {unknown}; known: {sorted(DEFAULT_SCORING)}")
    clean = {**DEFAULT_SCORING, **{key: value for key, value in data.items() if key in DEFAULT_SCORING}}
    if clean["preset"] is not None and clean["preset"] not in PRESETS:
        error("preset", f"unknown preset {clean['preset']!r}; one of {sorted(PRESETS)} (GET /api/scoring-presets)")
    if clean["kill_cap"] is not None and not _int_in(clean["kill_cap"], 0, 1000):
        error("kill_cap", "a whole number of kills from 0 to 1000, or null for no cap")
    tiers = clean["kill_tiers"]
    if not isinstance(tiers, list) or len(tiers) > 10 or not all(_is_tier(tier) for tier in tiers):
        error("kill_tiers", 'at most 10 tiers {"from_kill": 1–1000, "points": 0–100}')
    else:
        starts = [tier["from_kill"] for tier in tiers]
        if tiers and (starts[0] != 1 or starts != sorted(set(starts))):
            error("kill_tiers", "the first tier starts at kill 1 and each next one at a later kill")
        clean["kill_tiers"] = [{"from_kill": tier["from_kill"], "points": tier["points"]} for tier in tiers]
    if not _int_in(clean["wwcd_bonus"], 0, 1000):
        error("wwcd_bonus", "0 to 1000 points")
    if clean["best_of"] is not None and not _int_in(clean["best_of"], 1, max(1, matches_per_group)):
        error("best_of", f"1 to matches_per_group ({matches_per_group}) matches, or null to count every match")
    head_start = clean["head_start"]
    if not isinstance(head_start, Mapping) or len(head_start) > 1024:
        error("head_start", "an object {team_id: points} of at most 1024 teams")
    else:
        try:
            clean["head_start"] = {str(int(team)): points for team, points in head_start.items()}
        except (TypeError, ValueError):
            error("head_start", "keys are team ids")
        else:
            if any(int(team) < 1 for team in clean["head_start"]) or not all(
                _int_in(points, 0, MAX_POINTS) for points in head_start.values()
            ):
                error("head_start", f"team ids ≥ 1 with 0 to {MAX_POINTS} points each")
    if not isinstance(clean["carry_over"], bool):
        error("carry_over", "true or false")
    if clean["match_point"] is not None:
        if not _int_in(clean["match_point"], 1, MAX_POINTS):
            error("match_point", f"a threshold from 1 to {MAX_POINTS} points, or null")
        elif clean["best_of"] is not None:
            error("match_point", "match-point mode counts every match; leave best_of out")
    if clean["dq_points"] not in (DQ_KEEP, DQ_VOID):
        error("dq_points", f'"{DQ_KEEP}" or "{DQ_VOID}"')
    chain = clean["tie_breakers"]
    if not isinstance(chain, list) or not all(isinstance(rule, str) for rule in chain):
        error("tie_breakers", f"an ordered list from {list(TIE_BREAKERS_BR)}")
    else:
        unknown_rules = [rule for rule in chain if rule not in TIE_BREAKERS_BR]
        if unknown_rules:
            error("tie_breakers", f"unknown {unknown_rules}; choose from {list(TIE_BREAKERS_BR)}")
        elif not chain or chain[0] != "points":
            error("tie_breakers", 'standings are by points first: the chain starts with "points"')
        elif len(set(chain)) != len(chain):
            error("tie_breakers", "a tie-breaker appears twice")
    if errors:
        raise ScoringInvalid(errors)
    return clean


def scoring_update(
    current: Mapping, change: Mapping | None, *, table_given: bool, matches_per_group: int
) -> tuple[dict, Preset | None]:
    """(the stored scoring after `change`, a preset whose table and kill points now apply, if any).
    Keys left out of `change` keep their value; a table set by hand (`table_given`) is no preset."""
    change = change or {}
    merged = {**current, **change}
    preset = change.get("preset")
    if preset is not None and table_given:
        raise ScoringInvalid({"scoring.preset": ["a preset sets points_table and kill_points: leave them out"]})
    if table_given:
        merged["preset"] = None
    return scoring_clean(merged, matches_per_group=matches_per_group), PRESETS.get(preset) if preset else None


def _int_in(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_tier(tier: object) -> bool:
    return (
        isinstance(tier, Mapping)
        and set(tier) == {"from_kill", "points"}
        and _int_in(tier["from_kill"], 1, 1000)
        and _int_in(tier["points"], 0, 100)
    )


def rules_from(*, points_table: Sequence[int], kill_points: int, scoring: Mapping | None) -> Rules:
    """A tournament's Rules from its stored fields (scoring as stored by scoring_clean, or empty)."""
    stored = {**DEFAULT_SCORING, **(scoring or {})}
    return Rules(
        points_table=tuple(points_table),
        kill_points=kill_points,
        kill_cap=stored["kill_cap"],
        kill_tiers=tuple(KillTier(tier["from_kill"], tier["points"]) for tier in stored["kill_tiers"]),
        wwcd_bonus=stored["wwcd_bonus"],
        best_of=stored["best_of"],
        head_start={int(team): points for team, points in stored["head_start"].items()},
        carry_over=stored["carry_over"],
        match_point=stored["match_point"],
        dq_points=stored["dq_points"],
        tie_breakers=tuple(stored["tie_breakers"]),
    )


def kill_score(rules: Rules, kills: int) -> int:
    """Points earned by `kills` kills in one match (after the cap, by tier or kill_points each)."""
    counted = kills if rules.kill_cap is None else min(kills, rules.kill_cap)
    if not rules.kill_tiers:
        return counted * rules.kill_points
    total = 0
    for index, tier in enumerate(rules.kill_tiers):
        end = rules.kill_tiers[index + 1].from_kill - 1 if index + 1 < len(rules.kill_tiers) else counted
        total += max(0, min(end, counted) - tier.from_kill + 1) * tier.points
    return total


def one_match_scores(rules: Rules, *, lobby: int, max_kills: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """What one team can score in one match, as qualification.Scoring takes it: (the points of each
    placement 1..lobby with no kill, every total that 0..max_kills kills can add, ascending). Kill points
    never depend on the placement here (match_points), so any placement plus any kill total is a score."""
    placements = tuple(match_points(rules, placement=placement, kills=0)[1] for placement in range(1, lobby + 1))
    return placements, _kill_totals(rules.kill_points, rules.kill_cap, rules.kill_tiers, max_kills)


@functools.lru_cache(maxsize=256)
def _kill_totals(kill_points: int, kill_cap: int | None, kill_tiers: tuple[KillTier, ...], max_kills: int):
    # Cached: a thousand kill_score calls per standings publish were a third of an isolated results PUT.
    rules = Rules(points_table=(), kill_points=kill_points, kill_cap=kill_cap, kill_tiers=kill_tiers)
    return tuple(sorted({kill_score(rules, kills) for kills in range(max_kills + 1)}))


def match_points(rules: Rules, *, placement: int, kills: int) -> tuple[int, int]:
    """(placement_points, total_points) for one team in one match."""
    if placement < 1 or kills < 0:
        raise ValueError(f"invalid result: placement={placement}, kills={kills}")
    table = rules.points_table
    placement_points = table[placement - 1] if placement <= len(table) else 0
    bonus = rules.wwcd_bonus if placement == 1 else 0
    return placement_points, placement_points + bonus + kill_score(rules, kills)


def counted(rules: Rules, results: Sequence[Result]) -> list[Result]:
    """The results of one team that count toward its totals (all of them unless best_of)."""
    if rules.best_of is None or len(results) <= rules.best_of:
        return list(results)

    def worth(result: Result) -> tuple[int, int, int]:
        return (-match_points(rules, placement=result.placement, kills=result.kills)[1], result.placement,
                result.match_order)  # fmt: skip

    return sorted(results, key=worth)[: rules.best_of]


def match_point_state(
    rules: Rules, results: Sequence[Result], *, head_start: Mapping[int, int], disqualified: Collection[int] = ()
) -> tuple[int | None, set[int]]:
    """(champion, teams at match point) in match-point mode: walking the matches in order, a team
    that had reached the threshold before a match and places 1st in it is champion (the first such
    win decides); teams at match point are those that reached the threshold and are not champion.
    Disqualified teams can be neither."""
    if rules.match_point is None:
        return None, set()
    running = {team_id: points for team_id, points in head_start.items() if team_id not in disqualified}
    by_match: dict[int, list[Result]] = {}
    for result in results:
        by_match.setdefault(result.match_order, []).append(result)
    for order in sorted(by_match):
        eligible = {team_id for team_id, points in running.items() if points >= rules.match_point}
        for result in by_match[order]:
            if result.team_id in disqualified:
                continue
            if result.placement == 1 and result.team_id in eligible:
                return result.team_id, eligible - {result.team_id}
            running[result.team_id] = (
                running.get(result.team_id, 0) + match_points(rules, placement=result.placement, kills=result.kills)[1]
            )
    return None, {team_id for team_id, points in running.items() if points >= rules.match_point}


def stage_totals(
    rules: Rules,
    *,
    team_ids: Collection[int],
    results: Sequence[Result],
    head_start: Mapping[int, int] | None = None,
    disqualified: Collection[int] = (),
    final: bool = False,
) -> list[BRTotals]:
    """Every team's totals in one stage (a group or a round) from its raw results. `head_start` is what
    each team carries in (see stage_head_start); `final`: match-point mode applies (the last stage)."""
    head_start = head_start or {}
    by_team: dict[int, list[Result]] = {team_id: [] for team_id in team_ids}
    for result in results:
        by_team.setdefault(result.team_id, []).append(result)
    champion, at_match_point = (
        match_point_state(rules, results, head_start=head_start, disqualified=disqualified) if final else (None, set())
    )
    totals = []
    for team_id, played in by_team.items():
        kept = counted(rules, played)
        scores = [match_points(rules, placement=r.placement, kills=r.kills) for r in kept]
        row = BRTotals(
            team_id=team_id,
            points=head_start.get(team_id, 0) + sum(points for _, points in scores),
            wins=sum(r.placement == 1 for r in kept),
            placement_points=sum(placement_points for placement_points, _ in scores),
            kills=sum(r.kills for r in kept),
            matches_played=len(played),
            head_start=head_start.get(team_id, 0),
            disqualified=team_id in disqualified,
            champion=team_id == champion,
            match_point=team_id in at_match_point,
        )
        if row.disqualified and rules.dq_points == DQ_VOID:
            row = BRTotals(team_id=team_id, matches_played=len(played), disqualified=True)
        totals.append(row)
    return totals


def stage_rank(
    rules: Rules,
    *,
    team_ids: Collection[int],
    results: Sequence[Result],
    head_start: Mapping[int, int] | None = None,
    disqualified: Collection[int] = (),
    final: bool = False,
) -> list[tuple[BRTotals, RankedRow]]:
    """The one public ranking of a battle-royale stage under a tournament's rules: totals from the raw
    results (stage_totals), ranked by its tie-breaker chain (standings.br_rank)."""
    totals = stage_totals(
        rules, team_ids=team_ids, results=results, head_start=head_start, disqualified=disqualified, final=final
    )
    placements: dict[int, list[tuple[int, int]]] = {}
    for result in results:
        placements.setdefault(result.team_id, []).append((result.match_order, result.placement))
    return br_rank(totals, placements=placements, tie_breakers=rules.tie_breakers)


def stage_head_start(rules: Rules, *, stage_number: int, previous_points: Mapping[int, int]) -> dict[int, int]:
    """What each team carries into stage `stage_number` (1-based): the rules' head_start into the
    first stage; with carry_over, each later stage starts from the team's total of the stage before
    (`previous_points`, disqualified teams never reach a later stage)."""
    if stage_number == 1:
        return dict(rules.head_start)
    return dict(previous_points) if rules.carry_over else {}
