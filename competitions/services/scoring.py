"""Results applied to the standing rows (battle royale and head to head): totals, ranks, the overall table."""

import logging

from django.db.models import F, Q

from arena.db import rows_update
from competitions import scoring, standings
from competitions.models import (
    Group,
    Match,
    MatchResult,
    Standing,
    Tournament,
)

logger = logging.getLogger(__name__)


BR_FIELDS = [
    "points",
    "wins",
    "placement_points",
    "kills",
    "matches_played",
    "rank",
    "decided_by",
    "head_start",
    "status",
]


def br_rules(tournament: Tournament) -> scoring.Rules:
    return scoring.rules_from(
        points_table=tournament.points_table, kill_points=tournament.kill_points, scoring=tournament.scoring
    )


def _br_standings_locked(
    tournament: Tournament, group: Group | None = None, *, every_group: bool = False
) -> list[Standing]:
    """Every standing row a battle-royale change can move, locked in one global order (primary key):
    the group's rows (if any; every group's with every_group), every round's rows (their orders make
    the overall one) and the overall table. Concurrent results for one tournament queue on the same rows
    in the same order instead of deadlocking, and each reranks totals no other transaction is changing."""
    scope = Q() if every_group else Q(group=group) | Q(group__isnull=True) if group else Q(group__isnull=True)
    return list(
        Standing.objects.select_for_update(of=("self",))
        .filter(scope, tournament=tournament)
        .annotate(round_number=F("round__number"))
        .order_by("pk")
    )


def _br_totals(row: Standing) -> standings.BRTotals:
    return standings.BRTotals(
        team_id=row.team_id,
        points=row.points,
        wins=row.wins,
        placement_points=row.placement_points,
        kills=row.kills,
        matches_played=row.matches_played,
        head_start=row.head_start,
        disqualified=row.status == Standing.Status.DISQUALIFIED,
        champion=row.status == Standing.Status.CHAMPION,
        match_point=row.status == Standing.Status.MATCH_POINT,
    )


def _br_set(row: Standing, totals: standings.BRTotals, ranked: standings.RankedRow | None = None) -> None:
    row.points, row.wins, row.placement_points = totals.points, totals.wins, totals.placement_points
    row.kills, row.matches_played, row.head_start = totals.kills, totals.matches_played, totals.head_start
    row.status = (
        Standing.Status.DISQUALIFIED if totals.disqualified else Standing.Status.CHAMPION if totals.champion
        else Standing.Status.MATCH_POINT if totals.match_point else ""
    )  # fmt: skip
    if ranked is not None:
        row.rank, row.decided_by = ranked.rank, ranked.decided_by or ""


def _br_rerank(tournament: Tournament, rows: list[Standing], *, round_numbers: set[int]) -> None:
    """Recompute, from every stored result of those rounds, the group tables among `rows` and the round
    tables (competitions.scoring.stage_rank: best-N, head starts and match point need the whole history,
    not a running sum), derive the overall table, and write it all in one statement. Disqualified teams
    are the rows marked so (registration_disqualify marks all of a team's rows)."""
    rules = br_rules(tournament)
    results: dict[int, list[tuple[int, scoring.Result]]] = {}
    stored = MatchResult.objects.filter(match__tournament=tournament, match__round__number__in=round_numbers)
    for team_id, number, group_id, order, placement, kills in stored.values_list(
        "team_id", "match__round__number", "match__group_id", "match__number", "placement", "kills"
    ):
        results.setdefault(number, []).append((group_id, scoring.Result(team_id, order, placement, kills)))
    disqualified = {row.team_id for row in rows if row.status == Standing.Status.DISQUALIFIED}
    changed: list[Standing] = []
    for number in sorted(round_numbers):  # in order: with carry_over a round starts from the one before
        stage_rows = [row for row in rows if row.round_id is not None and row.round_number == number]
        head_start = _stage_head_start(rules, rows, number)
        scopes: dict[int | None, list[Standing]] = {}
        for row in stage_rows:
            scopes.setdefault(row.group_id, []).append(row)
        for group_id, scope_rows in scopes.items():
            played = [result for group, result in results.get(number, []) if group_id in (None, group)]
            ranked = scoring.stage_rank(
                rules,
                team_ids=[row.team_id for row in scope_rows],
                results=played,
                head_start=head_start,
                disqualified=disqualified,
                final=number == tournament.rounds_count,
            )
            by_team = {totals.team_id: (totals, row) for totals, row in ranked}
            for row in scope_rows:
                _br_set(row, *by_team[row.team_id])
                if not played and not head_start:  # nobody has played here: unranked (0), as tournament_start leaves it
                    row.rank, row.decided_by = 0, ""
            changed += scope_rows
    overall = _br_overall_derive(rows, rules.tie_breakers)
    rows_update(changed + overall, BR_FIELDS)


