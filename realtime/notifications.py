"""Notifications: a user's inbox, stored and pushed on their `user.ID` topic after commit.

Below competitions, wallet and matchlog, which call notification_create: it imports none of them.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from realtime.models import Notification
from realtime.publish import publish

INBOX_SIZE = 20


def inbox_topic(user_id: int) -> str:
    """The one spelling of a user's own topic (/ws/me/, and `user.ID` on /ws/)."""
    return f"user.{user_id}"


def notification_create(
    *, user_ids: Iterable[int], kind: str, title: str, body: str = "", data: dict | None = None
) -> list[Notification]:
    """Store one notification per user and push each to its owner after commit."""
    notifications = Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, title=title, body=body, data=data or {}) for uid in set(user_ids)]
    )
    for notification in notifications:
        payload = notification_payload(notification)
        transaction.on_commit(lambda n=notification, p=payload: publish(inbox_topic(n.user_id), "notification", p))
    return notifications


@transaction.atomic
def notifications_mark_read(*, user_id: int, ids: list[int]) -> int:
    return Notification.objects.filter(user_id=user_id, pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())


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
