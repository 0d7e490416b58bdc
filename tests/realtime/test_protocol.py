"""The live protocol as documented: every close code and error code the WebSocket code can send
is in the AsyncAPI document (collected from the source, not listed by hand), with the heartbeat the
servers are started with, the frame and flood limits and the epoch rule; and /ws/ authorizes each
topic exactly as the topic's own route does."""

import ast
import json
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator

import realtime
from arena import exceptions
from arena.asgi import application
from realtime.chat import flood
from realtime.edge import protocol
from realtime.edge.tickets import ticket_issue
from tests.competitions.conftest import create_published, make_team, register
from tests.e2e.cluster import cli_options, make_run_command
from tests.factories import UserFactory
from tests.realtime.asyncapi import assert_valid_message

REALTIME = Path(realtime.__file__).parent
ORIGIN = [(b"origin", b"http://localhost")]


def _sources() -> list[tuple[Path, ast.Module]]:
    """The realtime code that talks to sockets (the document itself and the schemas aside)."""
    skipped = {"asyncapi.py", "schemas.py"}
    paths = [p for p in sorted(REALTIME.rglob("*.py")) if "migrations" not in p.parts and p.name not in skipped]
    return [(path, ast.parse(path.read_text(), filename=str(path))) for path in paths]


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _close_code(node: ast.expr) -> int | None:
    """A close code written as a literal or as one of realtime.edge.protocol's names."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name) and type(getattr(protocol, node.id, None)) is int:
        return getattr(protocol, node.id)
    return None


def _close_codes_in_source() -> set[str]:
    """Every close code the code names: in close(code=...) and Deny(...) calls, and in the maps
    from an error to the close that follows it (chat's CLOSE_ON)."""
    found = set()
    for _, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in ("close", "Deny"):
                found.update(_close_code(a) for a in [*node.args, *(k.value for k in node.keywords if k.arg == "code")])
            if isinstance(node, ast.Dict):
                found.update(_close_code(value) for value in node.values)
    return {str(code) for code in found if code is not None}


def _error_codes_in_source() -> set[str]:
    """The `code` of every error frame the code can send: literals given to send_error(code, ...)
    and _error(topic, code, ...), the codes of the ApplicationErrors raised in realtime (the chat
    consumer sends error.code of what its services raise) and the names of denied /ws/ topics."""
    errors = {name: getattr(exceptions, name) for name in dir(exceptions)}
    errors = {name: cls for name, cls in errors.items() if isinstance(cls, type) and issubclass(cls, Exception)}
    codes = set(protocol.DENIED_ERRORS.values())
    for _, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called(node) in ("send_error", "_error"):
                argument = node.args[0 if _called(node) == "send_error" else 1]
                if isinstance(argument, ast.Constant):
                    codes.add(argument.value)
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _called(node.exc) in errors:
                keyword = next((k.value for k in node.exc.keywords if k.arg == "code"), None)
                codes.add(keyword.value if keyword is not None else errors[_called(node.exc)].default_code)
    return codes


def test_every_close_and_error_code_the_code_sends_is_documented(api):
    document = api.get("/api/asyncapi.json").json()
    close_codes = _close_codes_in_source()
    assert {"4401", "4403", "4404", "4408", "4429"} <= close_codes  # the scan finds them
    assert close_codes <= set(document["x-close-codes"])
    error_codes = _error_codes_in_source()
    assert {"bad_json", "flooding", "muted", "not_a_member", "too_many_topics", "forbidden"} <= error_codes
    assert error_codes <= set(document["x-error-codes"]), error_codes - set(document["x-error-codes"])
    assert all(document["x-error-codes"].values())
    assert all(document["x-close-codes"].values())


def test_the_document_states_the_limits_the_code_and_the_servers_apply(api):
    document = api.get("/api/asyncapi.json").json()
    assert document["x-frame-limit-bytes"] == protocol.MAX_FRAME == 4096
    assert document["x-heartbeat"] == {"ping_interval_seconds": 20, "timeout_seconds": 30}
    # The servers are started with that heartbeat: uvicorn (make run, the Docker image) says so
    # on its command line; daphne's own defaults are the same.
    options = cli_options(make_run_command(8000))
    assert int(options["--ws-ping-interval"]) == protocol.PING_SECONDS
    assert int(options["--ws-ping-timeout"]) == protocol.PING_TIMEOUT_SECONDS
    assert document["x-flood-limit"]["burst"] == flood.CAPACITY == 10
    assert document["x-flood-limit"]["refill_per_second"] == flood.REFILL_PER_SECOND
    assert document["x-flood-limit"]["close_after_ignored_refusals"] == flood.STRIKES
    assert "across all of the user's sockets" in document["x-flood-limit"]["scope"]
    assert "new epoch" in document["x-epoch-rule"]
    assert "snapshot" in document["x-epoch-rule"]


# --- /ws/ authorizes each topic as its own route does ------------------------------------------------


async def _outcome_of_route(path: str, user) -> str:
    """What a single-topic socket gets first: a snapshot's type, or the close code's error name."""
    if user is not None:
        path += f"?ticket={await sync_to_async(ticket_issue)(user_id=user.pk)}"
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    output = await communicator.receive_output(timeout=5)
    await communicator.disconnect()
    if output["type"] == "websocket.close":
        return protocol.DENIED_ERRORS[output["code"]]
    return json.loads(output["text"])["type"]


async def _outcome_on_multi(topic: str, user) -> str:
    path = "/ws/"
    if user is not None:
        path += f"?ticket={await sync_to_async(ticket_issue)(user_id=user.pk)}"
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=json.dumps({"type": "subscribe", "topic": topic}))
    message = assert_valid_message("multi", json.loads(await communicator.receive_from(timeout=5)))
    await communicator.disconnect()
    assert message["topic"] == topic
    return message["data"]["code"] if message["type"] == "error" else message["type"]