def _stage_head_start(rules: scoring.Rules, rows: list[Standing], number: int) -> dict[int, int]:
    """What each team carries into round `number` (scoring.stage_head_start), from the previous round's
    rows among `rows`."""
    previous = {
        row.team_id: row.points
        for row in rows
        if row.group_id is None and row.round_id is not None and row.round_number == number - 1
    }
    return scoring.stage_head_start(rules, stage_number=number, previous_points=previous)


def _br_result_apply(
    tournament: Tournament, rows: list[Standing], *, match: Match, old: list[MatchResult], new: list[MatchResult]
) -> None:
    """One match's results replaced (`old` by `new`) in the standing rows (`rows`, locked by
    _br_standings_locked for the match's group). Under additive rules a team's totals are its head start
    plus the sum of its results, so the change is applied to the stored totals as a difference and the
    stage is reranked from them: the cost does not grow with the round's history. Only teams still tied
    on every number before the first placement-based tie-breaker need their placements, read for them
    alone. best_of and a match-point final depend on the whole history: _br_rerank recomputes those."""
    rules = br_rules(tournament)
    number = match.round.number
    final = number == tournament.rounds_count
    if rules.best_of is not None or (rules.match_point is not None and final):
        _br_rerank(tournament, rows, round_numbers={number})
        return
    delta: dict[int, list[int]] = {}
    for sign, results in ((-1, old), (1, new)):
        for result in results:
            placement_points, points = scoring.match_points(rules, placement=result.placement, kills=result.kills)
            change = (points, result.placement == 1, placement_points, result.kills, 1)
            totals = delta.setdefault(result.team_id, [0] * 5)
            for index, value in enumerate(change):
                totals[index] += sign * value
    void = rules.dq_points == scoring.DQ_VOID
    stage_rows = [row for row in rows if row.round_id is not None and row.round_number == number]
    for row in stage_rows:
        points, wins, placement_points, kills, played = delta.get(row.team_id, (0, 0, 0, 0, 0))
        row.matches_played += played
        if not (void and row.status == Standing.Status.DISQUALIFIED):  # a voided team keeps only its count
            row.points += points
            row.wins += wins
            row.placement_points += placement_points
            row.kills += kills
    head_start = _stage_head_start(rules, rows, number)
    for scope_rows, scope in (
        ([row for row in stage_rows if row.group_id is None], Q(match__round_id=match.round_id)),
        ([row for row in stage_rows if row.group_id == match.group_id], Q(match__group_id=match.group_id)),
    ):
        totals = [_br_totals(row) for row in scope_rows]
        tied = _br_tied(totals, rules.tie_breakers)
        placements: dict[int, list[tuple[int, int]]] = {}
        if tied:
            stored = MatchResult.objects.filter(scope, team_id__in=tied)
            for team_id, order, placement in stored.values_list("team_id", "match__number", "placement"):
                placements.setdefault(team_id, []).append((order, placement))
        ranked = standings.br_rank(totals, placements=placements, tie_breakers=rules.tie_breakers)
        by_team = {row.team_id: row for _, row in ranked}
        # As _br_rerank: a table nobody has played in and nobody starts with points in stays unranked (0).
        unplayed = not any(row.matches_played for row in scope_rows) and not head_start
        for row in scope_rows:
            place = by_team[row.team_id]
            row.rank, row.decided_by = (0, "") if unplayed else (place.rank, place.decided_by or "")
    rows_update(stage_rows + _br_overall_derive(rows, rules.tie_breakers), BR_FIELDS)


