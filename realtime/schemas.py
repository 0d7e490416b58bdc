"""Pydantic schemas of every WebSocket message; /api/asyncapi.json is generated from them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Documented shapes are exact: unknown keys fail validation."""

    model_config = ConfigDict(extra="forbid")


class TeamRef(Strict):
    id: int
    name: str
    tag: str


class StandingRow(Strict):
    rank: int
    team_id: int
    team: str
    points: int
    wins: int
    kills: int
    matches_played: int
    status: Literal["match_point", "champion", "disqualified"] | None = Field(
        None, description="battle royale: at match point, champion on match point, or disqualified (ranked last)"
    )
    decided_by: str | None


class MatchState(Strict):
    id: int
    number: int
    round: int
    group: str | None
    key: str
    status: str
    scheduled_at: datetime | None
    map_name: str
    home_team: TeamRef | None
    away_team: TeamRef | None
    home_score: int | None
    away_score: int | None
    winner: TeamRef | None
    results: list[dict[str, Any]]


class TournamentState(Strict):
    id: int
    title: str
    game: str
    status: str
    format: str
    starts_at: datetime
    podium: list[TeamRef]


class TournamentSnapshot(Strict):
    tournament: TournamentState
    standings: list[StandingRow]
    matches: list[MatchState]
    announcements: list["Announcement"] = Field(..., description="the latest 20, newest first")
    spectators: int = Field(..., description="sockets following this topic, across processes")


class MatchSnapshot(MatchState):
    spectators: int = Field(..., description="sockets following this topic, across processes")


class Position(Strict):
    """Not an event: its seq is the topic's current one and does not grow."""

    spectators: int | None = Field(None, description="public topics only: sockets following it, across processes")


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


OcrStatus = Literal["processing", "extracted", "failed", "confirmed"]


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
    ("match.status", MatchState, ("match",), "The match after its status changed."),
    ("round.advanced", RoundAdvanced, ("tournament",), "The next battle-royale round was seeded."),
    ("registrations.count", RegistrationsCount, ("tournament",), "Registered teams changed."),
    ("tournament.started", TournamentLifecycle, ("tournament",), "Registration closed; round 1 is built."),
    ("tournament.cancelled", TournamentLifecycle, ("tournament",), "The host cancelled the tournament."),
    ("tournament.winner", TournamentWinner, ("tournament",), "Final podium (team ids, 1st first)."),
    ("announcement", Announcement, ("tournament",), "A message from the host to every spectator."),
    ("lobby.room", LobbyRoom, ("lobby",), "The host released a match's room id and password."),
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
