"""A host's announcements to a tournament's spectators: kept for late joiners (the tournament
snapshot carries the latest, GET /api/tournaments/{id}/announcements lists them all).

Competitions decides who may announce and publishes the announcement on the tournament topic;
this module only stores and reads them, and imports nothing from competitions.
"""

from django.db.models import QuerySet

from realtime.models import Announcement

ANNOUNCEMENTS_IN_SNAPSHOT = 20


def announcement_create(*, tournament_id: int, user, text: str) -> dict:
    """Keep a host's announcement (the caller checked the host and publishes it after commit)."""
    announcement = Announcement.objects.create(tournament_id=tournament_id, by=user, text=text)
    return announcement_payload(announcement)


def announcement_list(*, tournament_id: int) -> QuerySet[Announcement]:
    """Newest first."""
    return Announcement.objects.filter(tournament_id=tournament_id).select_related("by")


def announcement_payload(announcement: Announcement) -> dict:
    return {"text": announcement.text, "by": announcement.by.username, "at": announcement.created_at}


def announcements_recent(*, tournament_id: int) -> list[dict]:
    return [announcement_payload(a) for a in announcement_list(tournament_id=tournament_id)[:ANNOUNCEMENTS_IN_SNAPSHOT]]
