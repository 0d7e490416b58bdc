from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from realtime.models import Announcement, Notification
from realtime.publish import access_recheck, publish
from realtime.selectors import announcement_payload, notification_payload

__all__ = ["access_recheck", "announcement_create", "notification_create", "notifications_mark_read"]


def notification_create(
    *, user_ids: Iterable[int], kind: str, title: str, body: str = "", data: dict | None = None
) -> list[Notification]:
    """Store one notification per user and push each to its owner after commit."""
    notifications = Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, title=title, body=body, data=data or {}) for uid in set(user_ids)]
    )
    for notification in notifications:
        payload = notification_payload(notification)
        transaction.on_commit(lambda n=notification, p=payload: publish(f"user.{n.user_id}", "notification", p))
    return notifications


@transaction.atomic
def notifications_mark_read(*, user_id: int, ids: list[int]) -> int:
    return Notification.objects.filter(user_id=user_id, pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())


def announcement_create(*, tournament_id: int, user, text: str) -> dict:
    """Keep a host's announcement (the caller checked the host and publishes it after commit)."""
    announcement = Announcement.objects.create(tournament_id=tournament_id, by=user, text=text)
    return announcement_payload(announcement)
