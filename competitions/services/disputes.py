"""Disputes: a captain opens one (or a clash of reports does, see competitions.services.reports), the
host resolves it by picking a report (head to head), entering the result, or dismissing it.

Concurrency: every write here locks the match row first, as every report does, so a dispute and a
report of the same match queue rather than deadlock.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from competitions import access, events
from competitions.models import Dispute, Match, MatchReport
from competitions.services._reporting import (
    REASON_MAX,
    _lobby_after_commit,
    _match_locked,
    _record,
    _require_reportable,
    captained_team,
    report_data,
)
from webhooks.services import event_emit


def _dispute_data(dispute: Dispute) -> dict:
    return {
        "id": dispute.pk,
        "match_id": dispute.match_id,
        "status": dispute.status,
        "opened_by": dispute.opened_by_id,
        "reason": dispute.reason,
        "reports": dispute.reports,
        "opened_at": dispute.opened_at,
    }


def _dispute_open(match: Match, reports: list[MatchReport], *, by: User | None, reason: str) -> Dispute:
    dispute = Dispute.objects.create(
        tournament=match.tournament,
        match=match,
        opened_by=by,
        reason=reason[:REASON_MAX],
        reports=[report_data(r) for r in reports],
    )
    data = _dispute_data(dispute)
    # The frozen reports carry datetimes; both publish and event_emit serialise with DjangoJSONEncoder.
    _lobby_after_commit(match.tournament_id, "dispute.opened", data)
    event_emit(tournament_id=match.tournament_id, event="dispute.opened", data=data | {"summary": dispute.reason})
    events.notify(
        [match.tournament.host_id],
        "dispute_opened",
        f"Dispute on match {match.number} of {match.tournament.title}",
        dispute.reason,
        {"tournament_id": match.tournament_id, "match_id": match.pk, "dispute_id": dispute.pk},
    )
    return dispute


def _open_dispute(match: Match) -> Dispute | None:
    return Dispute.objects.select_for_update().filter(match=match, status=Dispute.Status.OPEN).first()


@transaction.atomic
def match_dispute_open(*, match_id: int, user: User, reason: str, team_id: int | None = None) -> Dispute:
    """A captain disputes the match: its reports, or the result already recorded."""
    match = _match_locked(match_id)
    captained_team(match=match, user=user, team_id=team_id)
    _require_reportable(match)
    reason = reason.strip()
    if not reason:
        raise Invalid("Say what is wrong (reason).", code="reason_required")
    if _open_dispute(match) is not None:
        raise Conflict("This match already has an open dispute; the host will look at it.", code="already_disputed")
    return _dispute_open(match, list(match.reports.order_by("pk")), by=user, reason=reason)


@transaction.atomic
def dispute_resolve(
    *,
    dispute_id: int,
    user: User,
    report_id: int | None = None,
    entries: list[dict] | None = None,
    home_score: int | None = None,
    away_score: int | None = None,
    dismiss: bool = False,
    note: str = "",
) -> Dispute:
    """The host settles a dispute, one way: pick a report (head to head), enter the result (battle royale:
    every lobby team, as PUT /api/matches/{id}/results; head to head: the score), or dismiss it (the
    recorded result, if any, stands). The result goes through the results service as the host's entry."""
    found = Dispute.objects.select_related("tournament").filter(pk=dispute_id).first()
    if found is None:
        raise NotFound("No such dispute.")
    if not access.manages(tournament=found.tournament, user=user):
        raise PermissionDenied("Only this tournament's host can resolve its disputes.", code="not_host")
    match = _match_locked(found.match_id)  # the match first, as every report does: no deadlock
    dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
    if dispute.status != Dispute.Status.OPEN:
        raise Conflict(f"This dispute was already resolved ({dispute.resolution}).", code="already_resolved")
    scores = home_score is not None or away_score is not None
    ways = sum([report_id is not None, entries is not None, scores, dismiss])
    if ways != 1:
        raise Invalid(
            "Resolve one way: report_id, results, home_score and away_score, or dismiss.", code="resolution_required"
        )
    chosen = None
    battle_royale = match.tournament.is_battle_royale
    if report_id is not None:
        if battle_royale:
            raise Invalid(
                "A battle-royale report covers one team; send results for the whole lobby.", code="results_required"
            )
        chosen = match.reports.filter(pk=report_id).first()
        if chosen is None:
            raise Invalid("No such report for this match.", code="unknown_report")
        result = {"home_score": chosen.home_score, "away_score": chosen.away_score}
        resolution = Dispute.Resolution.REPORT
    elif entries is not None:
        if not battle_royale:
            raise Invalid("This is a head-to-head match; send home_score and away_score.", code="wrong_result_shape")
        result, resolution = {"results": entries}, Dispute.Resolution.ENTERED
    elif scores:
        if battle_royale:
            raise Invalid("This is a battle-royale match; send results.", code="wrong_result_shape")
        if home_score is None or away_score is None:
            raise Invalid("Send both home_score and away_score.", code="resolution_required")
        result, resolution = {"home_score": home_score, "away_score": away_score}, Dispute.Resolution.ENTERED
    else:
        result, resolution = None, Dispute.Resolution.DISMISSED
    if result is not None:
        _record(match, user=user, result=result)
    dispute.status = Dispute.Status.RESOLVED
    dispute.resolution = resolution
    dispute.resolved_by = user
    dispute.resolved_at = timezone.now()
    dispute.chosen_report = chosen
    dispute.result = _recorded(match)  # as stored, whichever way it got there
    dispute.note = note.strip()[:REASON_MAX]
    dispute.save()
    _lobby_after_commit(
        match.tournament_id,
        "dispute.resolved",
        {
            "id": dispute.pk,
            "match_id": match.pk,
            "resolution": dispute.resolution,
            "resolved_by": user.pk,
            "result": dispute.result,
            "note": dispute.note,
        },
    )
    return dispute


def _recorded(match: Match) -> dict | None:
    match.refresh_from_db(fields=["status", "home_score", "away_score"])
    if match.status != Match.Status.COMPLETED:
        return None
    if match.tournament.is_battle_royale:
        return {
            "results": [
                {"team_id": r.team_id, "placement": r.placement, "kills": r.kills}
                for r in match.results.order_by("placement")
            ]
        }
    return {"home_score": match.home_score, "away_score": match.away_score}
