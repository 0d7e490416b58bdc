"""Writes for teams: create, edit, delete, join requests and members."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import (
    Team,
    TeamJoinRequest,
    TeamMembership,
    User,
)
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from realtime.publish import access_recheck


def _team_locked(team_id: int) -> Team:
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise NotFound("No such team.")
    return team


def _require_captain(team: Team, user: User) -> None:
    if team.captain_id != user.pk:
        raise PermissionDenied("Only the team captain can do this.", code="not_captain")


def _ensure_team_name_free(name: str, *, exclude_id: int | None = None) -> None:
    others = Team.objects.exclude(pk=exclude_id) if exclude_id else Team.objects.all()
    if others.filter(name__iexact=name).exists():
        raise Conflict("A team with this name already exists.", code="team_name_taken")


@transaction.atomic
def team_create(*, captain: User, name: str, tag: str, description: str = "") -> Team:
    if not captain.is_email_verified:
        raise PermissionDenied("Verify your email address before creating a team.", code="email_unverified")
    _ensure_team_name_free(name)
    team = Team(name=name, tag=tag.upper(), description=description, captain=captain)
    team.full_clean()
    team.save()
    TeamMembership.objects.create(team=team, user=captain)
    return team


@transaction.atomic
def team_update(*, team_id: int, user: User, data: dict) -> Team:
    team = _team_locked(team_id)
    _require_captain(team, user)
    if "name" in data and data["name"].lower() != team.name.lower():
        _ensure_team_name_free(data["name"], exclude_id=team.pk)
    if "captain_id" in data:
        new_captain_id = data.pop("captain_id")
        if not team.memberships.filter(user_id=new_captain_id).exists():
            raise Invalid("The new captain must already be a member of the team.", code="captain_not_member")
        team.captain_id = new_captain_id
    if "tag" in data:
        data["tag"] = data["tag"].upper()
    for field, value in data.items():
        setattr(team, field, value)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def team_delete(*, team_id: int, user: User) -> None:
    team = _team_locked(team_id)
    _require_captain(team, user)
    team.delete()


@transaction.atomic
def team_join_request_create(*, team_id: int, user: User, message: str = "") -> TeamJoinRequest:
    team = _team_locked(team_id)
    if team.memberships.filter(user=user).exists():
        raise Conflict("You are already a member of this team.", code="already_member")
    if team.join_requests.filter(user=user, status=TeamJoinRequest.Status.PENDING).exists():
        raise Conflict("You already asked to join this team.", code="request_pending")
    if team.memberships.count() >= settings.TEAM_MAX_MEMBERS:
        raise Conflict(f"This team is full ({settings.TEAM_MAX_MEMBERS} members).", code="team_full")
    join_request = TeamJoinRequest(team=team, user=user, message=message)
    join_request.full_clean()
    join_request.save()
    return join_request


@transaction.atomic
def team_join_request_decide(*, team_id: int, request_id: int, user: User, accept: bool) -> TeamJoinRequest:
    # The team row lock serialises accepts, so the roster limit holds under concurrency.
    team = _team_locked(team_id)
    _require_captain(team, user)
    join_request = team.join_requests.select_for_update().filter(pk=request_id).first()
    if join_request is None:
        raise NotFound("No such join request for this team.")
    if join_request.status != TeamJoinRequest.Status.PENDING:
        raise Conflict(f"This request was already {join_request.status}.", code="request_decided")
    if accept:
        if team.memberships.count() >= settings.TEAM_MAX_MEMBERS:
            raise Conflict(f"This team is full ({settings.TEAM_MAX_MEMBERS} members).", code="team_full")
        TeamMembership.objects.get_or_create(team=team, user_id=join_request.user_id)
    join_request.status = TeamJoinRequest.Status.ACCEPTED if accept else TeamJoinRequest.Status.REJECTED
    join_request.decided_by = user
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["status", "decided_by", "decided_at"])
    return join_request


@transaction.atomic
def team_member_remove(*, team_id: int, member_id: int, user: User) -> None:
    """A captain removes a member, or a member leaves. A captain hands over before leaving."""
    team = _team_locked(team_id)
    if user.pk != member_id:
        _require_captain(team, user)
    membership = team.memberships.filter(user_id=member_id).first()
    if membership is None:
        raise NotFound("This user is not a member of the team.")
    if member_id == team.captain_id:
        raise Conflict(
            "The captain cannot leave. Hand the captaincy to another member first, or delete the team.",
            code="captain_must_hand_over",
        )
    membership.delete()
    # Rostered players take part only while in their team: their open lobby sockets of the
    # team's tournaments close with 4403 after commit (competitions.access.takes_part).
    access_recheck(user_ids=[member_id])
