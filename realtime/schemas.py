"""Pydantic schemas of every WebSocket message; /api/asyncapi.json is generated from them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arena.choices import choices_literal
from competitions.models import Dispute, Tournament

# Standings rows and matches are the REST API's own models (one schema per thing).
from competitions.schemas import MatchState, StandingRow, TeamRef
from matchlog.models import OcrStatus as OcrStatusChoices


class Strict(BaseModel):
    """Documented shapes are exact: unknown keys fail validation."""

    model_config = ConfigDict(extra="forbid")


class TournamentState(Strict):
    id: int
    title: str
    game: str
    status: choices_literal(Tournament.Status)  # type: ignore[valid-type]
    format: choices_literal(Tournament.BracketFormat)  # type: ignore[valid-type]
    starts_at: datetime
    podium: list[TeamRef]


class BracketRound(Strict):
    bracket: str
    number: int
    name: str
    match_ids: list[int]


class TournamentSnapshot(Strict):
    tournament: TournamentState
    standings: list[StandingRow]
    matches: list[MatchState]
    bracket_rounds: list[BracketRound] = Field(..., description="head to head: the matches as a bracket is drawn")
    announcements: list["Announcement"] = Field(..., description="the latest 20, newest first")
    spectators: int = Field(..., description="sockets following this topic, across processes")


class MatchSnapshot(MatchState):
    spectators: int = Field(..., description="sockets following this topic, across processes")


class Position(Strict):
    """Not an event: its seq is the topic's current one and does not grow."""

    spectators: int | None = Field(None, description="public topics only: sockets following it, across processes")


class BracketUpdated(Strict):
    matches: list[MatchState] = Field(
        ...,
        description="after a result: the decided match and every match it filled, cancelled or added (byes passed "
        "through, the grand-final reset, a new Swiss round); at the start: every match",
    )
    bracket_rounds: list[BracketRound] = Field(..., description="the tournament's bracket rounds, as drawn")


class StandingsUpdated(Strict):
    overall: list[StandingRow]


class MatchResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    match_id: int


class MatchStatus(Strict):
    match_id: int
    status: str


class RoundAdvanced(Strict):
    round: int
    teams: int


class RegistrationsCount(Strict):
    count: int


class TournamentLifecycle(Strict):
    id: int


class TournamentWinner(Strict):
    podium: list[int]


class NotificationData(Strict):
    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime


class Inbox(Strict):
    unread: int
    notifications: list[NotificationData]


class ChatUser(Strict):
    id: int
    username: str


class ChatMessageData(Strict):
    id: int
    user: ChatUser
    text: str
    created_at: datetime


class ChatHistory(Strict):
    messages: list[ChatMessageData] = Field(..., max_length=50)


class ChatDeleted(Strict):
    message_id: int


class ChatMuted(Strict):
    user_id: int
    until: datetime | None = None


class ChatUnmuted(Strict):
    user_id: int


class Announcement(Strict):
    text: str
    by: str
    at: datetime


TournamentSnapshot.model_rebuild()


class LobbyRoom(Strict):
    match_id: int
    number: int
    room_id: str
    room_password: str
    map_name: str


class ReportData(Strict):
    """A captain's report: battle royale placement and kills, head to head home_score and away_score."""

    id: int
    team_id: int
    reported_by: int = Field(..., description="user id of the captain")
    screenshot_id: int | None
    updated_at: datetime
    placement: int | None = None
    kills: int | None = None
    home_score: int | None = None
    away_score: int | None = None


class ReportSubmitted(Strict):
    match_id: int
    report: ReportData


class ReportConfirmed(Strict):
    match_id: int
    results: list[dict[str, int]] | None = Field(None, description="battle royale: [{team_id, placement, kills}]")
    home_score: int | None = None
    away_score: int | None = None


class DisputeOpened(Strict):
    id: int
    match_id: int
    status: Literal["open"]
    opened_by: int | None = Field(..., description="the captain who disputed; null when the reports clashed")
    reason: str
    reports: list[ReportData] = Field(..., description="the match's reports when it opened")
    opened_at: datetime


class DisputeResolved(Strict):
    id: int
    match_id: int
    resolution: choices_literal(Dispute.Resolution)  # type: ignore[valid-type]
    resolved_by: int
    result: dict[str, Any] | None = Field(..., description="{results: [...]} or {home_score, away_score}")
    note: str


OcrStatus = choices_literal(OcrStatusChoices)


class ScreenshotStatus(Strict):
    match_id: int
    screenshot_id: int
    status: OcrStatus
    reason: str = Field(..., description="why reading failed; empty otherwise")


class MatchRecordStatus(Strict):
    record_id: int
    status: OcrStatus
    reason: str = Field(..., description="why reading failed; empty otherwise")


class ErrorData(Strict):
    code: str
    detail: str


