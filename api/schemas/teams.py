from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import StringConstraints

from accounts.models import TeamJoinRequest
from api.schemas.accounts import career_stats
from api.schemas.competitions import CareerStatsOut
from arena.choices import choices_literal

TeamName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=50)]
TeamTag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9]{2,6}$")]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class TeamIn(Schema):
    name: TeamName
    tag: TeamTag
    description: Description = ""


class TeamPatchIn(Schema):
    name: TeamName | None = None
    tag: TeamTag | None = None
    description: Description | None = None
    captain_id: int | None = None


class MemberOut(Schema):
    user_id: int
    username: str
    display_name: str
    is_captain: bool
    joined_at: datetime

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_is_captain(obj) -> bool:
        return obj.user_id == obj.team.captain_id


class TeamOut(Schema):
    id: int
    name: str
    tag: str
    description: str
    captain_id: int
    captain_username: str
    members_count: int
    created_at: datetime

    @staticmethod
    def resolve_captain_username(obj) -> str:
        return obj.captain.username


class TeamDetailOut(TeamOut):
    members: list[MemberOut]
    stats: CareerStatsOut

    @staticmethod
    def resolve_stats(obj) -> dict:
        return career_stats(obj)

    @staticmethod
    def resolve_members(obj) -> list:
        return list(obj.memberships.all())

    @staticmethod
    def resolve_members_count(obj) -> int:
        return len(obj.memberships.all())


class JoinRequestIn(Schema):
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class JoinRequestOut(Schema):
    id: int
    team_id: int
    user_id: int
    username: str
    message: str
    status: choices_literal(TeamJoinRequest.Status)  # type: ignore[valid-type]
    created_at: datetime
    decided_at: datetime | None

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username
