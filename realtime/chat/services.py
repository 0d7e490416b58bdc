"""Chat: global chat and tournament lobbies.

Writes run in one transaction and announce themselves on the room's topic only after
commit; the reads the consumers need (history, membership) are in realtime/chat/selectors.py.
Rules live here, not in realtime/edge/chat.py: the consumer only validates shapes and maps errors.
"""

import unicodedata
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Invalid, NotFound, PermissionDenied
from competitions.models import RegistrationPlayer, Tournament
from realtime.chat.selectors import (
    chat_message_payload,
    chat_mute_active,
    is_lobby_moderator,
    lobby_get,
    lobby_is_member,
)
from realtime.models import ChatMessage, ChatMute
from realtime.publish import publish

GLOBAL_TOPIC = "chat.global"
TEXT_MAX = 500
MUTE_MAX_MINUTES = 30 * 24 * 60

# Line breaks and tabs become spaces (so "a\nb" stays two words); every other control
# character (Cc), format character (Cf: zero-width space, bidi overrides, invisible tag
# characters) and lone surrogate (Cs) is dropped. ZWNJ and ZWJ stay: Indic scripts and
# emoji sequences need them.
_SPACES = frozenset("\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_JOINERS = frozenset("\u200c\u200d")


def chat_topic(*, tournament_id: int | None) -> str:
    return GLOBAL_TOPIC if tournament_id is None else f"lobby.{tournament_id}"


def chat_text_clean(text: str) -> str:
    """The text as stored: controls removed, surrounding whitespace stripped."""
    kept = []
    for char in text:
        if char in _SPACES:
            kept.append(" ")
        elif char in _JOINERS or unicodedata.category(char) not in ("Cc", "Cf", "Cs"):
            kept.append(char)
    return "".join(kept).strip()


def _visible(text: str) -> bool:
    return any(unicodedata.category(char)[0] not in "ZC" for char in text)


# --- writes -----------------------------------------------------------------------------------


def _lobby_member(tournament_id: int, user: User) -> Tournament:
    tournament = lobby_get(tournament_id=tournament_id)
    if tournament is None or not lobby_is_member(tournament=tournament, user=user):
        raise PermissionDenied("You are not a member of this lobby.", code="not_a_member")
    return tournament


def _moderated_lobby(tournament_id: int, user: User) -> Tournament:
    tournament = lobby_get(tournament_id=tournament_id)
    if tournament is None or not is_lobby_moderator(tournament, user):
        raise PermissionDenied("Only the tournament's host can do this.", code="forbidden")
    return tournament


@transaction.atomic
def chat_message_create(*, user: User, tournament_id: int | None, text: str) -> ChatMessage:
    """Post to global chat (tournament_id None) or a lobby, which only its members may."""
    cleaned = chat_text_clean(text)
    if not 1 <= len(cleaned) <= TEXT_MAX or not _visible(cleaned):
        raise Invalid(f"Messages are 1 to {TEXT_MAX} characters of text.", code="invalid_text")
    tournament = None
    if tournament_id is not None:
        tournament = _lobby_member(tournament_id, user)
        mute = chat_mute_active(tournament=tournament, user=user)
        if mute is not None:
            until = f" until {mute.until.isoformat()}" if mute.until else ""
            raise PermissionDenied(f"The host muted you in this lobby{until}.", code="muted")
    message = ChatMessage(tournament=tournament, user=user, text=cleaned)
    message.full_clean()
    message.save()
    payload = chat_message_payload(message)
    topic = chat_topic(tournament_id=tournament_id)
    transaction.on_commit(lambda: publish(topic, "chat.message", payload))
    return message


@transaction.atomic
def chat_message_delete(*, user: User, tournament_id: int | None, message_id: int) -> ChatMessage:
    """Hide a message: a lobby's host (or an admin) in a lobby, an admin in global chat.
    Deleting a deleted message changes nothing and announces nothing."""
    if tournament_id is None:
        if not user.is_admin:
            raise PermissionDenied("Only admins can delete messages in global chat.", code="forbidden")
    else:
        _moderated_lobby(tournament_id, user)
    message = ChatMessage.objects.select_for_update().filter(pk=message_id, tournament_id=tournament_id).first()
    if message is None:
        raise NotFound("No such message in this room.", code="not_found")
    if message.deleted_at is None:
        message.deleted_at = timezone.now()
        message.deleted_by = user
        message.save(update_fields=["deleted_at", "deleted_by"])
        topic = chat_topic(tournament_id=tournament_id)
        transaction.on_commit(lambda: publish(topic, "chat.deleted", {"message_id": message_id}))
    return message


def _mute_target(tournament: Tournament, user: User, target_id: int) -> None:
    if target_id == tournament.host_id:
        raise Invalid("The host cannot be muted.", code="invalid")
    if target_id == user.pk:
        raise Invalid("You cannot mute yourself.", code="invalid")
    if not RegistrationPlayer.objects.filter(tournament=tournament, user_id=target_id).exists():
        raise NotFound("No such player in this lobby.", code="not_found")


@transaction.atomic
def chat_mute_set(*, user: User, tournament_id: int, target_id: int, minutes: int | None = None) -> ChatMute:
    """Silence a rostered player in a lobby for `minutes`, or until unmuted (None)."""
    tournament = _moderated_lobby(tournament_id, user)
    if minutes is not None and not 1 <= minutes <= MUTE_MAX_MINUTES:
        raise Invalid(f"minutes runs from 1 to {MUTE_MAX_MINUTES}.", code="invalid")
    _mute_target(tournament, user, target_id)
    until = timezone.now() + timedelta(minutes=minutes) if minutes is not None else None
    mute, _ = ChatMute.objects.update_or_create(
        tournament=tournament, user_id=target_id, defaults={"muted_by": user, "until": until}
    )
    topic = chat_topic(tournament_id=tournament_id)
    transaction.on_commit(lambda: publish(topic, "chat.muted", {"user_id": target_id, "until": until}))
    return mute


@transaction.atomic
def chat_mute_clear(*, user: User, tournament_id: int, target_id: int) -> None:
    """Lift a mute; announced even when there was none, so the host's client always hears back."""
    _moderated_lobby(tournament_id, user)
    ChatMute.objects.filter(tournament_id=tournament_id, user_id=target_id).delete()
    topic = chat_topic(tournament_id=tournament_id)
    transaction.on_commit(lambda: publish(topic, "chat.unmuted", {"user_id": target_id}))