def _br_tied(totals: list[standings.BRTotals], tie_breakers: tuple[str, ...]) -> set[int]:
    """The teams that share every number ranked before the chain's first placement-based tie-breaker
    with another team: only they need their placements to be ranked (standings.br_rank)."""
    first = next((i for i, rule in enumerate(tie_breakers) if rule in standings.PLACEMENT_BR), None)
    if first is None:
        return set()
    numbers = tie_breakers[:first]
    seen: dict[tuple, list[int]] = {}
    for row in totals:
        key = (row.disqualified, row.champion, *(getattr(row, rule) for rule in numbers))
        seen.setdefault(key, []).append(row.team_id)
    return {team_id for teams in seen.values() if len(teams) > 1 for team_id in teams}


def _br_overall_derive(rows: list[Standing], tie_breakers: tuple[str, ...] = standings.RULES_BR) -> list[Standing]:
    """The overall rows (in `rows`, with every round's rows) set from the stages: the final round's
    order, then the teams that went out in each earlier round (standings.br_stages_rank)."""
    stages: dict[int, list[tuple[standings.BRTotals, standings.RankedRow]]] = {}
    for row in rows:
        if row.group_id is None and row.round_id is not None:
            ranked = standings.RankedRow(team_id=row.team_id, rank=row.rank, decided_by=row.decided_by or None)
            stages.setdefault(row.round_number, []).append((_br_totals(row), ranked))
    derived = {
        totals.team_id: (totals, ranked)
        for totals, ranked in standings.br_stages_rank(
            [stages[number] for number in sorted(stages)], tie_breakers=tie_breakers
        )
    }
    overall = [row for row in rows if row.round_id is None and row.group_id is None and row.team_id in derived]
    for row in overall:
        _br_set(row, *derived[row.team_id])
    return overall


H2H_FIELDS = ["matches_played", "wins", "draws", "losses", "score_for", "score_against", "points", "rank", "decided_by"]


def _h2h_standings_locked(tournament: Tournament) -> dict[int, Standing]:
    """The whole table, locked in one global order (primary key): a result reranks every row, so
    concurrent results for one tournament queue here instead of deadlocking."""
    rows = Standing.objects.select_for_update(of=("self",)).filter(
        tournament=tournament, round__isnull=True, group__isnull=True
    )
    return {row.team_id: row for row in rows.order_by("pk")}


def _apply_h2h(match: Match, rows: dict[int, Standing], *, sign: int) -> None:
    for side, team_id, score_for, score_against in (
        ("home", match.home_team_id, match.home_score, match.away_score),
        ("away", match.away_team_id, match.away_score, match.home_score),
    ):
        row = rows[team_id]
        # A forfeit has no score: a loss for each team that forfeited, a win for the other, 0-0 on the table.
        outcome = ("loss" if match.forfeit in (side, "both") else "win") if match.forfeit else None
        totals = standings.h2h_totals_add(
            _h2h_totals(row), score_for=score_for or 0, score_against=score_against or 0, sign=sign, outcome=outcome
        )
        row.matches_played, row.wins, row.draws, row.losses = totals.played, totals.wins, totals.draws, totals.losses
        row.score_for, row.score_against, row.points = totals.score_for, totals.score_against, totals.points


def _h2h_totals(row: Standing) -> standings.H2HTotals:
    return standings.H2HTotals(
        team_id=row.team_id,
        played=row.matches_played,
        wins=row.wins,
        draws=row.draws,
        losses=row.losses,
        score_for=row.score_for,
        score_against=row.score_against,
    )


def _rerank_h2h(rows: dict[int, Standing]) -> None:
    """Rank the locked table and write it, totals and ranks, in one statement."""
    ranked = {row.team_id: row for _, row in standings.h2h_rank([_h2h_totals(row) for row in rows.values()])}
    for row in rows.values():
        row.rank, row.decided_by = ranked[row.team_id].rank, ranked[row.team_id].decided_by or ""
    rows_update(rows.values(), H2H_FIELDS)
