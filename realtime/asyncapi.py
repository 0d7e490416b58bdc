"""The AsyncAPI 3 document, generated from realtime.schemas (never written by hand)."""

from functools import cache

from pydantic.json_schema import models_json_schema

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
}


def _envelope(message_type: str, data_ref: dict) -> dict:
    return {
        "type": "object",
        "required": ["type", "topic", "seq", "ts", "data"],
        "additionalProperties": False,
        "properties": {
            "type": {"const": message_type},
            "topic": {"type": "string"},
            "seq": {"type": "integer", "description": "grows by one per topic"},
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
            "description": (
                "Every server message is an envelope {type, topic, seq, ts, data}. On connect the server sends a "
                "snapshot (chat rooms: chat.history) carrying the current seq; reconnect with ?since=SEQ to get "
                "every later event in order, or a fresh snapshot if SEQ is too old. Authenticate with "
                "?ticket= from POST /api/realtime/ticket. Close codes: 4401 not authenticated, 4403 forbidden, "
                "4404 no such topic, 4429 flooding."
            ),
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas.get("$defs", {})},
    }
