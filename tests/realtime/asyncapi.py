"""Every WebSocket message a test receives is checked against /api/asyncapi.json."""

from functools import cache

import jsonschema
from django.test import Client


@cache
def _document() -> dict:
    return Client().get("/api/asyncapi.json").json()


def assert_valid_message(channel: str, message: dict) -> dict:
    """Validate a server message received on `channel` (tournament, match, chat, lobby, user)."""
    document = _document()
    candidates = [
        ref["$ref"].rsplit("/", 1)[1]
        for ref in document["channels"][channel]["messages"].values()
        if document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"] == message.get("type")
    ]
    assert candidates, f"{message.get('type')!r} is not documented on channel {channel!r}"
    errors = []
    for key in candidates:
        schema = {**document["components"]["messages"][key]["payload"], "components": document["components"]}
        try:
            jsonschema.validate(message, schema, format_checker=jsonschema.FormatChecker())
            return message
        except jsonschema.ValidationError as exc:
            errors.append(exc.message)
    raise AssertionError(f"{message} does not match the AsyncAPI document: {errors}")
