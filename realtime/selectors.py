from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from competitions import access
from competitions.models import Tournament
from realtime.models import Announcement, ChatMessage, ChatMute, Notification

INBOX_SIZE = 20
HISTORY_SIZE = 50
ANNOUNCEMENTS_IN_SNAPSHOT = 20


def notification_list(*, user_id: int, unread: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(user_id=user_id)
    return notifications.filter(read_at__isnull=True) if unread else notifications


def notification_payload(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "data": notification.data,
        "read_at": notification.read_at,
        "created_at": notification.created_at,
    }


def notification_inbox(*, user_id: int) -> dict:
    """The /ws/me/ snapshot: unread count and the latest notifications."""
    latest = notification_list(user_id=user_id)[:INBOX_SIZE]
    return {
        "unread": notification_list(user_id=user_id, unread=True).count(),
        "notifications": [notification_payload(n) for n in latest],
    }


# --- announcements -----------------------------------------------------------------------------


def announcement_list(*, tournament_id: int) -> QuerySet[Announcement]:
    """Newest first."""
    return Announcement.objects.filter(tournament_id=tournament_id).select_related("by")


def announcement_payload(announcement: Announcement) -> dict:
    return {"text": announcement.text, "by": announcement.by.username, "at": announcement.created_at}


def announcements_recent(*, tournament_id: int) -> list[dict]:
    return [announcement_payload(a) for a in announcement_list(tournament_id=tournament_id)[:ANNOUNCEMENTS_IN_SNAPSHOT]]


# --- chat -------------------------------------------------------------------------------------


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
