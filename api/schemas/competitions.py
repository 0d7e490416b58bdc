from datetime import UTC, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import Id
from api.schemas.media import file_url, static_url
from api.schemas.scoring import ScoringIn, ScoringOut
from arena.choices import choices_literal
from competitions import selectors
from competitions.models import Game, Match, Registration, Round, Tournament

# Standings rows (StandingRow) and matches are one model for REST and WebSocket: GET …/standings returns
# the same JSON rows as the tournament topic's snapshot and standings.updated.
from competitions.schemas import MatchState, TeamRef
from competitions.schemas import StandingRow as StandingRow
from competitions.scoring import DEFAULT_SCORING
from competitions.selectors import bracket_rounds

# Times are UTC (API.md); a time sent without an offset is read as UTC.
UtcDatetime = Annotated[datetime, AfterValidator(lambda value: value if value.tzinfo else value.replace(tzinfo=UTC))]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=120)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)]
Paise = Annotated[int, Field(ge=0, le=10_000_000_000, description="integer paise (₹1 = 100)")]
Plan = choices_literal(Tournament.ListingPlan)
Format = choices_literal(Tournament.BracketFormat)
Mode = choices_literal(Tournament.Mode)
TournamentStatus = choices_literal(Tournament.Status)


class GameOut(Schema):
    slug: str
    name: str
    format: choices_literal(Game.Format)  # type: ignore[valid-type]
    team_size: int
    max_substitutes: int
    banner_url: str
    points_table: list[int]
    kill_points: int

    @staticmethod
    def resolve_banner_url(obj, context) -> str:
        return static_url(context, obj.banner)


class TournamentIn(Schema):
    # An unknown field is refused, not dropped: a misspelt or unsupported one would silently
    # change what gets created.
    model_config = ConfigDict(extra="forbid")

    game: str = Field(..., description="game slug from GET /api/games")
    mode: Mode | None = Field(  # type: ignore[valid-type]
        None, description="scrim: 1 round, at most 25 teams and 6 matches; POST /api/scrims implies it"
    )
    title: Title
    description: LongText = ""
    rules: LongText = ""
    format: Format | None = Field(
        None, description="head to head only (refused for battle-royale games, which always play groups)"
    )
    third_place_match: bool = Field(False, description="single elimination only: the semi-final losers play for 3rd")
    listing_plan: Plan = "basic"
    prize_pool: Paise = 0
    entry_fee: Paise = 0
    max_teams: int = Field(16, ge=2, le=1024)
    registration_opens_at: UtcDatetime | None = None
    registration_closes_at: UtcDatetime | None = None
    starts_at: UtcDatetime
    check_in_minutes: int = Field(0, ge=0, le=24 * 60)
    rounds_count: int = Field(1, ge=1, le=10)
    group_size: int = Field(16, ge=2, le=25, description="teams per battle-royale lobby")
    qualify_per_group: int = Field(0, ge=0, le=24)
    matches_per_group: int = Field(1, ge=1, le=20)
    points_table: list[Annotated[int, Field(ge=0, le=1000)]] | None = Field(
        None, max_length=25, description="points for 1st, 2nd, …; defaults to the game's table"
    )
    kill_points: int | None = Field(None, ge=0, le=100)
    scoring: ScoringIn | None = Field(None, description="battle royale: preset, rules and tie-breakers")
    swiss_rounds: int = Field(0, ge=0, le=20, description="0 = ceil(log2(teams))")
    captain_reporting: bool = Field(
        False, description="captains report results (POST /api/matches/{id}/reports); the host resolves disputes"
    )


NULLABLE = {"registration_opens_at", "registration_closes_at"}


class TournamentPatchIn(Schema):
    # Game, mode and format are fixed at creation: sending them is refused, not ignored.
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: LongText | None = None
    rules: LongText | None = None
    third_place_match: bool | None = None
    listing_plan: Plan | None = None
    prize_pool: Paise | None = None
    entry_fee: Paise | None = None
    max_teams: int | None = Field(None, ge=2, le=1024)
    registration_opens_at: UtcDatetime | None = None
    registration_closes_at: UtcDatetime | None = None
    starts_at: UtcDatetime | None = None
    check_in_minutes: int | None = Field(None, ge=0, le=24 * 60)
    rounds_count: int | None = Field(None, ge=1, le=10)
    group_size: int | None = Field(None, ge=2, le=25)
    qualify_per_group: int | None = Field(None, ge=0, le=24)
    matches_per_group: int | None = Field(None, ge=1, le=20)
    points_table: list[Annotated[int, Field(ge=0, le=1000)]] | None = Field(None, max_length=25)
    kill_points: int | None = Field(None, ge=0, le=100)
    scoring: ScoringIn | None = Field(None, description="battle royale; keys left out keep their value")
    swiss_rounds: int | None = Field(None, ge=0, le=20)
    captain_reporting: bool | None = Field(None, description="can be switched at any time")

    @model_validator(mode="after")
    def _null_only_where_allowed(self):
        # Leaving a field out keeps it; null clears it, which only the registration window allows.
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None and f not in NULLABLE)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self


