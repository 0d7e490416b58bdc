from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from api.schemas.competitions import TeamRef


class SteamLinkIn(Schema):
    steam: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        ...,
        description="a SteamID64 (7656119…), a profile URL (steamcommunity.com/profiles/<id> or /id/<name>) "
        "or a custom URL name",
    )


class DotaLinkIn(Schema):
    dota_match_id: int = Field(..., gt=0, lt=2**63, description="the Dota 2 match id (as in the game or on Dotabuff)")


class DotaLinkOut(Schema):
    match_id: int
    dota_match_id: int
    status: str = Field(..., description="queued → imported, or failed with a reason")
    reason: str = Field(..., description="why the import failed; empty otherwise")
    note: str = Field(..., description="what the import had to decide, e.g. a win with fewer kills")
    radiant_team: TeamRef | None
    dire_team: TeamRef | None
    radiant_win: bool | None
    radiant_kills: int | None
    dire_kills: int | None
    dota_started_at: datetime | None
    dota_duration: int | None = Field(..., description="seconds")
    imported_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DotaRecentMatchOut(Schema):
    dota_match_id: int
    started_at: datetime | None
    lobby_type: int | None = Field(None, description="Valve's lobby type: 1 practice (lobby), 7 ranked, …")
    home_players_radiant: int = Field(..., description="the home team's linked players seen on Radiant")
    home_players_dire: int
    away_players_radiant: int
    away_players_dire: int
    home_side: str | None = Field(..., description="radiant or dire when mappable")
    mappable: bool = Field(..., description="both teams' linked players were on opposite sides: importable")
    reason: str = Field(..., description="why it is not mappable")


class DotaPlayerHistoryOut(Schema):
    username: str
    team_id: int
    history: str = Field(..., description="public (read), private (hidden in Dota 2) or not_checked")


class DotaRecentOut(Schema):
    matches: list[DotaRecentMatchOut]
    players: list[DotaPlayerHistoryOut] = Field(..., description="the linked players and whose history was read")
