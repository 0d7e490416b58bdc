"""Helpers every services module shares: row locks, the host check, after-commit cache invalidation and events."""

from django.db import transaction

from accounts.models import User
from arena.exceptions import NotFound, PermissionDenied
from competitions import access, events, selectors
from competitions.models import (
    Match,
    RegistrationPlayer,
    Tournament,
)

SCRIM_MAX_TEAMS = 25
SCRIM_MAX_MATCHES = 6
MAX_LOBBY_TEAMS = 25


def _tournament_locked(tournament_id: int) -> Tournament:
    tournament = (
        Tournament.objects.select_for_update(of=("self",)).select_related("game").filter(pk=tournament_id).first()
    )
    if tournament is None:
        raise NotFound("No such tournament.")
    return tournament


def _match_locked(match_id: int) -> Match:
    match = (
        Match.objects.select_for_update(of=("self",))
        .select_related("tournament__game", "round", "group")
        .filter(pk=match_id)
        .first()
    )
    if match is None:
        raise NotFound("No such match.")
    return match


def _require_owner(tournament: Tournament, user: User) -> None:
    if not access.manages(tournament=tournament, user=user):
        raise PermissionDenied("Only this tournament's host can do this.", code="not_host")


def _publish_after_commit(tournament_id: int, event_type: str, data: dict) -> None:
    """The one call site for tournament events: after commit, invalidate the tournament's
    cached reads, then announce on its topic."""
    _cache_invalidate_after_commit(tournament_id)
    events.tournament_event_on_commit(tournament_id=tournament_id, event_type=event_type, data=data)


def _cache_invalidate_after_commit(tournament_id: int) -> None:
    """Every write to a tournament (or what its reads show: registrations, results) ends here, so the
    cached reads (selectors.tournament_get, the stored standings and list pages of api.cached) never
    outlive the change."""
    # robust: a cache outage must not turn a committed change into a 500.
    transaction.on_commit(lambda: selectors.tournament_cache_invalidate(tournament_id=tournament_id), robust=True)


def _rostered_users(tournament: Tournament, team_ids=None) -> list[int]:
    players = RegistrationPlayer.objects.filter(tournament=tournament)
    if team_ids is not None:
        players = players.filter(registration__team_id__in=team_ids)
    return list(players.values_list("user_id", flat=True))


def _next_match_number(tournament: Tournament) -> int:
    last = tournament.matches.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1
