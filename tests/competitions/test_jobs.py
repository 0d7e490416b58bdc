from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from competitions.models import Tournament
from competitions.tasks import send_due_reminders
from tests.competitions.conftest import create_published, make_team, register

pytestmark = pytest.mark.django_db


def _tournament_starting_in(api, host, delta: timedelta) -> int:
    tournament = create_published(api, host, rounds_count=1, qualify_per_group=0, max_teams=4)
    for _ in range(2):
        register(api, tournament["id"], make_team(4))
    Tournament.objects.filter(pk=tournament["id"]).update(starts_at=timezone.now() + delta)
    mail.outbox.clear()  # the listing plan receipt: only reminders are counted below
    return tournament["id"]


def test_reminders_go_out_once_24h_and_1h_before(api, host, django_capture_on_commit_callbacks):
    tid = _tournament_starting_in(api, host, timedelta(hours=20))
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    assert len(mail.outbox) == 8
    assert all("starts in 24 hours" in message.subject for message in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    assert len(mail.outbox) == 8, "a reminder is never sent twice"

    Tournament.objects.filter(pk=tid).update(starts_at=timezone.now() + timedelta(minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    assert len(mail.outbox) == 16
    assert all("starts in 1 hour" in message.subject for message in mail.outbox[8:])


def test_a_late_tournament_gets_only_the_one_hour_reminder(api, host, django_capture_on_commit_callbacks):
    _tournament_starting_in(api, host, timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    assert len(mail.outbox) == 8
    assert all("1 hour" in message.subject for message in mail.outbox)


def test_far_away_tournaments_get_nothing(api, host, django_capture_on_commit_callbacks):
    _tournament_starting_in(api, host, timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reminders.delay()
    assert mail.outbox == []
