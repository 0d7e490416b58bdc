"""Results applied to the standing rows (battle royale and head to head) and the standings announced."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q

from competitions import selectors, standings
from competitions.models import (
    Group,
    Match,
    MatchResult,
    Standing,
    Tournament,
)
from webhooks.services import event_emit

logger = logging.getLogger(__name__)


BR_FIELDS = ["points", "wins", "placement_points", "kills", "matches_played", "rank", "decided_by"]


def _br_standings_locked(tournament: Tournament, group: Group | None = None) -> list[Standing]:
    """Every standing row a battle-royale change can move, locked in one global order (primary key):
    the group's rows (if any), every round's rows (their orders make the overall one) and the overall
    table. Concurrent results for one tournament queue on the same rows in the same order instead of
    deadlocking, and each reranks totals no other transaction is changing."""
    return list(
        Standing.objects.select_for_update(of=("self",))
        .filter(Q(group=group) | Q(group__isnull=True) if group else Q(group__isnull=True), tournament=tournament)
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
    )


def _br_set(row: Standing, totals: standings.BRTotals, ranked: standings.RankedRow | None = None) -> None:
    row.points, row.wins, row.placement_points = totals.points, totals.wins, totals.placement_points
    row.kills, row.matches_played = totals.kills, totals.matches_played
    if ranked is not None:
        row.rank, row.decided_by = ranked.rank, ranked.decided_by or ""


def _br_standings_apply(match: Match, rows: list[Standing], changes: list[tuple[MatchResult, int]]) -> None:
    """Move the match's group and round tables by `changes` ((result, +1 or -1), the -1s taking back
    a corrected result), rerank them, derive the overall table, and write it all in one statement.
    The match's new results must already be stored (the last tie-breaker reads them)."""
    tournament = match.tournament
    group_rows = [row for row in rows if row.group_id == match.group_id]
    round_rows = [row for row in rows if row.group_id is None and row.round_id == match.round_id]
    for row in group_rows + round_rows:
        totals = _br_totals(row)
        for result, sign in changes:
            if result.team_id == row.team_id:
                totals = standings.br_totals_add(
                    totals, placement=result.placement, kills=result.kills, table=tournament.points_table,
                    kill_points=tournament.kill_points, sign=sign,
                )  # fmt: skip
        _br_set(row, totals)
    tied = _teams_tied_on_aggregates([_br_totals(row) for row in group_rows]) | _teams_tied_on_aggregates(
        [_br_totals(row) for row in round_rows]
    )
    history: list[tuple[int, int, int, int]] = []
    if tied:
        # Only teams tied on every aggregate need match history, for the last tie-breaker.
        history = list(
            MatchResult.objects.filter(match__round=match.round, team_id__in=tied).values_list(
                "team_id", "match__group_id", "match__number", "placement"
            )
        )
    for scope_rows, in_group in ((group_rows, True), (round_rows, False)):
        placements: dict[int, list[tuple[int, int]]] = {}
        for team_id, group_id, number, placement in history:
            if not in_group or group_id == match.group_id:
                placements.setdefault(team_id, []).append((number, placement))
        _br_rank_rows(scope_rows, placements)
    overall = _br_overall_derive(rows)
    Standing.objects.bulk_update(group_rows + round_rows + overall, BR_FIELDS)


def _br_rank_rows(rows: list[Standing], placements: dict[int, list[tuple[int, int]]]) -> None:
    ranked = {row.team_id: row for _, row in standings.br_rank([_br_totals(r) for r in rows], placements=placements)}
    for row in rows:
        row.rank, row.decided_by = ranked[row.team_id].rank, ranked[row.team_id].decided_by or ""


def _br_overall_derive(rows: list[Standing]) -> list[Standing]:
    """The overall rows (in `rows`, with every round's rows) set from the stages: the final round's
    order, then the teams that went out in each earlier round (standings.br_stages_rank)."""
    stages: dict[int, list[tuple[standings.BRTotals, standings.RankedRow]]] = {}
    for row in rows:
        if row.group_id is None and row.round_id is not None:
            ranked = standings.RankedRow(team_id=row.team_id, rank=row.rank, decided_by=row.decided_by or None)
            stages.setdefault(row.round_number, []).append((_br_totals(row), ranked))
    derived = {
        totals.team_id: (totals, ranked)
        for totals, ranked in standings.br_stages_rank([stages[number] for number in sorted(stages)])
    }
    overall = [row for row in rows if row.round_id is None and row.group_id is None and row.team_id in derived]
    for row in overall:
        _br_set(row, *derived[row.team_id])
    return overall


