"""Scheduled reminders before a tournament starts."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from competitions.models import (
    Tournament,
)

# label → (flag field, window start, window end) relative to now: a tournament created less than an
# hour before its start gets only the 1-hour reminder.
REMINDERS = {
    "24h": ("reminder_24h_sent_at", timezone.timedelta(hours=1), timezone.timedelta(hours=24)),
    "1h": ("reminder_1h_sent_at", timezone.timedelta(0), timezone.timedelta(hours=1)),
}


def tournament_reminders_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Claim every reminder that is due, exactly once, and queue its emails.

    The claim is a conditional UPDATE, so overlapping beat runs (or two beat processes)
    cannot both send the same reminder.
    """
    from competitions.tasks import send_reminder_emails

    now = now or timezone.now()
    claimed = []
    for label, (field, window_start, window_end) in REMINDERS.items():
        due = Tournament.objects.filter(
            status__in=(Tournament.Status.REGISTRATION_OPEN, Tournament.Status.ONGOING),
            starts_at__gt=now + window_start,
            starts_at__lte=now + window_end,
            **{f"{field}__isnull": True},
        ).values_list("pk", flat=True)
        for tournament_id in due:
            if Tournament.objects.filter(pk=tournament_id, **{f"{field}__isnull": True}).update(**{field: now}):
                claimed.append((tournament_id, label))
                transaction.on_commit(lambda t=tournament_id, lbl=label: send_reminder_emails.delay(t, lbl))
    return claimed
