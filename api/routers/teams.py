from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from accounts import selectors, services
from accounts.models import TeamJoinRequest
from api.auth import jwt_auth, optional_jwt
from api.schemas.common import ErrorOut
from api.schemas.teams import JoinRequestIn, JoinRequestOut, TeamDetailOut, TeamIn, TeamOut, TeamPatchIn
from arena.choices import choices_literal
from arena.exceptions import NotAuthenticated

router = Router(tags=["teams"])


class TeamFilters(Schema):
    mine: bool = False
    q: str | None = None


@router.post(
    "", auth=jwt_auth, response={201: TeamDetailOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
)
def create_team(request: HttpRequest, payload: TeamIn):
    """Create a team; you become its captain and first member. Needs a verified email."""
    team = services.team_create(captain=request.user, **payload.dict())
    return Status(201, selectors.team_get(team_id=team.pk))


@router.get("", auth=optional_jwt, response={200: list[TeamOut], 401: ErrorOut, 422: ErrorOut})
@paginate
def list_teams(request: HttpRequest, filters: Query[TeamFilters]):
    """All teams by name; `?mine=true` (with a token) lists only yours; `?q=` searches name or tag."""
    member = None
    if filters.mine:
        if not request.auth.is_authenticated:
            raise NotAuthenticated("Log in to list your own teams (?mine=true).")
        member = request.auth
    return selectors.team_list(member=member, q=filters.q)


@router.get("/{team_id}", response={200: TeamDetailOut, 404: ErrorOut})
def get_team(request: HttpRequest, team_id: int):
    return selectors.team_get(team_id=team_id)


@router.patch(
    "/{team_id}",
    auth=jwt_auth,
    response={200: TeamDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def update_team(request: HttpRequest, team_id: int, payload: TeamPatchIn):
    """Captain only. Set `captain_id` to another member to hand over the captaincy."""
    services.team_update(team_id=team_id, user=request.user, data=payload.dict(exclude_unset=True, exclude_none=True))
    return selectors.team_get(team_id=team_id)


@router.delete("/{team_id}", auth=jwt_auth, response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def delete_team(request: HttpRequest, team_id: int):
    services.team_delete(team_id=team_id, user=request.user)
    return Status(204, None)


@router.post(
    "/{team_id}/join-requests",
    auth=jwt_auth,
    response={201: JoinRequestOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def request_to_join_team(request: HttpRequest, team_id: int, payload: JoinRequestIn | None = None):
    message = payload.message if payload else ""
    return Status(201, services.team_join_request_create(team_id=team_id, user=request.user, message=message))


@router.get(
    "/{team_id}/join-requests",
    auth=jwt_auth,
    response={200: list[JoinRequestOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@paginate
def list_join_requests(
    request: HttpRequest,
    team_id: int,
    status: choices_literal(TeamJoinRequest.Status) | None = None,  # type: ignore[valid-type]
):
    """Captain only; newest first; `?status=pending` for the ones waiting on you."""
    team = selectors.team_get(team_id=team_id)
    return selectors.team_join_request_list(team=team, user=request.user, status=status)


@router.post(
    "/{team_id}/join-requests/{request_id}/accept",
    auth=jwt_auth,
    response={200: JoinRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def accept_join_request(request: HttpRequest, team_id: int, request_id: int):
    return services.team_join_request_decide(team_id=team_id, request_id=request_id, user=request.user, accept=True)


@router.post(
    "/{team_id}/join-requests/{request_id}/reject",
    auth=jwt_auth,
    response={200: JoinRequestOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def reject_join_request(request: HttpRequest, team_id: int, request_id: int):
    return services.team_join_request_decide(team_id=team_id, request_id=request_id, user=request.user, accept=False)


@router.delete(
    "/{team_id}/members/{user_id}",
    auth=jwt_auth,
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def remove_team_member(request: HttpRequest, team_id: int, user_id: int):
    """The captain removes a member, or a member removes themself (leaves)."""
    services.team_member_remove(team_id=team_id, member_id=user_id, user=request.user)
    return Status(204, None)
