"""Captain reporting and disputes: the writes.

When a tournament has `captain_reporting` on, the captains of a match's teams report its result:

* head to head: each captain reports the whole score (home, away). Both reports equal → the match is
  confirmed; different → a dispute opens.
* battle royale: each captain reports their own team's placement and kills. The reports are complete
  when every team of the lobby has reported; they agree when no two teams claim the same placement.
  A clash opens a dispute at once (waiting for the rest would only delay the host); complete and
  agreeing reports confirm the match.

Confirming records the result through the results service (match_results_record_br / _h2h)
on behalf of the host, so standings, live events, webhooks and the result audit are exactly those of a
host's entry. A captain may also dispute explicitly (even a confirmed result), and the host resolves a
dispute by picking a report (head to head), entering the result, or dismissing it (keeping what is
recorded). The host can always override with PUT /api/matches/{id}/results.

Concurrency: every write here locks the match row first (the results service locks it again in the same
transaction), so two captains reporting at once queue: the second sees the first's report, and exactly
one of them confirms the match or opens the dispute.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from competitions import access, events
from competitions.models import Dispute, Match, MatchReport, RegistrationPlayer, ResultAudit, Round, Tournament
from competitions.services.results import BR_KILLS_MAX, match_results_record_br, match_results_record_h2h
from webhooks.services import event_emit

REASON_MAX = 500


# --- helpers -------------------------------------------------------------------------------------


def _match_locked(match_id: int) -> Match:
    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("tournament__game", "tournament__host", "round", "group", "home_team", "away_team")
        .filter(pk=match_id)
        .first()
    )
    if match is None or match.tournament.status == Tournament.Status.DRAFT:
        raise NotFound("No such match.")
    return match


def match_teams(match: Match) -> dict[int, dict]:
    """The teams that play `match`: {id: {id, name, tag, captain_id}}."""
    if match.group_id is not None:
        teams = match.group.teams.all()
    else:
        teams = [team for team in (match.home_team, match.away_team) if team is not None]
    return {t.pk: {"id": t.pk, "name": t.name, "tag": t.tag, "captain_id": t.captain_id} for t in teams}


def captained_team(*, match: Match, user: User, team_id: int | None = None) -> int:
    """The team of `match` whose captain is `user` (PermissionDenied if none). `team_id` picks one
    when the user captains several teams of the match."""
    mine = [tid for tid, team in match_teams(match).items() if team["captain_id"] == user.pk]
    if team_id is not None:
        if team_id not in mine:
            raise PermissionDenied("You are not the captain of that team in this match.", code="not_captain")
        return team_id
    if not mine:
        raise PermissionDenied("Only the captain of a team in this match can report it.", code="not_captain")
    if len(mine) > 1:
        raise Invalid("You captain several teams in this match; send team_id.", code="team_required")
    return mine[0]


def _require_reportable(match: Match) -> None:
    tournament = match.tournament
    if not tournament.captain_reporting:
        raise Conflict(
            "This tournament does not take captains' reports; its host enters results.", code="reporting_off"
        )
    if tournament.status != Tournament.Status.ONGOING:
        raise Conflict("Results can only be reported while the tournament is ongoing.", code="not_ongoing")
    if match.status == Match.Status.CANCELLED:
        raise Conflict("This match was cancelled.", code="match_cancelled")
    if match.round.status == Round.Status.COMPLETED and tournament.is_battle_royale:
        raise Conflict("This round has been advanced; its results are final.", code="round_closed")
    if not tournament.is_battle_royale and (match.is_bye or match.home_team_id is None or match.away_team_id is None):
        raise Conflict("Both teams of this match are not known yet.", code="teams_not_set")


def match_for_captain(*, match_id: int, user: User, team_id: int | None = None) -> tuple[Match, int]:
    """For matchlog's report screenshots: the match (unlocked) and the team `user` reports for, or
    the same errors as a report would get."""
    match = (
        Match.objects.select_related("tournament__game", "round", "group", "home_team", "away_team")
        .filter(pk=match_id)
        .first()
    )
    if match is None or match.tournament.status == Tournament.Status.DRAFT:
        raise NotFound("No such match.")
    team = captained_team(match=match, user=user, team_id=team_id)
    _require_reportable(match)
    return match, team


def report_data(report: MatchReport) -> dict:
    """A report as the lobby, the host and the dispute's frozen copy see it."""
    data = {
        "id": report.pk,
        "team_id": report.team_id,
        "reported_by": report.reported_by_id,
        "screenshot_id": report.screenshot_id,
        "updated_at": report.updated_at.isoformat(),
    }
    if report.home_score is not None:
        data |= {"home_score": report.home_score, "away_score": report.away_score}
    else:
        data |= {"placement": report.placement, "kills": report.kills}
    return data


