from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from accounts.models import HostApplication, User
from api.schemas.competitions import CareerStatsOut
from api.schemas.media import file_url
from arena.choices import choices_literal

Username = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]{3,30}$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
GameKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,30}$")]
GameId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Role = choices_literal(User.Role)
HostStatus = choices_literal(User.HostStatus)


class RegisterIn(Schema):
    email: Email
    password: Password
    username: Username
    role: choices_literal(User.Role, exclude=[User.Role.ADMIN]) = "player"  # type: ignore[valid-type]


class LoginIn(Schema):
    email: Email
    password: Password


class TokenPairOut(Schema):
    access: str
    refresh: str


class RefreshIn(Schema):
    refresh: Token


class TokenIn(Schema):
    token: Token


class EmailIn(Schema):
    email: Email


class PasswordResetConfirmIn(Schema):
    token: Token
    password: Password


OAuthCode = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
OAuthState = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class OAuthProviderOut(Schema):
    name: str
    label: str


class OAuthUrlOut(Schema):
    url: str = Field(..., description="the provider's authorization page; send the browser there")
    state: str = Field(..., description="keep it; the callback must bring back exactly this value")


class OAuthCallbackIn(Schema):
    code: OAuthCode
    state: OAuthState


class OAuthLoginOut(TokenPairOut):
    created: bool = Field(..., description="true when this login created a new Arena account")


class SocialAccountOut(Schema):
    provider: str
    uid: str = Field(..., description="the account id at the provider")
    handle: str = Field(..., description="the name the account goes by at the provider")
    email: str
    email_verified: bool
    created_at: datetime
    last_login_at: datetime | None


class MessageOut(Schema):
    detail: str


def _avatar_url(user, context) -> str | None:
    return file_url(context, user.avatar)


class SteamProfileOut(Schema):
    steam_id: str = Field(..., description="SteamID64, as a string (beyond JavaScript's exact integers)")
    persona_name: str
    avatar_url: str
    profile_url: str

    @staticmethod
    def resolve_steam_id(obj) -> str:
        return str(obj.steam_id)


def steam_profile(user) -> object | None:
    """The linked Steam account (steam app), or None; a missing reverse one-to-one raises AttributeError."""
    return getattr(user, "steam_account", None)


class UserOut(Schema):
    id: int
    email: str
    username: str
    role: Role  # type: ignore[valid-type]
    email_verified: bool = Field(..., alias="is_email_verified")
    date_joined: datetime


class MeOut(Schema):
    id: int
    email: str
    username: str
    display_name: str
    bio: str
    avatar_url: str | None
    social_links: dict[str, str]
    game_ids: dict[str, str]
    timezone: str
    role: Role  # type: ignore[valid-type]
    host_status: HostStatus  # type: ignore[valid-type]
    email_verified: bool = Field(..., alias="is_email_verified")
    xp: int
    streak: int
    streak_freezes: int
    date_joined: datetime
    steam: SteamProfileOut | None = None

    @staticmethod
    def resolve_steam(obj):
        return steam_profile(obj)

    @staticmethod
    def resolve_avatar_url(obj, context) -> str | None:
        return _avatar_url(obj, context)

    # The wallet row appears with the first XP movement; until then everything is 0.
    @staticmethod
    def resolve_xp(obj) -> int:
        wallet = getattr(obj, "wallet", None)
        return wallet.xp_balance if wallet else 0

    @staticmethod
    def resolve_streak(obj) -> int:
        wallet = getattr(obj, "wallet", None)
        return wallet.streak if wallet else 0

    @staticmethod
    def resolve_streak_freezes(obj) -> int:
        wallet = getattr(obj, "wallet", None)
        return wallet.streak_freezes if wallet else 0


class MePatchIn(Schema):
    username: Username | None = None
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    bio: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    social_links: dict[str, Url] | None = Field(None, description="platform → URL; an empty URL removes it")
    game_ids: Annotated[dict[GameKey, GameId], Field(max_length=20)] | None = Field(
        None, description='game slug → in-game id, e.g. {"bgmi": "5123456789"}'
    )
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = Field(None, description="IANA name")


def career_stats(obj) -> dict:
    """Career totals from competitions; zeros until the first tournament."""
    stats = getattr(obj, "stats", None)
    if stats is None:
        return {}
    return {
        "tournaments_played": stats.tournaments_played,
        "tournaments_won": stats.tournaments_won,
        "matches_played": stats.matches_played,
        "wins": stats.wins,
        "kills": stats.kills,
        "average_placement": stats.average_placement,
    }


class PublicProfileOut(Schema):
    username: str
    display_name: str
    bio: str
    avatar_url: str | None
    social_links: dict[str, str]
    game_ids: dict[str, str]
    role: Role  # type: ignore[valid-type]
    verified_host: bool = Field(..., alias="is_verified_host")
    xp: int
    teams_count: int
    stats: CareerStatsOut
    date_joined: datetime
    steam: SteamProfileOut | None = None

    @staticmethod
    def resolve_steam(obj):
        return steam_profile(obj)

    @staticmethod
    def resolve_avatar_url(obj, context) -> str | None:
        return _avatar_url(obj, context)

    @staticmethod
    def resolve_xp(obj) -> int:
        return MeOut.resolve_xp(obj)

    @staticmethod
    def resolve_stats(obj) -> dict:
        return career_stats(obj)


class LeaderboardRowOut(Schema):
    rank: int
    username: str
    display_name: str
    avatar_url: str | None
    xp: int

    @staticmethod
    def resolve_avatar_url(obj, context) -> str | None:
        return _avatar_url(obj, context)


class HostApplicationOut(Schema):
    id: int
    status: choices_literal(HostApplication.Status)  # type: ignore[valid-type]
    message: str
    has_identity_document: bool
    created_at: datetime
    reviewed_at: datetime | None
    review_note: str

    @staticmethod
    def resolve_has_identity_document(obj) -> bool:
        return bool(obj.identity_document)


class HostDecisionIn(Schema):
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class AdminUserOut(Schema):
    id: int
    email: str
    username: str
    role: Role  # type: ignore[valid-type]
    host_status: HostStatus  # type: ignore[valid-type]
    email_verified: bool = Field(..., alias="is_email_verified")
    is_active: bool
    date_joined: datetime
    last_login: datetime | None


class AdminStatsOut(Schema):
    users: int
    verified_users: int
    hosts: int
    pending_host_applications: int
    teams: int
