"""The AsyncAPI 3 document, generated from realtime.schemas (never written by hand)."""

from functools import cache

from pydantic.json_schema import models_json_schema

from realtime.chat import flood
from realtime.edge import protocol
from realtime.schemas import CLIENT_MESSAGES, SERVER_MESSAGES

REF = "#/components/schemas/{model}"

CHANNELS = {
    "tournament": (
        "/ws/tournaments/{tournament_id}/",
        "tournament.{tournament_id}",
        "Spectators of a published tournament; no ticket needed.",
    ),
    "match": ("/ws/matches/{match_id}/", "match.{match_id}", "One match's live state; no ticket needed."),
    "chat": ("/ws/chat/", "chat.global", "Global chat; ticket required."),
    "lobby": (
        "/ws/lobbies/{tournament_id}/",
        "lobby.{tournament_id}",
        "Lobby chat for the host and registered players; ticket required.",
    ),
    "user": ("/ws/me/", "user.{user_id}", "The user's own notifications; ticket required."),
    # Last: carries every message of the channels above, each on its own topic.
    "multi": (
        "/ws/",
        "any of the above, per subscribe",
        "One socket, many topics: subscribe and unsubscribe; every message names its topic. A ticket is needed "
        "for private topics (and from clients without an Origin header). Receive only (chat is sent on its "
        "own route). A refused or revoked topic gets an error on that topic; 4401 and 4408 close the socket.",
    ),
}


CLOSE_CODES = {
    str(protocol.NOT_AUTHENTICATED): "Not authenticated: no, a bad, used or expired ticket; also when the session "
    "ends (password reset, ban), at once on every process.",
    str(protocol.FORBIDDEN): "Forbidden: not allowed on this topic; also when access is revoked (withdrawal, leaving "
    "or removal from the registered team), at once on every process.",
    str(protocol.NO_SUCH_TOPIC): "No such topic (unknown or unpublished tournament or match).",
    str(protocol.TOO_SLOW): "Too slow: the connection's send queue overflowed; reconnect with ?since=SEQ&epoch=E.",
    str(protocol.FLOODING): f"Flooding: {flood.STRIKES} chat refusals ignored within {flood.STRIKE_WINDOW:g} s.",
}
FLOOD_LIMIT = {
    "scope": "chat frames, per user across all of the user's sockets and server processes",
    "burst": flood.CAPACITY,
    "refill_per_second": flood.REFILL_PER_SECOND,
    "close_after_ignored_refusals": flood.STRIKES,
    "within_seconds": flood.STRIKE_WINDOW,
}
ERROR_CODES = {
    "bad_frame": "A binary frame.",
    "frame_too_large": f"A frame over {protocol.MAX_FRAME:,} bytes (UTF-8).",
    "bad_json": "Not JSON (or nested too deep).",
    "bad_message": 'Not an object with a string "type".',
    "read_only": "A frame sent on a topic that only sends.",
    "unknown_type": "A chat frame of an unknown type; on /ws/, a frame other than subscribe and unsubscribe.",
    "flooding": f"Over the chat flood limit ({flood.CAPACITY} messages at once, then {flood.REFILL_PER_SECOND:g} a "
    "second, per user across sockets; see x-flood-limit).",
    "unavailable": "Chat is briefly unavailable (Redis outage); the socket stays open.",
    "invalid_text": '"text" is not a string.',
    "invalid": "A chat moderation frame with a missing or non-integer field.",
    "not_authenticated": "The account is no longer active (the socket closes with 4401); on /ws/: a private "
    "topic on a socket opened without a ticket.",
    "not_a_member": "No longer a member of this lobby (the socket closes with 4403).",
    "muted": "The lobby's host muted you (the detail says until when).",
    "not_found": "Chat moderation: no such message in this room, or no such player in this lobby.",
    "invalid_topic": "/ws/: a subscribe or unsubscribe without a valid topic name.",
    "too_many_topics": f"/ws/: one socket follows at most {protocol.MAX_TOPICS} topics.",
    "no_such_topic": "/ws/: that topic does not exist (or is not published); the socket stays open.",
    "forbidden": "/ws/: not allowed on that topic, or no longer (revoked); the socket stays open. Chat: moderation "
    "by someone who is not the lobby's host (or, in global chat, an admin).",
}
HEARTBEAT = {"ping_interval_seconds": protocol.PING_SECONDS, "timeout_seconds": protocol.PING_TIMEOUT_SECONDS}
PROTOCOL = (
    "Every server message is an envelope {type, topic, epoch, seq, ts, data}. seq grows by one per topic "
    "event within an epoch; a new epoch means the topic's history was lost (Redis restarted or restored): "
    "take the snapshot that follows (x-epoch-rule). No (epoch, seq) pair is ever sent for two different "
    "events. On connect the server sends a snapshot (chat rooms: chat.history) with the current epoch and "
    "seq; reconnect with ?since=SEQ&epoch=E to get every later event in order, or a fresh snapshot if SEQ "
    "is too old or E is not the current epoch. Every few seconds a position message repeats the current "
    "epoch and seq (and on public topics the spectator count); a socket that fell behind is refilled "
    "before it. Public topics (tournaments, matches) accept clients without an Origin header; authenticated "
    "topics check it. Authenticate with ?ticket= from POST /api/realtime/ticket (single use, 30 s). Client "
    f"frames are JSON text of at most {protocol.MAX_FRAME:,} bytes (x-frame-limit-bytes); a refused frame "
    "gets an error message (see x-error-codes) and the socket stays open. The server pings every "
    f"{protocol.PING_SECONDS} s and closes a connection that has not answered {protocol.PING_TIMEOUT_SECONDS} s "
    "later (x-heartbeat). Chat is flood-limited per user (x-flood-limit). Each socket has a bounded send "
    "queue (REALTIME_SEND_QUEUE frames); a client that does not read is closed with 4408. A Redis outage "
    "never closes sockets: they resync when it is back. Close codes: see x-close-codes."
)