def _teams_tied_on_aggregates(totals: list[standings.BRTotals]) -> set[int]:
    seen: dict[tuple, list[int]] = {}
    for row in totals:
        seen.setdefault((row.points, row.wins, row.placement_points, row.kills), []).append(row.team_id)
    return {team_id for team_ids in seen.values() if len(team_ids) > 1 for team_id in team_ids}


H2H_FIELDS = ["matches_played", "wins", "draws", "losses", "score_for", "score_against", "points", "rank", "decided_by"]


def _h2h_standings_locked(tournament: Tournament) -> dict[int, Standing]:
    """The whole table, locked in one global order (primary key): a result reranks every row, so
    concurrent results for one tournament queue here instead of deadlocking."""
    rows = Standing.objects.select_for_update(of=("self",)).filter(
        tournament=tournament, round__isnull=True, group__isnull=True
    )
    return {row.team_id: row for row in rows.order_by("pk")}


def _apply_h2h(match: Match, rows: dict[int, Standing], *, sign: int) -> None:
    for team_id, score_for, score_against in (
        (match.home_team_id, match.home_score, match.away_score),
        (match.away_team_id, match.away_score, match.home_score),
    ):
        row = rows[team_id]
        totals = standings.h2h_totals_add(_h2h_totals(row), score_for=score_for, score_against=score_against, sign=sign)
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
    Standing.objects.bulk_update(rows.values(), H2H_FIELDS)


def standings_publish(*, tournament_id: int) -> None:
    """Read the overall table and announce it. The tournament row lock makes concurrent publishers
    read and send in turn, so the last message sent is the latest table."""
    from realtime.publish import publish

    with transaction.atomic():
        list(Tournament.objects.select_for_update().filter(pk=tournament_id).values_list("pk", flat=True))
        table = selectors.standings_table(tournament_id=tournament_id)
        publish(f"tournament.{tournament_id}", "standings.updated", {"overall": table})
        # Coalesced like the message above: one delivery per burst, the last one exact.
        event_emit(tournament_id=tournament_id, event="standings.updated", data={"standings": table})


def _standings_keys(tournament_id: int) -> tuple[str, str]:
    return f"competitions:standings:{tournament_id}:recent", f"competitions:standings:{tournament_id}:pending"


def standings_publish_coalesced(*, tournament_id: int) -> None:
    """After each commit that moved standings. A burst of results to one tournament becomes at most
    one standings message per STANDINGS_COALESCE_SECONDS, and the last one is always exact:

    * a trailing publish is pending: it will read this commit, nothing to do;
    * nothing sent in the last window: send now (an isolated result is seen at once);
    * otherwise one trailing Celery task is queued for the end of the window. It clears its pending
      mark before it reads, so every commit is either read by it or queues the next one.

    STANDINGS_COALESCE_SECONDS = 0 sends on every commit."""
    window = settings.STANDINGS_COALESCE_SECONDS
    recent, pending = _standings_keys(tournament_id)
    now = True
    if window > 0:
        try:
            if cache.get(pending) or not cache.add(recent, 1, timeout=window):
                now = False
                if cache.add(pending, 1, timeout=window + 300):
                    from competitions.tasks import publish_standings

                    publish_standings.apply_async((tournament_id,), countdown=window)
        except Exception:
            # Cache or broker unreachable: send now rather than leave spectators on an old table.
            logger.exception("Could not coalesce the standings of tournament %s", tournament_id)
            now = True
    if now:
        standings_publish(tournament_id=tournament_id)


def standings_publish_trailing(*, tournament_id: int) -> None:
    """The trailing edge (competitions.tasks.publish_standings): clear the pending mark first, so a
    commit after this point queues another publish, then open a new window and send."""
    recent, pending = _standings_keys(tournament_id)
    cache.delete(pending)
    cache.set(recent, 1, timeout=max(1, settings.STANDINGS_COALESCE_SECONDS))
    standings_publish(tournament_id=tournament_id)
