"""Chat reads: a room's history and who may talk in a lobby (competitions.access decides)."""

from django.utils import timezone

from accounts.models import User
from competitions import access
from competitions.models import Tournament
from realtime.models import ChatMessage, ChatMute

HISTORY_SIZE = 50


def chat_message_payload(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "user": {"id": message.user_id, "username": message.user.username},
        "text": message.text,
        "created_at": message.created_at,
    }


def chat_history(*, tournament_id: int | None) -> dict:
    """The snapshot of a room: its last HISTORY_SIZE visible messages, oldest first."""
    latest = (
        ChatMessage.objects.filter(tournament_id=tournament_id, deleted_at__isnull=True)
        .select_related("user")
        .order_by("-created_at", "-id")[:HISTORY_SIZE]
    )
    return {"messages": [chat_message_payload(m) for m in reversed(latest)]}


def lobby_get(*, tournament_id: int) -> Tournament | None:
    """A lobby exists for every tournament past its draft."""
    return Tournament.objects.filter(pk=tournament_id).exclude(status=Tournament.Status.DRAFT).first()


def is_lobby_moderator(tournament: Tournament, user: User) -> bool:
    return access.manages(tournament=tournament, user=user)


def lobby_is_member(*, tournament: Tournament, user: User) -> bool:
    """Those who see the room details (competitions.access.takes_part): the host, admins
    (who moderate every lobby) and rostered players still in their team."""
    return access.takes_part(tournament=tournament, user=user)


def lobby_can_join(*, tournament_id: int, user: User) -> bool | None:
    """None when there is no such lobby, else whether `user` may join it."""
    tournament = lobby_get(tournament_id=tournament_id)
    if tournament is None:
        return None
    return lobby_is_member(tournament=tournament, user=user)


def chat_mute_active(*, tournament: Tournament, user: User) -> ChatMute | None:
    mute = ChatMute.objects.filter(tournament=tournament, user=user).first()
    if mute is None or (mute.until is not None and mute.until <= timezone.now()):
        return None
    return mute