def _envelope(message_type: str, data_ref: dict) -> dict:
    return {
        "type": "object",
        "required": ["type", "topic", "epoch", "seq", "ts", "data"],
        "additionalProperties": False,
        "properties": {
            "type": {"const": message_type},
            "topic": {"type": "string"},
            "epoch": {"type": "string", "description": "the stream's epoch: a new one means its history was lost"},
            "seq": {"type": "integer", "description": "grows by one per topic event within an epoch"},
            "ts": {"type": "string", "format": "date-time"},
            "data": data_ref,
        },
    }


@cache
def asyncapi_document() -> dict:
    models = {model for _, model, _, _ in SERVER_MESSAGES} | {model for model, _, _ in CLIENT_MESSAGES}
    refs, schemas = models_json_schema(
        [(m, "serialization") for m in sorted(models, key=lambda m: m.__name__)], ref_template=REF
    )
    messages: dict[str, dict] = {}
    channels: dict[str, dict] = {}
    operations: dict[str, dict] = {}
    for name, (address, topic, description) in CHANNELS.items():
        params = {
            p: {"description": f"{p} (integer)"} for p in ("tournament_id", "match_id") if "{" + p + "}" in address
        }
        channel_messages = {}
        if name == "multi":
            channel_messages = {
                f"{other}_{key}": ref
                for other in CHANNELS
                if other != "multi"
                for key, ref in channels[other]["messages"].items()
                if key in {m.replace(".", "_") for m, *_ in SERVER_MESSAGES}
            }
        for message_type, model, topics, summary in SERVER_MESSAGES:
            if name in topics:
                key = f"{name}.{message_type}"
                messages[key] = {
                    "name": message_type,
                    "summary": summary,
                    "payload": _envelope(message_type, refs[(model, "serialization")]),
                }
                channel_messages[message_type.replace(".", "_")] = {"$ref": f"#/components/messages/{key}"}
        sent = {}
        for model, topics, summary in CLIENT_MESSAGES:
            if name in topics:
                key = f"{name}.client.{model.__name__}"
                messages[key] = {"name": model.__name__, "summary": summary, "payload": refs[(model, "serialization")]}
                sent[model.__name__] = {"$ref": f"#/components/messages/{key}"}
        channels[name] = {
            "address": address,
            "description": f"{description} Topic: `{topic}`.",
            "messages": {**channel_messages, **sent},
            **({"parameters": params} if params else {}),
        }
        operations[f"receive_{name}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{m}"} for m in channel_messages],
        }
        if sent:
            operations[f"send_{name}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{name}"},
                "messages": [{"$ref": f"#/channels/{name}/messages/{m}"} for m in sent],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Arena WebSockets",
            "version": "1.0.0",
            "description": PROTOCOL,
        },
        "x-close-codes": CLOSE_CODES,
        "x-error-codes": ERROR_CODES,
        "x-heartbeat": HEARTBEAT,
        "x-frame-limit-bytes": protocol.MAX_FRAME,
        "x-flood-limit": FLOOD_LIMIT,
        "x-epoch-rule": protocol.EPOCH_RULE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas.get("$defs", {})},
    }
