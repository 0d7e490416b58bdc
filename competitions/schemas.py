"""What clients see of standings and matches, one Pydantic model per thing: the REST API
(api.schemas.competitions) and the WebSocket messages (realtime.schemas, hence /api/asyncapi.json)
both use these, and the payload builders in competitions.selectors produce exactly these shapes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arena.choices import choices_literal
from competitions.models import Match, Standing


class Shape(BaseModel):
    # Exact shapes: a WebSocket frame or REST row with an undocumented key fails validation. Built from
    # the selectors' dicts, or from model instances (from_attributes) by the REST schemas.
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class TeamRef(Shape):
    id: int
    name: str
    tag: str


class Qualification(Shape):
    """Where a battle-royale team can still finish in its group of the round, over the matches left
    (exact under the scoring rules, no-shows included; ties on points count against the team;
    competitions/qualification.py)."""

    status: Literal["qualified", "eliminated", "alive"] | None = Field(
        ...,
        description="qualified: in the group's qualifying places in every outcome; eliminated: in none; "
        "alive: otherwise. null in a final round (no places to qualify for)",
    )
    best_rank: int = Field(..., description="the best rank in the group the team can still finish at")
    worst_rank: int = Field(..., description="the worst rank in the group the team can still finish at")
    points_needed: int | None = Field(
        ...,
        description="the fewest points over the remaining matches that guarantee qualification "
        "(0 once qualified; null when eliminated, in a final round, or when no score is enough)",
    )


class StandingRow(Shape):
    """One team's line in a standings table: GET /api/tournaments/{id}/standings, the tournament
    topic's snapshot (`standings`) and `standings.updated` (`overall`)."""

    rank: int
    team: TeamRef
    team_id: int = Field(
        ...,
        deprecated=True,
        description="deprecated: use team.id. Kept for WebSocket clients of the old row shape "
        "({team_id, team: name}); will be removed.",
    )
    points: int
    matches_played: int
    wins: int
    kills: int
    placement_points: int
    draws: int
    losses: int
    score_for: int
    score_against: int
    head_start: int = Field(..., description="battle royale: points carried in, included in points")
    status: choices_literal(Standing.Status) | None = Field(  # type: ignore[valid-type]
        ...,
        description="battle royale: at match point (eligible to win), champion (won on match point) or "
        "disqualified (ranked last)",
    )
    decided_by: str | None = Field(
        ...,
        description='the tie-breaker that separated this team from the one above ("tied": none did; "stage": '
        "in a multi-round battle royale's overall table, this team went out in an earlier round; "
        '"disqualified" / "match_point": ranked below every other team / the champion above it)',
    )
    qualification: Qualification | None = Field(
        ...,
        description="battle royale: the team's outlook in its group of this round (the overall table: of "
        "the latest round); null for head-to-head formats and for teams that went out in an earlier round",
    )


class MatchResultRow(Shape):
    """One team's battle-royale result in a match."""

    team: TeamRef
    placement: int
    kills: int
    placement_points: int
    points: int
    player_kills: dict[str, int] = Field(..., description="kills per user id, when the host reported them")


class MatchSlot(Shape):
    """Where a head-to-head match sends its winner or loser: a match and its side."""

    match_id: int
    key: str
    side: Literal["home", "away"]


class MatchState(Shape):
    """A match as spectators see it (never the room details): the match topic's messages, the
    tournament snapshot's `matches`, and the base of the REST MatchOut."""

    id: int
    number: int
    round: int
    group: str | None
    key: str = Field(..., description='head to head: a stable name within the tournament ("W2-1"); not to be parsed')
    bracket: str = Field(
        ..., description="head to head: winners, losers, grand_final, third_place, round_robin or swiss; else empty"
    )
    bracket_round: int | None = Field(..., description="head to head: the round within its bracket, from 1")
    winner_to: MatchSlot | None = Field(..., description="the match and side the winner goes to")
    loser_to: MatchSlot | None = Field(..., description="the match and side the loser goes to (double elimination)")
    status: choices_literal(Match.Status)  # type: ignore[valid-type]
    scheduled_at: datetime | None
    map_name: str
    home_team: TeamRef | None
    away_team: TeamRef | None
    home_seed: int | None = Field(..., description="the home team's seed (1 = top), set when the tournament starts")
    away_seed: int | None = Field(..., description="the away team's seed, set when the tournament starts")
    home_score: int | None
    away_score: int | None
    forfeit: Literal["home", "away", "both"] | None = Field(
        ..., description="head to head: who forfeited (scores are then null); both: a double forfeit, no winner"
    )
    winner: TeamRef | None
    is_bye: bool
    results: list[MatchResultRow]