@pytest.mark.django_db(transaction=True)
def test_ws_authorizes_each_topic_exactly_as_its_own_route(api, games_catalog):
    host = UserFactory(role="host", host_status="approved")
    published = create_published(api, host, max_teams=2)
    squad = make_team(4)
    register(api, published["id"], squad)
    player, outsider = squad.memberships.exclude(user=squad.captain).first().user, UserFactory()
    draft = api.post_json(
        "/api/tournaments", {"game": "bgmi", "title": "Hidden", "starts_at": "2031-01-01T00:00:00Z"}, user=host
    ).json()
    tid, did = published["id"], draft["id"]
    routes = {
        f"tournament.{tid}": f"/ws/tournaments/{tid}/",
        f"tournament.{did}": f"/ws/tournaments/{did}/",
        "tournament.999999": "/ws/tournaments/999999/",
        "match.999999": "/ws/matches/999999/",
        f"lobby.{tid}": f"/ws/lobbies/{tid}/",
        f"lobby.{did}": f"/ws/lobbies/{did}/",
        "chat.global": "/ws/chat/",
    }
    users = {"anonymous": None, "outsider": outsider, "player": player, "host": host}

    async def scenario():
        outcomes = {}
        for who, user in users.items():
            for topic, path in routes.items():
                route, multi = await _outcome_of_route(path, user), await _outcome_on_multi(topic, user)
                outcomes[who, topic] = route
                assert multi == route, (who, topic, route, multi)
            if user is not None:
                own = await _outcome_of_route("/ws/me/", user)
                assert await _outcome_on_multi(f"user.{user.pk}", user) == own == "snapshot"
                assert await _outcome_on_multi(f"user.{host.pk if user != host else player.pk}", user) == "forbidden"
        return outcomes

    outcomes = async_to_sync(scenario)()
    # The table covers every way in and out: both routes admit, refuse and hide.
    assert outcomes["anonymous", f"tournament.{tid}"] == "snapshot"
    assert outcomes["anonymous", f"lobby.{tid}"] == "not_authenticated"
    assert outcomes["outsider", f"lobby.{tid}"] == "forbidden"
    assert outcomes["player", f"lobby.{tid}"] == "chat.history"
    assert outcomes["host", f"lobby.{did}"] == "no_such_topic"
    assert outcomes["host", f"tournament.{did}"] == "no_such_topic"
