from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints

from api.schemas.accounts import Username
from api.schemas.competitions import BRResultIn
from api.schemas.media import file_url
from arena.choices import choices_literal
from matchlog.models import MatchRecord, OcrStatus

StatKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Score = Annotated[int, Field(ge=0, le=1000)]


class StatPair(Schema):
    user: float = Field(..., ge=0, le=100_000)
    opponent: float = Field(..., ge=0, le=100_000)


class MatchRecordOut(Schema):
    id: int
    status: choices_literal(OcrStatus) = Field(  # type: ignore[valid-type]
        ..., description="processing → extracted (or failed, with failure_reason) → confirmed"
    )
    failure_reason: str
    extracted_data: dict[str, Any] = Field(
        ...,
        description="what OCR read: home/away names and scores, stats, unmatched [{raw}] (rows that could not "
        "be read as a known stat), and `proposed` {score_user, score_opponent, stats} seen from the owner's side",
    )
    confidence: dict[str, Any] = Field(..., description="extracted_data's fields with a 0..1 confidence each")
    opponent_name: str
    score_user: int | None
    score_opponent: int | None
    stats: dict[str, Any] = Field(..., description='{"possession": {"user": 55, "opponent": 45}, ...}')
    owner: str
    opponent: str | None = Field(None, description="the user it was shared with")
    share_status: choices_literal(MatchRecord.ShareStatus) = Field(  # type: ignore[valid-type]
        ..., description="none, pending, confirmed or disputed"
    )
    dispute_reason: str
    screenshot_url: str = Field(
        ..., description="a signed link to the stored screenshot, valid for PRIVATE_MEDIA_URL_EXPIRE seconds"
    )
    shared_at: datetime | None
    share_answered_at: datetime | None
    extracted_at: datetime | None
    confirmed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_owner(obj) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_opponent(obj) -> str | None:
        return obj.opponent.username if obj.opponent_id else None

    @staticmethod
    def resolve_screenshot_url(obj, context) -> str:
        return file_url(context, obj.screenshot)


class MatchRecordPutIn(Schema):
    """Confirms the record. Anything left out is taken from what OCR proposed, or, on a record
    already confirmed, kept as it was."""

    score_user: Score | None = None
    score_opponent: Score | None = None
    stats: dict[StatKey, StatPair] | None = Field(None, max_length=40)
    opponent_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = None


class ShareIn(Schema):
    username: Username


class DisputeIn(Schema):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class AveragesOut(Schema):
    goals_for: float | None
    goals_against: float | None
    possession: float | None
    shots: float | None
    shots_on_target: float | None
    passes: float | None


class StatsSummaryOut(Schema):
    matches: int
    wins: int
    draws: int
    losses: int
    goals_for: int
    goals_against: int
    goal_difference: int
    win_rate: float | None
    averages: AveragesOut


class ScreenshotOut(Schema):
    id: int
    match_id: int
    status: choices_literal(OcrStatus) = Field(  # type: ignore[valid-type]
        ..., description="processing → extracted (or failed, with failure_reason) → confirmed"
    )
    failure_reason: str
    extracted_data: dict[str, Any] = Field(
        ...,
        description="battle royale: rows [{team_id, team_name, read_as, placement, kills}], unmatched rows "
        "[{read_as, placement, kills, raw}] (placement and kills null when the row could not be read), "
        "missing_team_ids; head to head: home/away names and scores, stats, unmatched [{raw}], "
        "proposed {home_score, away_score}",
    )
    confidence: dict[str, Any] = Field(..., description="extracted_data's fields with a 0..1 confidence each")
    uploaded_by: str
    image_url: str = Field(
        ..., description="a signed link to the stored image, valid for PRIVATE_MEDIA_URL_EXPIRE seconds"
    )
    extracted_at: datetime | None
    confirmed_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_uploaded_by(obj) -> str:
        return obj.uploaded_by.username

    @staticmethod
    def resolve_image_url(obj, context) -> str:
        return file_url(context, obj.image)


class ScreenshotConfirmIn(Schema):
    """Leave it empty to accept the extracted results as they are."""

    results: list[BRResultIn] | None = Field(
        None, max_length=25, description="battle royale: every lobby team, like PUT /api/matches/{id}/results"
    )
    home_score: Score | None = None
    away_score: Score | None = None