class TournamentOut(Schema):
    id: int
    title: str
    game: str
    mode: Mode  # type: ignore[valid-type]
    format: Format  # type: ignore[valid-type]
    status: TournamentStatus  # type: ignore[valid-type]
    listing_plan: Plan  # type: ignore[valid-type]
    banner_url: str = Field(..., description="absolute URL; the game's default banner until one is uploaded")
    banner_thumbnail_url: str = Field(
        ...,
        description="absolute URL of a 480×270 thumbnail for lists; the game's default banner until one is uploaded",
    )
    host: str
    prize_pool: int
    entry_fee: int
    max_teams: int
    registered_teams: int
    team_size: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    starts_at: datetime
    check_in_minutes: int
    registration_open_now: bool = Field(
        ..., description="status is registration_open and now is inside the registration window"
    )

    @staticmethod
    def resolve_game(obj) -> str:
        return obj.game.slug

    @staticmethod
    def resolve_host(obj) -> str:
        return obj.host.username

    @staticmethod
    def resolve_team_size(obj) -> int:
        return obj.game.team_size

    @staticmethod
    def resolve_banner_url(obj, context) -> str:
        return file_url(context, obj.banner) or static_url(context, obj.game.banner)

    @staticmethod
    def resolve_banner_thumbnail_url(obj, context) -> str:
        # A banner uploaded before thumbnails existed stands in for its own thumbnail.
        return (
            file_url(context, obj.banner_thumbnail)
            or file_url(context, obj.banner)
            or static_url(context, obj.game.banner)
        )


class TournamentDetailOut(TournamentOut):
    description: str
    rules: str
    third_place_match: bool
    rounds_count: int
    group_size: int
    qualify_per_group: int
    matches_per_group: int
    points_table: list[int]
    kill_points: int
    scoring: ScoringOut | None = Field(..., description="battle royale only")
    swiss_rounds: int
    captain_reporting: bool
    winner: TeamRef | None
    runner_up: TeamRef | None
    third_place: TeamRef | None
    published_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None

    @staticmethod
    def resolve_scoring(obj) -> dict | None:
        return {**DEFAULT_SCORING, **obj.scoring} if obj.is_battle_royale else None


class RegistrationIn(Schema):
    team_id: Id
    player_ids: list[Id] = Field(..., min_length=1, max_length=10)
    substitute_ids: list[Id] = Field(default_factory=list, max_length=5)


class RosterPlayerOut(Schema):
    user_id: int
    username: str
    is_substitute: bool

    @staticmethod
    def resolve_username(obj) -> str:
        return obj.user.username


class RegistrationOut(Schema):
    id: int
    team: TeamRef
    status: choices_literal(Registration.Status)  # type: ignore[valid-type]
    seed: int | None
    checked_in_at: datetime | None
    disqualified_at: datetime | None
    created_at: datetime
    players: list[RosterPlayerOut]

    @staticmethod
    def resolve_players(obj) -> list:
        return list(obj.players.all())


class PlayerKillsIn(Schema):
    user_id: Id
    kills: int = Field(..., ge=0, le=1000)


class BRResultIn(Schema):
    team_id: Id
    placement: int | None = Field(None, ge=1, le=100)
    kills: int | None = Field(None, ge=0, le=1000)
    absent: bool = False
    player_kills: list[PlayerKillsIn] | None = Field(
        None, max_length=10, description="optional per-player kills; they must add up to the team's kills"
    )


