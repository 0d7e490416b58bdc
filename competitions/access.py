"""Who may act on a tournament: look-up and access check in one place (the same 404 for
"missing" and "not yours", so ids of other hosts' drafts don't leak)."""

from accounts.models import User
from arena.exceptions import NotFound
from competitions.models import RegistrationPlayer, Tournament


def manages(*, tournament: Tournament, user: User) -> bool:
    """The one rule of who runs a tournament: its host, or an administrator."""
    return tournament.host_id == user.pk or user.is_admin


def takes_part(*, tournament: Tournament, user: User) -> bool:
    """Who may see the room details and join the lobby: whoever runs the tournament, and its
    rostered players while they are still members of the team they were registered with (a
    withdrawal removes the roster rows; leaving or being removed from the team ends it too)."""
    return (
        manages(tournament=tournament, user=user)
        or RegistrationPlayer.objects.filter(
            tournament=tournament, user=user, registration__team__memberships__user=user
        ).exists()
    )


def tournament_for_host(*, tournament_id: int, user: User) -> Tournament:
    """The tournament, if `user` hosts it or is an administrator."""
    tournament = Tournament.objects.filter(pk=tournament_id).first()
    if tournament is None or not manages(tournament=tournament, user=user):
        raise NotFound("No such tournament among yours.", code="not_found")
    return tournament
