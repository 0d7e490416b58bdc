"""Battle-royale scoring: the official presets, kill tiers, the rules a tournament sets and their
tie-breakers (API.md, "Battle-royale points")."""

from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from api.schemas.common import Id
from competitions.scoring import PRESETS
from competitions.standings import RULES_BR, TIE_BREAKERS_BR

PresetName = Literal[tuple(PRESETS)]  # type: ignore[valid-type]


TieBreaker = Literal[TIE_BREAKERS_BR]  # type: ignore[valid-type]


class ScoringPresetOut(Schema):
    name: str
    description: str
    points_table: list[int] = Field(..., description="points for 1st, 2nd, …; later placements score 0")
    kill_points: int


class KillTier(Schema):
    model_config = ConfigDict(extra="forbid")

    from_kill: int = Field(..., ge=1, le=1000, description="the first kill of a match this tier pays for")
    points: int = Field(..., ge=0, le=100, description="points for each kill from `from_kill` on")


class ScoringIn(Schema):
    """Battle-royale scoring beyond the points table (API.md, "Battle-royale points"). On update, keys
    left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    preset: PresetName | None = Field(
        None,
        description="an official table (GET /api/scoring-presets): sets points_table and kill_points, so "
        "leave those out; null = a custom table (the game's by default)",
    )
    kill_cap: int | None = Field(None, ge=0, le=1000, description="kills per match that earn points; null = no cap")
    kill_tiers: list[KillTier] = Field(
        default_factory=list,
        max_length=10,
        description="tiered kill points (replace kill_points): the k-th kill of a match pays the last tier "
        "with from_kill ≤ k; the first tier starts at 1",
    )
    wwcd_bonus: int = Field(0, ge=0, le=1000, description="extra points for placement 1")
    best_of: int | None = Field(
        None, ge=1, le=20, description="count only each team's best N matches of a stage (≤ matches_per_group)"
    )
    head_start: dict[Id, Annotated[int, Field(ge=0, le=100_000)]] = Field(
        default_factory=dict, description="{team_id: points} carried into round 1 from a stage played elsewhere"
    )
    carry_over: bool = Field(False, description="each later round starts with the team's points of the round before")
    match_point: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="ALGS match-point final: at this total a team is eligible and wins the tournament by "
        "winning a later match of the final round (not with best_of)",
    )
    dq_points: Literal["keep", "void"] = Field(
        "keep", description="a disqualified team keeps its points or has them voided; it ranks last either way"
    )
    tie_breakers: list[TieBreaker] = Field(
        default_factory=lambda: list(RULES_BR),
        min_length=1,
        max_length=len(TIE_BREAKERS_BR),
        description='ordered; starts with "points"',
    )


class ScoringOut(Schema):
    preset: str | None
    kill_cap: int | None
    kill_tiers: list[KillTier]
    wwcd_bonus: int
    best_of: int | None
    head_start: dict[str, int]
    carry_over: bool
    match_point: int | None
    dq_points: str
    tie_breakers: list[str]
