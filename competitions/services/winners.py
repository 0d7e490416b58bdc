"""Selecting the podium when the last match is played, and its prizes."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict
from competitions import career, events, tasks
from competitions.models import (
    Match,
    Round,
    Standing,
    Tournament,
)
from competitions.services._common import (
    _publish_after_commit,
    _require_owner,
    _rostered_users,
    _tournament_locked,
)
from competitions.services.progression import _tournament_finished
from wallet.services import tournament_prizes_award
from webhooks.services import event_emit


@transaction.atomic
def tournament_winner_request(*, tournament_id: int, user: User) -> None:
    tournament = _tournament_locked(tournament_id)
    _require_owner(tournament, user)
    if tournament.status != Tournament.Status.COMPLETED and (
        tournament.status != Tournament.Status.ONGOING or not _tournament_finished(tournament)
    ):
        raise Conflict("The final match has not been played yet.", code="not_finished")
    transaction.on_commit(lambda: tasks.select_winner.delay(tournament.pk))


@transaction.atomic
def tournament_winner_select(*, tournament_id: int) -> Tournament:
    """Idempotent: a completed tournament is returned as it is; the row lock makes
    concurrent runs wait and then see it completed."""
    tournament = _tournament_locked(tournament_id)
    if tournament.status == Tournament.Status.COMPLETED:
        return tournament
    if tournament.status != Tournament.Status.ONGOING or not _tournament_finished(tournament):
        raise Conflict("The final match has not been played yet.", code="not_finished")
    podium = _podium(tournament)
    tournament.winner_id, tournament.runner_up_id, tournament.third_place_id = ([*podium, None, None, None])[:3]
    tournament.status = Tournament.Status.COMPLETED
    tournament.completed_at = timezone.now()
    tournament.save(update_fields=["winner", "runner_up", "third_place", "status", "completed_at", "updated_at"])
    tournament.rounds.update(status=Round.Status.COMPLETED)
    if tournament.winner_id:
        career.tournament_won(tournament=tournament, team_id=tournament.winner_id)
    _award_prizes(tournament)
    transaction.on_commit(lambda: tasks.send_winner_emails.delay(tournament.pk))
    events.notify(
        _rostered_users(tournament),
        "tournament_winner",
        f"{tournament.title} is over",
        f"Champion: {tournament.winner.name}" if tournament.winner else "",
        {"tournament_id": tournament.pk, "podium": [t for t in podium[:3] if t is not None]},
    )
    _publish_after_commit(tournament.pk, "tournament.winner", {"podium": [t for t in podium[:3] if t is not None]})
    places = dict(
        zip(
            ("winner", "runner_up", "third_place"),
            (tournament.winner, tournament.runner_up, tournament.third_place),
            strict=True,
        )
    )
    event_emit(
        tournament_id=tournament.pk,
        event="tournament.completed",
        data={key: {"id": team.pk, "name": team.name} if team else None for key, team in places.items()},
    )
    return tournament


def _podium(tournament: Tournament) -> list[int | None]:
    if tournament.is_battle_royale:
        last = tournament.rounds.get(number=tournament.rounds_count)
        scope = Standing.objects.filter(round=last, group__isnull=True).exclude(status=Standing.Status.DISQUALIFIED)
        return list(scope.order_by("rank", "team_id").values_list("team_id", flat=True)[:3])
    if tournament.format in (Tournament.BracketFormat.ROUND_ROBIN, Tournament.BracketFormat.SWISS):
        scope = Standing.objects.filter(tournament=tournament, round__isnull=True, group__isnull=True)
        return list(scope.order_by("rank", "team_id").values_list("team_id", flat=True)[:3])
    final = (
        tournament.matches.filter(key="GF2", status=Match.Status.COMPLETED).first()
        or tournament.matches.filter(key="GF").first()
        or tournament.matches.filter(bracket="winners", winner_to_match__isnull=True).order_by("-number").first()
    )
    runner_up = final.away_team_id if final.winner_id == final.home_team_id else final.home_team_id
    third = None
    third_place = tournament.matches.filter(bracket="third_place").first()
    if third_place is not None:
        third = third_place.winner_id  # a bye's only team too: the one semi-final loser there was
    if tournament.format == Tournament.BracketFormat.DOUBLE_ELIMINATION:
        lb_final = (
            tournament.matches.filter(bracket="losers", status=Match.Status.COMPLETED).order_by("-number").first()
        )
        if lb_final and lb_final.winner_id:
            third = lb_final.away_team_id if lb_final.winner_id == lb_final.home_team_id else lb_final.home_team_id
    return [final.winner_id, runner_up, third]


def _award_prizes(tournament: Tournament) -> None:
    """Podium XP for every rostered starter of the top three teams, through the wallet."""
    podium = [tournament.winner_id, tournament.runner_up_id, tournament.third_place_id]
    starters = career.starters(tournament, [t for t in podium if t])
    placings = [(place, starters.get(team_id, [])) for place, team_id in enumerate(podium, start=1) if team_id]
    tournament_prizes_award(tournament_id=tournament.pk, placings=placings)
