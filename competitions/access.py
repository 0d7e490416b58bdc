"""Who may act on a tournament: look-up and access check in one place (the same 404 for
"missing" and "not yours", so ids of other hosts' drafts don't leak)."""

from accounts.models import User
from arena.exceptions import NotFound
from competitions.models import Tournament


def tournament_for_host(*, tournament_id: int, user: User) -> Tournament:
    """The tournament, if `user` hosts it or is an administrator."""
    tournament = Tournament.objects.filter(pk=tournament_id).first()
    if tournament is None or not (tournament.host_id == user.pk or user.is_admin):
        raise NotFound("No such tournament among yours.", code="not_found")
    return tournament
