"""Captain reporting: the writes (disputes are in competitions.services.disputes).

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

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound
from competitions.models import Match, MatchReport, RegistrationPlayer, ResultAudit, Tournament
from competitions.services._reporting import (
    _lobby_after_commit,
    _match_locked,
    _record,
    _require_reportable,
    captained_team,
    match_teams,
    report_data,
)
from competitions.services.disputes import _dispute_open, _open_dispute
from competitions.services.results import BR_KILLS_MAX


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


def rostered_in_match(*, match: Match, user: User) -> bool:
    """Rostered in (or captain of) one of the match's teams."""
    teams = match_teams(match)
    if any(team["captain_id"] == user.pk for team in teams.values()):
        return True
    return RegistrationPlayer.objects.filter(
        tournament_id=match.tournament_id, registration__team_id__in=list(teams), user=user
    ).exists()