# (message type, data schema, topics it appears on, summary)
SERVER_MESSAGES: list[tuple[str, type[BaseModel], tuple[str, ...], str]] = [
    ("snapshot", TournamentSnapshot, ("tournament",), "Current state on connect (or when a client fell behind)."),
    ("snapshot", MatchSnapshot, ("match",), "The match as spectators see it."),
    ("snapshot", Inbox, ("user",), "Unread count and latest notifications."),
    ("standings.updated", StandingsUpdated, ("tournament",), "The full overall table after a result."),
    ("match.result", MatchResult, ("tournament",), "Results of one match (battle royale or head to head)."),
    ("match.result", MatchState, ("match",), "The match after its results were posted."),
    ("match.status", MatchStatus, ("tournament",), "A match started."),
    (
        "bracket.updated",
        BracketUpdated,
        ("tournament",),
        "Head to head, at the start and after each result: the matches that changed, so a drawn bracket follows "
        "without a reload.",
    ),
    ("match.status", MatchState, ("match",), "The match after its status changed."),
    ("round.advanced", RoundAdvanced, ("tournament",), "The next battle-royale round was seeded."),
    ("registrations.count", RegistrationsCount, ("tournament",), "Registered teams changed."),
    ("tournament.started", TournamentLifecycle, ("tournament",), "Registration closed; round 1 is built."),
    ("tournament.cancelled", TournamentLifecycle, ("tournament",), "The host cancelled the tournament."),
    ("tournament.winner", TournamentWinner, ("tournament",), "Final podium (team ids, 1st first)."),
    ("announcement", Announcement, ("tournament",), "A message from the host to every spectator."),
    ("lobby.room", LobbyRoom, ("lobby",), "The host released a match's room id and password."),
    ("report.submitted", ReportSubmitted, ("lobby",), "A captain reported (or corrected) a match result."),
    (
        "report.confirmed",
        ReportConfirmed,
        ("lobby",),
        "The captains' reports agreed: the result is recorded (match.result follows on the tournament topic).",
    ),
    ("dispute.opened", DisputeOpened, ("lobby",), "Reports clashed, or a captain disputed: the host decides."),
    ("dispute.resolved", DisputeResolved, ("lobby",), "The host resolved a dispute (who, how, what)."),
    ("notification", NotificationData, ("user",), "A new notification for this user."),
    (
        "screenshot.status",
        ScreenshotStatus,
        ("match", "user"),
        "A results screenshot of the match was uploaded, read by OCR (extracted or failed) or confirmed "
        "(on the match topic and the uploading host's own topic).",
    ),
    ("match_record.status", MatchRecordStatus, ("user",), "One of the user's match-log records changed status."),
    ("chat.history", ChatHistory, ("chat", "lobby"), "The last 50 messages, oldest first, on connect."),
    ("chat.message", ChatMessageData, ("chat", "lobby"), "A new message."),
    ("chat.deleted", ChatDeleted, ("chat", "lobby"), "A moderator (the host, or an admin) deleted a message."),
    ("chat.muted", ChatMuted, ("lobby",), "The host muted a player."),
    ("chat.unmuted", ChatUnmuted, ("lobby",), "The host unmuted a player."),
    (
        "position",
        Position,
        ("tournament", "match", "user", "chat", "lobby"),
        "Every few seconds (REALTIME_POSITION_SECONDS): the topic's current epoch and seq, which this "
        "socket has reached (the server refilled any hole first), and on public topics the spectator count. "
        "It repeats the current seq; apply nothing.",
    ),
    ("error", ErrorData, ("tournament", "match", "user", "chat", "lobby"), "A refused client frame."),
]


class ChatSend(Strict):
    type: Literal["chat.send"]
    text: str = Field(..., min_length=1, max_length=500)


class ChatDelete(Strict):
    type: Literal["chat.delete"]
    message_id: int


class ChatMute(Strict):
    type: Literal["chat.mute"]
    user_id: int
    minutes: int | None = None


class ChatUnmute(Strict):
    type: Literal["chat.unmute"]
    user_id: int


class Subscribe(Strict):
    type: Literal["subscribe"]
    topic: str = Field(..., max_length=60, description="tournament.ID, match.ID, lobby.ID, user.YOUR_ID or chat.global")
    since: int | None = Field(None, description="resume: the last seq seen on this topic")
    epoch: str | None = Field(None, description="resume: the epoch of that seq")


class Unsubscribe(Strict):
    type: Literal["unsubscribe"]
    topic: str


CLIENT_MESSAGES: list[tuple[type[BaseModel], tuple[str, ...], str]] = [
    (ChatSend, ("chat", "lobby"), "Send a message (1–500 characters)."),
    (ChatDelete, ("chat", "lobby"), "Moderators (lobby host, admins): delete a message."),
    (ChatMute, ("lobby",), "Host: mute a player, optionally for some minutes."),
    (ChatUnmute, ("lobby",), "Host: unmute a player."),
    (Subscribe, ("multi",), "Follow one more topic on this socket (same authorization as its own route)."),
    (Unsubscribe, ("multi",), "Stop following a topic."),
]