def _lobby_after_commit(tournament_id: int, event_type: str, data: dict) -> None:
    """Captains' reports and disputes go to the tournament's lobby (its host and rostered players)."""
    events.lobby_event_on_commit(tournament_id=tournament_id, event_type=event_type, data=data)


def _validate_values(
    match: Match, teams: dict[int, dict], *, placement, kills, home_score, away_score
) -> dict[str, int]:
    tournament = match.tournament
    errors = []
    if tournament.is_battle_royale:
        if home_score is not None or away_score is not None:
            errors.append("a battle-royale report is placement and kills, not a score")
        if placement is None or kills is None:
            errors.append("placement and kills are required")
        else:
            if not 1 <= placement <= len(teams):
                errors.append(f"placement runs from 1 to {len(teams)} (the lobby size)")
            if not 0 <= kills <= BR_KILLS_MAX:
                errors.append(f"kills run from 0 to {BR_KILLS_MAX}")
        values = {"placement": placement, "kills": kills}
    else:
        if placement is not None or kills is not None:
            errors.append("a head-to-head report is home_score and away_score, not a placement")
        if home_score is None or away_score is None:
            errors.append("home_score and away_score are required")
        elif home_score == away_score and tournament.format in (
            Tournament.BracketFormat.SINGLE_ELIMINATION,
            Tournament.BracketFormat.DOUBLE_ELIMINATION,
        ):
            raise Invalid("Elimination matches need a winner; draws are not allowed.", code="draw_not_allowed")
        values = {"home_score": home_score, "away_score": away_score}
    if errors:
        raise Invalid("Invalid report: " + "; ".join(errors) + ".", code="invalid_report")
    return values


# --- agreement -------------------------------------------------------------------------------------


def _br_clashes(reports: list[MatchReport]) -> dict[int, list[int]]:
    """placement → the teams that claim it, for every placement claimed more than once."""
    claims: dict[int, list[int]] = {}
    for report in reports:
        claims.setdefault(report.placement, []).append(report.team_id)
    return {placement: sorted(team_ids) for placement, team_ids in claims.items() if len(team_ids) > 1}


def reports_state(match: Match, reports: list[MatchReport], teams: dict[int, dict]) -> tuple[str, str]:
    """Pure verdict on a match's reports: ("agree" | "conflict" | "waiting", why)."""
    if match.tournament.is_battle_royale:
        clashes = _br_clashes(reports)
        if clashes:
            why = "; ".join(f"teams {ids} all claim placement {p}" for p, ids in sorted(clashes.items()))
            return "conflict", f"The reports clash: {why}."
        missing = sorted(set(teams) - {r.team_id for r in reports})
        if missing:
            return "waiting", f"Waiting for the reports of teams {missing}."
        return "agree", "Every team reported and no two claim the same placement."
    by_team = {r.team_id: r for r in reports}
    home, away = by_team.get(match.home_team_id), by_team.get(match.away_team_id)
    if home is None or away is None:
        return "waiting", "Waiting for both captains to report."
    if (home.home_score, home.away_score) != (away.home_score, away.away_score):
        return "conflict", (
            f"The captains' scores differ: {match.home_team.name} reports {home.home_score}-{home.away_score}, "
            f"{match.away_team.name} reports {away.home_score}-{away.away_score}."
        )
    return "agree", "Both captains reported the same score."


