"""What captains' reports and disputes share: the locked match, its teams and captains, when it takes
reports, a report's shape, the lobby events, and recording a result through the results service.

Its own module so that reports (which open a dispute on a clash) and disputes (which read the reports)
both import it and not each other's helpers in a circle.
"""

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from competitions import events
from competitions.models import Match, MatchReport, Round, Tournament
from competitions.services.results import match_results_record_br, match_results_record_h2h

REASON_MAX = 500


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


def _record(match: Match, *, user: User, reports: list[MatchReport] | None = None, result: dict) -> None:
    """Record a result through the results service (as a host's entry)."""
    if match.tournament.is_battle_royale:
        match_results_record_br(match_id=match.pk, user=user, entries=result["results"])
    else:
        match_results_record_h2h(
            match_id=match.pk, user=user, home_score=result["home_score"], away_score=result["away_score"]
        )
