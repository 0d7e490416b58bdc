"""Who may see and run what in competitions: the only home of these rules (Zulip's
access_stream_by_id: look-up and access check in one place).

* `manages`: the host of a tournament, or an administrator, runs it.
* `visible_tournaments` / `visible_matches`: drafts are hidden from everyone but those who run them.
* `tournament_for_host` / `match_for_host`: the same 404 for "missing" and "not yours", so the ids of
  other hosts' drafts and tournaments don't leak.
* `can_see_room`: a match's room id and password are for those who run the tournament and its
  rostered players.
"""

from django.db.models import Q, QuerySet

from accounts.models import User
from arena.exceptions import NotFound
from competitions.models import Match, Registration, RegistrationPlayer, Tournament


def _signed_in(user: User | None) -> bool:
    return user is not None and user.is_authenticated


def manages(*, tournament: Tournament, user: User | None) -> bool:
    """The one rule of who runs a tournament: its host, or an administrator."""
    return _signed_in(user) and (tournament.host_id == user.pk or user.is_admin)


def _visible(user: User | None, prefix: str = "") -> Q:
    """Published tournaments, and the drafts `user` runs (as a filter on Tournament, or through `prefix`)."""
    if _signed_in(user) and user.is_admin:
        return Q()
    visible = ~Q(**{f"{prefix}status": Tournament.Status.DRAFT})
    if _signed_in(user):
        visible |= Q(**{f"{prefix}host": user})
    return visible


def sees_only_published(*, user: User | None) -> bool:
    """Whether `user` sees what everyone sees (no drafts): so a public read may be shared with them."""
    if not _signed_in(user):
        return True
    return not user.is_admin and not Tournament.objects.filter(host=user, status=Tournament.Status.DRAFT).exists()


def visible_tournaments(*, user: User | None) -> QuerySet[Tournament]:
    """Every tournament `user` may see: the base of every list and look-up."""
    return Tournament.objects.filter(_visible(user))


def visible_matches(*, user: User | None) -> QuerySet[Match]:
    return Match.objects.filter(_visible(user, prefix="tournament__"))


def tournament_visible(*, tournament: Tournament, user: User | None) -> bool:
    """The same rule as visible_tournaments, for a tournament already in hand (e.g. from the cache)."""
    return tournament.status != Tournament.Status.DRAFT or manages(tournament=tournament, user=user)


def takes_part(*, tournament: Tournament, user: User) -> bool:
    """Who may see the room details and join the lobby: whoever runs the tournament, and its
    rostered players while they are still members of the team they were registered with (a
    withdrawal removes the roster rows; leaving or being removed from the team ends it too, and so
    does a disqualification)."""
    return (
        manages(tournament=tournament, user=user)
        or RegistrationPlayer.objects.filter(
            tournament=tournament, user=user, registration__team__memberships__user=user
        )
        .exclude(registration__status=Registration.Status.DISQUALIFIED)
        .exists()
    )


def tournament_for_host(*, tournament_id: int, user: User) -> Tournament:
    """The tournament, if `user` hosts it or is an administrator."""
    tournament = Tournament.objects.filter(pk=tournament_id).first()
    if tournament is None or not manages(tournament=tournament, user=user):
        raise NotFound("No such tournament among yours.", code="not_found")
    return tournament


def match_for_host(*, match_id: int, user: User) -> Match:
    """The match, if `user` runs its tournament."""
    match = Match.objects.select_related("tournament").filter(pk=match_id).first()
    if match is None or not manages(tournament=match.tournament, user=user):
        raise NotFound("No such match among yours.", code="not_found")
    return match


def can_see_room(*, tournament: Tournament, user: User | None) -> bool:
    """Room id and password: those who take part (takes_part) and no one else."""
    return _signed_in(user) and takes_part(tournament=tournament, user=user)
