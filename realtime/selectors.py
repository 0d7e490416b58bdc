from django.db.models import QuerySet

from realtime.models import Notification

INBOX_SIZE = 20


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