def _record(match: Match, *, user: User, reports: list[MatchReport] | None = None, result: dict) -> None:
    """Record a result through the results service (as a host's entry)."""
    if match.tournament.is_battle_royale:
        match_results_record_br(match_id=match.pk, user=user, entries=result["results"])
    else:
        match_results_record_h2h(
            match_id=match.pk, user=user, home_score=result["home_score"], away_score=result["away_score"]
        )


def _result_from_reports(match: Match, reports: list[MatchReport]) -> dict:
    if match.tournament.is_battle_royale:
        return {
            "results": [
                {"team_id": r.team_id, "placement": r.placement, "kills": r.kills}
                for r in sorted(reports, key=lambda r: r.placement)
            ]
        }
    report = reports[0]
    return {"home_score": report.home_score, "away_score": report.away_score}


def _confirm(match: Match, reports: list[MatchReport], *, by: User) -> dict:
    result = _result_from_reports(match, reports)
    # The tournament delegated entry to its captains: recorded under the host's authority (its checks,
    # standings, events and webhooks), then the audit row names the captain whose report completed it.
    _record(match, user=match.tournament.host, result=result)
    audit = ResultAudit.objects.filter(match=match).order_by("-pk").first()
    if audit is not None and audit.actor_id != by.pk:
        audit.actor = by
        audit.save(update_fields=["actor"])
    _lobby_after_commit(match.tournament_id, "report.confirmed", {"match_id": match.pk, **result})
    return result


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


# --- writes ------------------------------------------------------------------------------------------


@transaction.atomic
def match_report_submit(
    *,
    match_id: int,
    user: User,
    team_id: int | None = None,
    placement: int | None = None,
    kills: int | None = None,
    home_score: int | None = None,
    away_score: int | None = None,
    screenshot_id: int | None = None,
) -> MatchReport:
    """A captain reports (or corrects) their team's result, then the match's reports are judged:
    agreement confirms the match, a mismatch opens a dispute, otherwise they wait for the others.
    `screenshot_id` (a screenshot this captain uploaded for this match, see matchlog) is kept as proof."""
    match = _match_locked(match_id)
    team = captained_team(match=match, user=user, team_id=team_id)
    _require_reportable(match)
    if match.status == Match.Status.COMPLETED:
        raise Conflict(
            "This match's result is recorded; dispute it (POST /api/matches/{id}/disputes) if it is wrong.",
            code="already_confirmed",
        )
    teams = match_teams(match)
    values = _validate_values(
        match, teams, placement=placement, kills=kills, home_score=home_score, away_score=away_score
    )
    # matchlog checks the screenshot before it calls this; checked again so no caller can attach another's.
    if screenshot_id is not None and not match.screenshots.filter(pk=screenshot_id, uploaded_by=user).exists():
        raise Invalid("No such screenshot of yours for this match.", code="unknown_screenshot")
    # The match row is locked: no other report of this team can be written meanwhile.
    report = MatchReport.objects.filter(match=match, team_id=team).first() or MatchReport(match=match, team_id=team)
    report.reported_by = user
    report.placement = report.kills = report.home_score = report.away_score = None
    for field, value in values.items():
        setattr(report, field, value)
    if screenshot_id is not None:  # a correction without a new screenshot keeps the proof it had
        report.screenshot_id = screenshot_id
    report.full_clean()
    report.save()
    reports = list(match.reports.order_by("pk"))
    _lobby_after_commit(match.tournament_id, "report.submitted", {"match_id": match.pk, "report": report_data(report)})
    if _open_dispute(match) is not None:
        return report  # the host decides; the new report is there for them to see
    verdict, why = reports_state(match, reports, teams)
    if verdict == "agree":
        _confirm(match, reports, by=user)
    elif verdict == "conflict":
        _dispute_open(match, reports, by=None, reason=why)
    return report


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


def rostered_in_match(*, match: Match, user: User) -> bool:
    """Rostered in (or captain of) one of the match's teams."""
    teams = match_teams(match)
    if any(team["captain_id"] == user.pk for team in teams.values()):
        return True
    return RegistrationPlayer.objects.filter(
        tournament_id=match.tournament_id, registration__team_id__in=list(teams), user=user
    ).exists()
