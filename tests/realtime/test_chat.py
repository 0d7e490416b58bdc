"""Global and lobby chat over real WebSocket connections (arena.asgi.application)."""

import asyncio
import functools
import json
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import redis.asyncio
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from accounts.models import TeamMembership
from arena.asgi import application
from competitions.models import Game, Registration, RegistrationPlayer, Tournament
from competitions.services import registration_withdraw
from realtime.chat import flood
from realtime.chat.services import chat_text_clean
from realtime.edge.tickets import ticket_issue
from realtime.models import ChatMessage, ChatMute
from tests.factories import TeamFactory, UserFactory
from tests.realtime.asyncapi import assert_valid_message

ORIGIN = (b"origin", b"http://localhost")
ENVELOPE = {"type", "topic", "epoch", "seq", "ts", "data"}


def scenario(test):
    """An async test body run from a sync test under async_to_sync, as tests/realtime/test_topics.py
    does, against committed data (transaction=True: broadcasts happen on commit).

    Under async_to_sync the consumers' database_sync_to_async calls run in this main thread.
    From a bare async test they would run in asgiref's shared worker thread instead, whose
    in-memory SQLite connection cannot be closed and then breaks the next test that has no
    database access (tests/realtime/test_echo.py)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        async_to_sync(test)(*args, **kwargs)

    return pytest.mark.usefixtures("games_catalog")(pytest.mark.django_db(transaction=True)(run))


@pytest.fixture(autouse=True)
def _fresh_flood_control(monkeypatch):
    """Buckets outlive a test in memory; user ids are reused after each flush."""
    monkeypatch.setattr(flood, "_limiter", None)


# --- data ----------------------------------------------------------------------------------------


@database_sync_to_async
def make_lobby(*, status: str = Tournament.Status.REGISTRATION_OPEN, players: int = 2) -> SimpleNamespace:
    host = UserFactory(role="host", host_status="approved")
    tournament = Tournament.objects.create(
        host=host,
        game=Game.objects.get(slug="bgmi"),
        title="Lobby Cup",
        status=status,
        format=Tournament.BracketFormat.GROUPS,
        max_teams=16,
        starts_at=timezone.now() + timedelta(days=1),
    )
    team = TeamFactory()
    registration = Registration.objects.create(
        tournament=tournament, team=team, registered_by=team.captain, status=Registration.Status.CONFIRMED
    )
    roster = [team.captain, *(UserFactory() for _ in range(players - 1))]
    for player in roster:
        # Registration only rosters team members, and lobby access lasts while they stay members.
        TeamMembership.objects.get_or_create(team=team, user=player)
        RegistrationPlayer.objects.create(tournament=tournament, registration=registration, user=player)
    return SimpleNamespace(tournament=tournament, host=host, players=roster, registration=registration)


make_user = database_sync_to_async(UserFactory)


@database_sync_to_async
def stored_texts(**filters) -> list[str]:
    return list(ChatMessage.objects.filter(**filters).order_by("id").values_list("text", flat=True))


# --- connections ---------------------------------------------------------------------------------


async def open_socket(path: str, *, user=None, ticket: str | None = None) -> WebsocketCommunicator:
    if user is not None:
        ticket = await sync_to_async(ticket_issue)(user_id=user.pk)
    query = f"?ticket={ticket}" if ticket else ""
    communicator = WebsocketCommunicator(application, f"{path}{query}", headers=[ORIGIN])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(communicator: WebsocketCommunicator) -> dict:
    """The next frame, past periodic position messages (they only repeat the current seq)."""
    while True:
        frame = json.loads(await communicator.receive_from(timeout=3))
        assert set(frame) == ENVELOPE, frame
        assert_valid_message("lobby" if frame["topic"].startswith("lobby.") else "chat", frame)
        if frame["type"] != "position":
            return frame


async def receive_type(communicator: WebsocketCommunicator, event_type: str) -> dict:
    frame = await receive(communicator)
    assert frame["type"] == event_type, frame
    return frame


async def expect_error(communicator: WebsocketCommunicator, code: str) -> dict:
    frame = await receive_type(communicator, "error")
    assert frame["data"]["code"] == code, frame
    assert frame["data"]["detail"], frame
    return frame


async def expect_close(communicator: WebsocketCommunicator, code: int) -> None:
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": code}, output


async def join(path: str, user) -> tuple[WebsocketCommunicator, dict]:
    """Connect and read the chat.history snapshot."""
    communicator = await open_socket(path, user=user)
    history = await receive_type(communicator, "chat.history")
    return communicator, history


async def send(communicator: WebsocketCommunicator, message: dict) -> None:
    await communicator.send_to(text_data=json.dumps(message))


def lobby_path(lobby) -> str:
    return f"/ws/lobbies/{lobby.tournament.pk}/"


# --- authentication and authorization ------------------------------------------------------------


@scenario
async def test_chat_without_a_ticket_is_closed_4401():
    lobby = await make_lobby()
    for path in ("/ws/chat/", lobby_path(lobby)):
        communicator = await open_socket(path)
        await expect_close(communicator, 4401)
        await communicator.disconnect()


@scenario
async def test_a_bad_or_reused_ticket_is_closed_4401(api):
    communicator = await open_socket("/ws/chat/", ticket="not-a-ticket")
    await expect_close(communicator, 4401)
    await communicator.disconnect()

    user = await make_user()
    response = await sync_to_async(api.post_json)("/api/realtime/ticket", user=user)
    assert response.status_code == 201, response.content
    ticket = response.json()["ticket"]
    first = await open_socket("/ws/chat/", ticket=ticket)
    await receive_type(first, "chat.history")
    again = await open_socket("/ws/chat/", ticket=ticket)
    await expect_close(again, 4401)
    await again.disconnect()
    await first.disconnect()


@scenario
async def test_lobby_of_an_unknown_or_draft_tournament_is_closed_4404():
    user = await make_user()
    communicator = await open_socket("/ws/lobbies/999999/", user=user)
    await expect_close(communicator, 4404)
    await communicator.disconnect()

    draft = await make_lobby(status=Tournament.Status.DRAFT)
    communicator = await open_socket(lobby_path(draft), user=draft.host)
    await expect_close(communicator, 4404)
    await communicator.disconnect()


@scenario
async def test_lobby_refuses_non_members_4403_and_admits_host_and_players():
    lobby = await make_lobby()
    stranger = await make_user()
    communicator = await open_socket(lobby_path(lobby), user=stranger)
    await expect_close(communicator, 4403)
    await communicator.disconnect()

    for member in (lobby.host, *lobby.players):
        communicator, history = await join(lobby_path(lobby), member)
        assert history["topic"] == f"lobby.{lobby.tournament.pk}"
        assert history["data"] == {"messages": []}
        await communicator.disconnect()


# --- history and broadcast -----------------------------------------------------------------------


@scenario
async def test_history_is_the_last_50_visible_messages_of_the_room_oldest_first():
    lobby = await make_lobby()
    author = lobby.players[0]

    @database_sync_to_async
    def seed():
        ChatMessage.objects.bulk_create([ChatMessage(user=author, text=f"m{i}") for i in range(60)])
        ChatMessage.objects.filter(text="m59").update(deleted_at=timezone.now())
        ChatMessage.objects.create(user=author, tournament=lobby.tournament, text="lobby only")

    await seed()
    communicator, history = await join("/ws/chat/", author)
    assert history["topic"] == "chat.global"
    messages = history["data"]["messages"]
    assert [m["text"] for m in messages] == [f"m{i}" for i in range(9, 59)]
    assert set(messages[0]) == {"id", "user", "text", "created_at"}
    assert messages[0]["user"] == {"id": author.pk, "username": author.username}
    await communicator.disconnect()

    communicator, history = await join(lobby_path(lobby), lobby.host)
    assert [m["text"] for m in history["data"]["messages"]] == ["lobby only"]
    await communicator.disconnect()


@scenario
async def test_a_message_reaches_every_client_in_order():
    alice, bob = await make_user(), await make_user()
    a, history_a = await join("/ws/chat/", alice)
    b, history_b = await join("/ws/chat/", bob)
    base = history_b["seq"]

    await send(a, {"type": "chat.send", "text": "gl hf"})
    await send(a, {"type": "chat.send", "text": "second"})
    for communicator in (a, b):
        first = await receive_type(communicator, "chat.message")
        second = await receive_type(communicator, "chat.message")
        assert (first["seq"], second["seq"]) == (base + 1, base + 2)
        assert first["topic"] == "chat.global"
        assert first["data"]["text"] == "gl hf"
        assert first["data"]["user"] == {"id": alice.pk, "username": alice.username}
        assert set(first["data"]) == {"id", "user", "text", "created_at"}
        assert second["data"]["text"] == "second"
    assert history_a["seq"] == base
    assert await stored_texts(tournament__isnull=True) == ["gl hf", "second"]
    await a.disconnect()
    await b.disconnect()


@scenario
async def test_lobby_messages_stay_in_their_lobby():
    lobby, other = await make_lobby(), await make_lobby()
    player = lobby.players[0]
    inside, _ = await join(lobby_path(lobby), lobby.host)
    outside, _ = await join(lobby_path(other), other.host)
    everyone, _ = await join("/ws/chat/", other.players[0])
    speaker, _ = await join(lobby_path(lobby), player)

    await send(speaker, {"type": "chat.send", "text": "room ready?"})
    frame = await receive_type(inside, "chat.message")
    assert frame["topic"] == f"lobby.{lobby.tournament.pk}"
    assert frame["data"]["text"] == "room ready?"
    assert await outside.receive_nothing(timeout=0.3)
    assert await everyone.receive_nothing(timeout=0.1)
    for communicator in (inside, outside, everyone, speaker):
        await communicator.disconnect()


# --- text rules ----------------------------------------------------------------------------------


def test_text_cleaning_drops_controls_and_invisible_formatting():
    assert chat_text_clean("  he\x00llo\u200b\u202e wor\nld\x7f\x1b[31m  ") == "hello wor ld[31m"
    assert chat_text_clean("\ufeff\u2066gg\u2069\U000e0041") == "gg"
    # Joiners carry meaning in Indic scripts and emoji sequences.
    assert chat_text_clean("क्\u200dष 👩\u200d💻") == "क्\u200dष 👩\u200d💻"


@scenario
async def test_control_characters_are_stripped_before_storing_and_broadcasting():
    user = await make_user()
    communicator, _ = await join("/ws/chat/", user)
    await send(communicator, {"type": "chat.send", "text": "\t gg\x00 \u200bwp\u202e\x7f \n"})
    frame = await receive_type(communicator, "chat.message")
    assert frame["data"]["text"] == "gg wp"
    assert await stored_texts() == ["gg wp"]
    await communicator.disconnect()


@scenario
async def test_empty_too_long_or_non_text_messages_are_refused():
    user = await make_user()
    communicator, _ = await join("/ws/chat/", user)
    for text in ["", "   ", "\x00\u200b\u200d", "x" * 501, 42, None]:
        await send(communicator, {"type": "chat.send", "text": text})
        await expect_error(communicator, "invalid_text")
    await send(communicator, {"type": "chat.send", "text": " " + "y" * 500 + " "})
    frame = await receive_type(communicator, "chat.message")
    assert frame["data"]["text"] == "y" * 500
    assert await stored_texts() == ["y" * 500]
    await communicator.disconnect()


@scenario
async def test_frames_over_4_kib_and_unknown_types_get_error_frames_and_the_socket_stays_open():
    user = await make_user()
    communicator, _ = await join("/ws/chat/", user)
    await send(communicator, {"type": "chat.send", "text": "x" * 4096})
    await expect_error(communicator, "frame_too_large")
    await send(communicator, {"type": "chat.shout", "text": "hi"})
    await expect_error(communicator, "unknown_type")
    await send(communicator, {"type": "chat.mute", "user_id": user.pk})
    await expect_error(communicator, "unknown_type")  # mutes exist in lobbies only
    await communicator.send_to(text_data="{not json")
    await expect_error(communicator, "bad_json")
    await send(communicator, {"type": "chat.send", "text": "still here"})
    assert (await receive_type(communicator, "chat.message"))["data"]["text"] == "still here"
    assert await stored_texts() == ["still here"]
    await communicator.disconnect()


# --- flood control -------------------------------------------------------------------------------


def test_token_bucket_allows_a_burst_then_the_refill_rate_and_counts_strikes():
    bucket, now = None, 1000.0
    for _ in range(flood.CAPACITY):
        bucket, allowed = flood.bucket_take(bucket, now)
        assert allowed
    bucket, allowed = flood.bucket_take(bucket, now)
    assert (allowed, bucket.strikes) == (False, 1)
    bucket, allowed = flood.bucket_take(bucket, now + 0.5)
    assert (allowed, bucket.strikes) == (False, 2)
    # Five seconds refill five messages.
    later = now + 5.5
    results = []
    for _ in range(6):
        bucket, allowed = flood.bucket_take(bucket, later)
        results.append(allowed)
    assert results == [True] * 5 + [False]
    assert bucket.strikes == 3  # the strike window (10 s) had not passed
    # Refusals after a quiet window start counting again.
    bucket, allowed = flood.bucket_take(bucket, later + flood.STRIKE_WINDOW + 0.5)
    assert allowed
    bucket = flood.Bucket(tokens=0, at=later + 20, strikes=bucket.strikes, struck_at=bucket.struck_at)
    bucket, allowed = flood.bucket_take(bucket, later + 20)
    assert (allowed, bucket.strikes) == (False, 1)


@scenario
async def test_flooding_gets_error_frames_then_close_4429():
    user = await make_user()
    communicator, _ = await join("/ws/chat/", user)
    for i in range(flood.CAPACITY + 10):
        await send(communicator, {"type": "chat.send", "text": f"spam {i}"})
    flooding = 0
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4429
            break
        frame = json.loads(output["text"])
        assert set(frame) == ENVELOPE, frame
        assert_valid_message("lobby" if frame["topic"].startswith("lobby.") else "chat", frame)
        if frame["type"] == "error":
            assert frame["data"]["code"] == "flooding"
            flooding += 1
        else:
            assert frame["type"] == "chat.message"
    assert flooding == flood.STRIKES
    # The burst went through (plus whatever refilled meanwhile); nothing after the close.
    assert flood.CAPACITY <= len(await stored_texts()) <= flood.CAPACITY + 2
    await communicator.disconnect()


@scenario
async def test_the_bucket_is_per_user_across_connections():
    user, other = await make_user(), await make_user()
    first, _ = await join("/ws/chat/", user)
    second, _ = await join("/ws/chat/", user)
    bystander, _ = await join("/ws/chat/", other)
    for _ in range(flood.CAPACITY):
        await send(first, {"type": "noop"})
    for _ in range(flood.CAPACITY):
        await expect_error(first, "unknown_type")
    await send(second, {"type": "chat.send", "text": "me again"})
    await expect_error(second, "flooding")
    await send(bystander, {"type": "chat.send", "text": "not me"})
    assert (await receive_type(bystander, "chat.message"))["data"]["text"] == "not me"
    for communicator in (first, second, bystander):
        await communicator.disconnect()


@pytest.mark.requires_redis
async def test_redis_bucket_is_shared_by_every_process_and_matches_the_reference():
    """Two limiters stand for two server processes: one bucket, numbered strikes."""
    first, second = flood.RedisLimiter(), flood.RedisLimiter()
    client = redis.asyncio.Redis.from_url(settings.REDIS_URL)
    user_id = 987_654_321
    await client.delete(flood._key(user_id))
    verdicts = await asyncio.gather(*(first.take(user_id) for _ in range(flood.CAPACITY // 2)))
    verdicts += await asyncio.gather(*(second.take(user_id) for _ in range(flood.CAPACITY // 2)))
    assert all(v.allowed for v in verdicts)
    refused = [await second.take(user_id), await first.take(user_id), await second.take(user_id)]
    assert [(v.allowed, v.strikes) for v in refused] == [(False, 1), (False, 2), (False, 3)]
    assert refused[-1].close
    ttl = await client.ttl(flood._key(user_id))
    assert 0 < ttl <= flood.STATE_SECONDS
    await client.delete(flood._key(user_id))
    await client.aclose()


@pytest.mark.requires_redis
def test_redis_settings_use_the_redis_limiter():
    assert isinstance(flood.get_limiter(), flood.RedisLimiter)


@scenario
async def test_a_deactivated_account_is_refused_on_send_and_disconnected_4401():
    user = await make_user()
    communicator, _ = await join("/ws/chat/", user)
    await database_sync_to_async(type(user).objects.filter(pk=user.pk).update)(is_active=False)
    await send(communicator, {"type": "chat.send", "text": "banned?"})
    await expect_error(communicator, "not_authenticated")
    await expect_close(communicator, 4401)
    assert await stored_texts() == []
    await communicator.disconnect()


# --- moderation ----------------------------------------------------------------------------------


@scenario
async def test_only_admins_delete_in_global_chat():
    author, admin = await make_user(), await make_user(role="admin", is_staff=True)
    talker, _ = await join("/ws/chat/", author)
    moderator, _ = await join("/ws/chat/", admin)
    await send(talker, {"type": "chat.send", "text": "spoiler"})
    message_id = (await receive_type(moderator, "chat.message"))["data"]["id"]
    await receive_type(talker, "chat.message")
    await send(talker, {"type": "chat.delete", "message_id": message_id})
    await expect_error(talker, "forbidden")
    await send(moderator, {"type": "chat.delete", "message_id": message_id})
    for communicator in (talker, moderator):
        assert (await receive_type(communicator, "chat.deleted"))["data"] == {"message_id": message_id}
    await talker.disconnect()
    await moderator.disconnect()


@scenario
async def test_host_deletes_a_message_and_everyone_is_told():
    lobby = await make_lobby()
    player = lobby.players[0]
    host, _ = await join(lobby_path(lobby), lobby.host)
    member, _ = await join(lobby_path(lobby), player)

    await send(member, {"type": "chat.send", "text": "rude"})
    message_id = (await receive_type(host, "chat.message"))["data"]["id"]
    await receive_type(member, "chat.message")

    await send(member, {"type": "chat.delete", "message_id": message_id})
    await expect_error(member, "forbidden")
    await send(host, {"type": "chat.delete", "message_id": "1"})
    await expect_error(host, "invalid")
    await send(host, {"type": "chat.delete", "message_id": 999999})
    await expect_error(host, "not_found")

    await send(host, {"type": "chat.delete", "message_id": message_id})
    for communicator in (host, member):
        frame = await receive_type(communicator, "chat.deleted")
        assert frame["data"] == {"message_id": message_id}

    @database_sync_to_async
    def deleted():
        return ChatMessage.objects.filter(pk=message_id, deleted_at__isnull=False, deleted_by=lobby.host).exists()

    assert await deleted()
    again, history = await join(lobby_path(lobby), player)
    assert history["data"]["messages"] == []
    for communicator in (host, member, again):
        await communicator.disconnect()


@scenario
async def test_host_mutes_and_unmutes_a_player():
    lobby = await make_lobby()
    muted_player, other_player = lobby.players
    host, _ = await join(lobby_path(lobby), lobby.host)
    player, _ = await join(lobby_path(lobby), muted_player)

    await send(player, {"type": "chat.mute", "user_id": other_player.pk})
    await expect_error(player, "forbidden")
    await send(host, {"type": "chat.mute", "user_id": lobby.host.pk})
    await expect_error(host, "invalid")
    await send(host, {"type": "chat.mute", "user_id": muted_player.pk, "minutes": 0})
    await expect_error(host, "invalid")

    await send(host, {"type": "chat.mute", "user_id": muted_player.pk})
    for communicator in (host, player):
        frame = await receive_type(communicator, "chat.muted")
        assert frame["data"] == {"user_id": muted_player.pk, "until": None}

    await send(player, {"type": "chat.send", "text": "let me talk"})
    await expect_error(player, "muted")
    assert await stored_texts() == []

    await send(host, {"type": "chat.mute", "user_id": muted_player.pk, "minutes": 10})
    frame = await receive_type(player, "chat.muted")
    await receive_type(host, "chat.muted")
    until = frame["data"]["until"]
    assert timezone.now() + timedelta(minutes=9) < datetime.fromisoformat(until)
    await send(player, {"type": "chat.send", "text": "still muted"})
    await expect_error(player, "muted")

    await send(host, {"type": "chat.unmute", "user_id": muted_player.pk})
    for communicator in (host, player):
        frame = await receive_type(communicator, "chat.unmuted")
        assert frame["data"] == {"user_id": muted_player.pk}
    await send(player, {"type": "chat.send", "text": "thanks"})
    assert (await receive_type(host, "chat.message"))["data"]["text"] == "thanks"
    assert await database_sync_to_async(ChatMute.objects.count)() == 0
    await host.disconnect()
    await player.disconnect()


@scenario
async def test_an_expired_mute_no_longer_silences():
    lobby = await make_lobby()
    player = lobby.players[0]
    await database_sync_to_async(ChatMute.objects.create)(
        tournament=lobby.tournament, user=player, muted_by=lobby.host, until=timezone.now() - timedelta(seconds=1)
    )
    communicator, _ = await join(lobby_path(lobby), player)
    await send(communicator, {"type": "chat.send", "text": "back"})
    assert (await receive_type(communicator, "chat.message"))["data"]["text"] == "back"
    await communicator.disconnect()


@scenario
async def test_a_withdrawn_player_is_disconnected_4403_at_once():
    """Access is revoked live: the withdrawal itself closes the player's open lobby socket
    (no room password reaches it afterwards), while the other players stay."""
    lobby = await make_lobby()
    player = lobby.players[1]
    communicator, _ = await join(lobby_path(lobby), player)
    staying, _ = await join(lobby_path(lobby), lobby.host)
    await send(communicator, {"type": "chat.send", "text": "before"})
    await receive_type(communicator, "chat.message")
    await receive_type(staying, "chat.message")

    await database_sync_to_async(registration_withdraw)(
        tournament_id=lobby.tournament.pk, registration_id=lobby.registration.pk, user=lobby.host
    )
    await expect_close(communicator, 4403)
    assert await stored_texts() == ["before"]
    await communicator.disconnect()
    await send(staying, {"type": "chat.send", "text": "still here"})
    assert (await receive_type(staying, "chat.message"))["data"]["text"] == "still here"
    await staying.disconnect()

    again = await open_socket(lobby_path(lobby), user=player)
    await expect_close(again, 4403)
    await again.disconnect()
