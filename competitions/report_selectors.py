"""Captain reporting and disputes: the reads (who may see a match's reports and its disputes)."""

from django.db.models import QuerySet

from accounts.models import User
from arena.exceptions import NotFound, PermissionDenied
from competitions import access
from competitions.models import Dispute, Match, Tournament
from competitions.services.reports import match_teams, reports_state, rostered_in_match


def _match(match_id: int) -> Match:
    match = (
        Match.objects.select_related("tournament", "round", "group", "home_team", "away_team")
        .filter(pk=match_id)
        .first()
    )
    if match is None or match.tournament.status == Tournament.Status.DRAFT:
        raise NotFound("No such match.")
    return match


def _may_see(match: Match, user: User) -> bool:
    return access.manages(tournament=match.tournament, user=user) or rostered_in_match(match=match, user=user)


def match_reports_get(*, match_id: int, user: User) -> dict:
    """The match's reports and where they stand, for its host and the players of its teams."""
    match = _match(match_id)
    if not _may_see(match, user):
        raise PermissionDenied(
            "Only the host and the players of this match's teams see its reports.", code="not_in_match"
        )
    teams = match_teams(match)
    reports = list(match.reports.select_related("team", "reported_by").order_by("pk"))
    dispute = match.disputes.filter(status=Dispute.Status.OPEN).first()
    if match.status == Match.Status.COMPLETED:
        state, why = "confirmed", "The result is recorded."
    elif dispute is not None:
        state, why = "disputed", dispute.reason
    else:
        state, why = reports_state(match, reports, teams)
        state = {"agree": "confirmed"}.get(state, state)
    return {
        "match_id": match.pk,
        "captain_reporting": match.tournament.captain_reporting,
        "state": state,
        "detail": why,
        "teams": [{k: v for k, v in team.items() if k != "captain_id"} for team in teams.values()],
        "missing_team_ids": sorted(set(teams) - {r.team_id for r in reports}),
        "reports": reports,
        "dispute": dispute,
    }


def dispute_list(*, tournament_id: int, user: User, status: str | None = None) -> QuerySet[Dispute]:
    """A tournament's disputes for its host, newest first (`status`: open or resolved)."""
    tournament = Tournament.objects.filter(pk=tournament_id).first()
    if tournament is None or (
        tournament.status == Tournament.Status.DRAFT and not access.manages(tournament=tournament, user=user)
    ):
        raise NotFound("No such tournament.")
    if not access.manages(tournament=tournament, user=user):
        raise PermissionDenied("Only this tournament's host sees its disputes.", code="not_host")
    disputes = Dispute.objects.filter(tournament=tournament).select_related("match", "chosen_report")
    return disputes.filter(status=status) if status else disputes


def dispute_get(*, dispute_id: int, user: User) -> Dispute:
    """One dispute, for the host and the players of the disputed match's teams."""
    dispute = (
        Dispute.objects.select_related("match__tournament", "match__group", "match__home_team")
        .filter(pk=dispute_id)
        .first()
    )
    if dispute is None:
        raise NotFound("No such dispute.")
    if not _may_see(dispute.match, user):
        raise PermissionDenied("Only the host and the players of this match see its disputes.", code="not_in_match")
    return dispute
