"""Captains' reports and disputes (competitions.services.reports and .disputes)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.competitions import BRResultIn, Id, TeamRef
from api.schemas.matchlog import ScreenshotOut
from api.schemas.media import file_url
from arena.choices import choices_literal
from competitions.models import Dispute

Score = Annotated[int, Field(ge=0, le=1000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class ReportIn(Schema):
    """Battle royale: your team's `placement` and `kills`. Head to head: the whole score, `home_score` and
    `away_score` (in the match's home/away order). With `screenshot_id` (one you uploaded to
    POST /api/matches/{id}/reports/screenshot), the fields you leave out are taken from what OCR read."""

    model_config = ConfigDict(extra="forbid")

    team_id: Id | None = Field(None, description="only if you captain several teams of this match")
    placement: int | None = Field(None, ge=1, le=100)
    kills: int | None = Field(None, ge=0, le=1000)
    home_score: Score | None = None
    away_score: Score | None = None
    screenshot_id: Id | None = None


class ReportOut(Schema):
    id: int
    team: TeamRef
    reported_by: str
    placement: int | None
    kills: int | None
    home_score: int | None
    away_score: int | None
    screenshot_id: int | None
    screenshot_url: str | None = Field(
        ..., description="a signed link to the proof screenshot, valid for PRIVATE_MEDIA_URL_EXPIRE seconds"
    )
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_reported_by(obj) -> str:
        return obj.reported_by.username

    @staticmethod
    def resolve_screenshot_url(obj, context) -> str | None:
        return file_url(context, obj.screenshot.image) if obj.screenshot_id else None


DisputeStatus = choices_literal(Dispute.Status)


class DisputeOut(Schema):
    id: int
    tournament_id: int
    match_id: int
    match_number: int
    status: DisputeStatus
    opened_by: str | None = Field(..., description="the captain who disputed; null when the reports clashed")
    reason: str
    reports_at_opening: list[dict[str, Any]] = Field(
        ...,
        description="the match's reports when the dispute opened: {id, team_id, placement, kills} or "
        "{id, team_id, home_score, away_score}, with reported_by (user id) and screenshot_id",
    )
    reports: list[ReportOut] = Field(..., description="the match's reports now, each with its screenshot link")
    opened_at: datetime
    resolution: choices_literal(Dispute.Resolution) | Literal[""] = Field(  # type: ignore[valid-type]
        ...,
        description="report: the host picked chosen_report_id; entered: the host entered the result; "
        "dismissed: the recorded result (if any) stands",
    )
    resolved_by: str | None
    resolved_at: datetime | None
    chosen_report_id: int | None
    result: dict[str, Any] | None = Field(
        ..., description="what the host recorded or kept: {results: [...]} or {home_score, away_score}"
    )
    note: str

    @staticmethod
    def resolve_match_number(obj) -> int:
        return obj.match.number

    @staticmethod
    def resolve_opened_by(obj) -> str | None:
        return obj.opened_by.username if obj.opened_by_id else None

    @staticmethod
    def resolve_resolved_by(obj) -> str | None:
        return obj.resolved_by.username if obj.resolved_by_id else None

    @staticmethod
    def resolve_reports_at_opening(obj) -> list:
        return obj.reports

    @staticmethod
    def resolve_reports(obj) -> list:
        return list(obj.match.reports.all())


class MatchReportsOut(Schema):
    match_id: int
    captain_reporting: bool
    state: Literal["waiting", "conflict", "disputed", "confirmed"] = Field(
        ...,
        description="waiting for reports; conflict (the reports clash, no dispute open); disputed (the host "
        "decides); confirmed (the result is recorded)",
    )
    detail: str
    teams: list[TeamRef]
    missing_team_ids: list[int]
    reports: list[ReportOut]
    dispute: DisputeOut | None = Field(..., description="the open dispute, if any")


class DisputeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
    team_id: Id | None = Field(None, description="only if you captain several teams of this match")


class ResolveIn(Schema):
    """One way: `report_id` (head to head: that captain's score), `results` (battle royale: every lobby team,
    as PUT /api/matches/{id}/results), `home_score` and `away_score` (head to head), or `dismiss: true`."""

    model_config = ConfigDict(extra="forbid")

    report_id: Id | None = None
    results: list[BRResultIn] | None = Field(None, max_length=25)
    home_score: Score | None = None
    away_score: Score | None = None
    dismiss: bool = False
    note: Note = ""


class ReportScreenshotOut(ScreenshotOut):
    prefill: dict[str, int] = Field(
        ..., description="what OCR read for the uploader's team: {placement, kills} or {home_score, away_score}"
    )