class H2HResultIn(Schema):
    """Either both scores or a forfeit, never both."""

    home_score: int | None = Field(None, ge=0, le=1000)
    away_score: int | None = Field(None, ge=0, le=1000)
    forfeit: Literal["home", "away", "both"] | None = Field(
        None,
        description="who forfeited, instead of scores: the other team wins; both (a double forfeit) is won by "
        "nobody (in a bracket, the next match's opponent advances by walkover)",
    )

    @model_validator(mode="after")
    def _scores_or_forfeit(self):
        scores = (self.home_score, self.away_score)
        if self.forfeit is not None and scores != (None, None):
            raise ValueError("send either home_score and away_score, or forfeit, not both")
        if self.forfeit is None and None in scores:
            raise ValueError("home_score and away_score are required (or forfeit)")
        return self


class MatchOut(Schema, MatchState):
    """The spectators' match (competitions.schemas.MatchState, also the WebSocket shape), built from a
    Match row, plus its room details for those who may see them."""

    # Read from a model instance: its attributes are more than the shape's fields.
    model_config = ConfigDict(extra="ignore")

    room_id: str | None = Field(None, description="shown to the host and registered players only")
    room_password: str | None = Field(None, description="shown to the host and registered players only")

    @staticmethod
    def resolve_round(obj) -> int:
        return obj.round.number

    @staticmethod
    def resolve_winner_to(obj) -> dict | None:
        return selectors.match_pointer(obj, "winner")

    @staticmethod
    def resolve_loser_to(obj) -> dict | None:
        return selectors.match_pointer(obj, "loser")

    # Annotated by the match selectors (selectors._matches); null on a row read without them.
    @staticmethod
    def resolve_home_seed(obj) -> int | None:
        return getattr(obj, "home_seed", None)

    @staticmethod
    def resolve_away_seed(obj) -> int | None:
        return getattr(obj, "away_seed", None)

    @staticmethod
    def resolve_forfeit(obj) -> str | None:
        return obj.forfeit or None

    @staticmethod
    def resolve_group(obj) -> str | None:
        return obj.group.name if obj.group else None

    @staticmethod
    def resolve_results(obj) -> list:
        return list(obj.results.all())

    @staticmethod
    def resolve_room_id(obj) -> str | None:
        return obj.room_id if getattr(obj, "room_visible", False) else None

    @staticmethod
    def resolve_room_password(obj) -> str | None:
        return obj.room_password if getattr(obj, "room_visible", False) else None


class MatchPatchIn(Schema):
    scheduled_at: UtcDatetime | None = None
    map_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    status: choices_literal(Match.Status, exclude=[Match.Status.COMPLETED]) | None = None  # type: ignore[valid-type]
    room_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    room_password: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None


class MatchCreateIn(Schema):
    group_id: Id
    scheduled_at: UtcDatetime | None = None


class GroupOut(Schema):
    id: int
    name: str
    teams: list[TeamRef]

    @staticmethod
    def resolve_teams(obj) -> list:
        return list(obj.teams.all())


class BracketRoundOut(Schema):
    bracket: str = Field(..., description="winners, losers, third_place, grand_final, round_robin or swiss")
    number: int = Field(..., description="the round within its bracket, from 1")
    name: str = Field(..., description='"Quarter-finals", "Losers final", "Grand final reset", "Round 2", ...')
    match_ids: list[int] = Field(..., description="this stage's matches in that round, top to bottom")


class RoundOut(Schema):
    number: int
    status: choices_literal(Round.Status)  # type: ignore[valid-type]
    groups: list[GroupOut]
    matches: list[MatchOut]
    bracket_rounds: list[BracketRoundOut] = Field(
        ..., description="head to head: the stage's matches as drawn, bracket by bracket and round by round"
    )

    @staticmethod
    def resolve_groups(obj) -> list:
        return list(obj.groups.all())

    @staticmethod
    def resolve_matches(obj) -> list:
        return list(obj.matches.all())

    @staticmethod
    def resolve_bracket_rounds(obj) -> list[dict]:
        return bracket_rounds(obj.matches.all())


class CareerStatsOut(Schema):
    tournaments_played: int = 0
    tournaments_won: int = 0
    matches_played: int = 0
    wins: int = 0
    kills: int = 0
    average_placement: float | None = Field(None, description="battle royale matches only")


class AnnouncementIn(Schema):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class AnnouncementOut(Schema):
    text: str
    by: str
    at: datetime

    # Served from the announcement service's dict and from stored rows (the list).
    @staticmethod
    def resolve_by(obj) -> str:
        return obj["by"] if isinstance(obj, dict) else obj.by.username

    @staticmethod
    def resolve_at(obj) -> datetime:
        return obj["at"] if isinstance(obj, dict) else obj.created_at
