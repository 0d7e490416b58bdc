"""Reads for users and profiles."""

from django.db.models import Count, F, Prefetch, Q, QuerySet, Value, Window
from django.db.models.functions import Coalesce, Lower, Rank

from accounts.models import HostApplication, SocialAccount, Team, TeamJoinRequest, TeamMembership, User
from arena.exceptions import NotFound, PermissionDenied


def user_get_by_username(*, username: str) -> User:
    user = (
        User.objects.filter(username__iexact=username, is_active=True)
        .annotate(teams_count=Count("team_memberships", distinct=True))
        .first()
    )
    if user is None:
        raise NotFound(f"No player named {username!r}.")
    return user


def social_account_list(*, user: User) -> QuerySet[SocialAccount]:
    return SocialAccount.objects.filter(user=user).order_by("provider")


def leaderboard() -> QuerySet[User]:
    """Active players by XP. Equal XP shares a rank; the earlier sign-up is listed first."""
    xp = Coalesce(F("wallet__xp_balance"), Value(0))
    return (
        User.objects.filter(is_active=True)
        .annotate(xp=xp, rank=Window(Rank(), order_by=xp.desc()))
        .order_by("-xp", "date_joined", "id")
    )


def user_list(*, role: str | None = None, host_status: str | None = None, q: str | None = None) -> QuerySet[User]:
    users = User.objects.order_by("-date_joined")
    if role:
        users = users.filter(role=role)
    if host_status:
        users = users.filter(host_status=host_status)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(email__icontains=q))
    return users


def admin_stats() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "verified_users": User.objects.filter(email_verified_at__isnull=False).count(),
        "hosts": User.objects.filter(host_status=User.HostStatus.APPROVED).count(),
        "pending_host_applications": HostApplication.objects.filter(status=HostApplication.Status.PENDING).count(),
        "teams": Team.objects.count(),
    }


def team_list(*, member: User | None = None, q: str | None = None) -> QuerySet[Team]:
    teams = Team.objects.select_related("captain").annotate(members_count=Count("memberships"))
    if member is not None:
        teams = teams.filter(pk__in=TeamMembership.objects.filter(user=member).values("team_id"))
    if q:
        teams = teams.filter(Q(name__icontains=q) | Q(tag__iexact=q))
    # Alphabetical whatever the case or the database collation; id keeps pages stable.
    return teams.order_by(Lower("name"), "id")


def team_get(*, team_id: int) -> Team:
    team = (
        # "stats" (career totals) lives in competitions; joined here so detail stays one query.
        Team.objects.select_related("captain", "stats")
        .prefetch_related(Prefetch("memberships", queryset=TeamMembership.objects.select_related("user")))
        .filter(pk=team_id)
        .first()
    )
    if team is None:
        raise NotFound("No such team.")
    return team


def team_join_request_list(*, team: Team, user: User, status: str | None = None) -> QuerySet[TeamJoinRequest]:
    if team.captain_id != user.pk:
        raise PermissionDenied("Only the team captain can see join requests.", code="not_captain")
    requests = team.join_requests.select_related("user").order_by("-created_at", "-id")
    if status:
        requests = requests.filter(status=status)
    return requests
