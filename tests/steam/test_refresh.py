"""Refreshing linked accounts' Steam summaries: the steam_refresh command and the beat job."""

from datetime import timedelta
from io import StringIO

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from steam.ids import ID64_BASE
from steam.models import SteamAccount
from steam.tasks import refresh_steam_summaries
from tests.factories import UserFactory
from tests.steam.conftest import SUMMARIES, summaries, summary

pytestmark = pytest.mark.django_db


def linked(count: int, *, fetched_ago: timedelta | None, first: int = 0) -> list[SteamAccount]:
    fetched_at = timezone.now() - fetched_ago if fetched_ago is not None else None
    return [
        SteamAccount.objects.create(
            user=UserFactory(),
            steam_id=ID64_BASE + 10_000 + first + n,
            persona_name="old",
            summary_fetched_at=fetched_at,
        )
        for n in range(count)
    ]


def renamed(request: httpx.Request) -> httpx.Response:
    """Steam's answer for the ids asked, each with a new persona name; one id Steam no longer knows."""
    ids = [int(s) for s in request.url.params["steamids"].split(",")]
    return summaries(*(summary(s, f"new {s}") for s in ids if s != ID64_BASE + 10_000))


def test_the_command_refreshes_stale_summaries_in_batches_of_100(steam_api):
    stale = linked(150, fetched_ago=timedelta(days=2))
    never = linked(3, fetched_ago=None, first=500)
    fresh = linked(2, fetched_ago=timedelta(hours=1), first=900)
    route = steam_api.get(SUMMARIES).mock(side_effect=renamed)
    out = StringIO()

    call_command("steam_refresh", stdout=out)

    assert "Refreshed 153 " in out.getvalue()
    batches = [call.request.url.params["steamids"].split(",") for call in route.calls]
    assert sorted(len(batch) for batch in batches) == [53, 100]
    asked = {int(s) for batch in batches for s in batch}
    assert asked == {a.steam_id for a in stale + never}
    for account in stale[1:] + never:
        account.refresh_from_db()
        assert account.persona_name == f"new {account.steam_id}"
        assert account.avatar_url.endswith("_full.jpg")
    # The id Steam no longer knows keeps its last summary; the fresh ones were not asked about.
    stale[0].refresh_from_db()
    assert stale[0].persona_name == "old"
    assert stale[0].summary_fetched_at > timezone.now() - timedelta(minutes=1)
    assert all(SteamAccount.objects.get(pk=a.pk).persona_name == "old" for a in fresh)


def test_a_second_run_finds_nothing_stale(steam_api):
    linked(3, fetched_ago=timedelta(days=2))
    route = steam_api.get(SUMMARIES).mock(side_effect=renamed)
    call_command("steam_refresh", stdout=StringIO())
    out = StringIO()

    call_command("steam_refresh", stdout=out)

    assert route.call_count == 1
    assert "Refreshed 0 " in out.getvalue()


def test_all_refreshes_fresh_summaries_too_and_bypasses_the_cache(steam_api):
    accounts = linked(2, fetched_ago=timedelta(minutes=5), first=100)
    route = steam_api.get(SUMMARIES).mock(side_effect=renamed)

    call_command("steam_refresh", "--all", stdout=StringIO())
    call_command("steam_refresh", "--all", stdout=StringIO())

    assert route.call_count == 2
    assert {a.persona_name for a in SteamAccount.objects.filter(pk__in=[a.pk for a in accounts])} == {
        f"new {a.steam_id}" for a in accounts
    }


def test_steam_down_stops_the_run_without_failing(steam_api):
    linked(120, fetched_ago=timedelta(days=2))
    steam_api.get(SUMMARIES).mock(side_effect=[httpx.Response(200, json=renamed_json(100)), httpx.ReadTimeout("slow")])
    out = StringIO()

    call_command("steam_refresh", stdout=out)

    assert "Refreshed 100 " in out.getvalue()
    assert SteamAccount.objects.filter(persona_name="old").count() == 20


def renamed_json(count: int) -> dict:
    return {"response": {"players": [summary(ID64_BASE + 10_000 + n, "new") for n in range(count)]}}


def test_the_beat_job_refreshes(steam_api):
    linked(2, fetched_ago=None)
    steam_api.get(SUMMARIES).mock(side_effect=renamed)

    refresh_steam_summaries.delay()

    assert SteamAccount.objects.filter(summary_fetched_at__isnull=True).count() == 0
    schedule = settings.CELERY_BEAT_SCHEDULE["steam-refresh-summaries"]
    assert schedule["task"] == refresh_steam_summaries.name


def test_a_limited_run_takes_the_never_fetched_then_the_oldest(steam_api):
    older = linked(1, fetched_ago=timedelta(days=9), first=10)
    linked(2, fetched_ago=timedelta(days=2), first=20)
    never = linked(1, fetched_ago=None, first=30)
    route = steam_api.get(SUMMARIES).mock(side_effect=renamed)

    call_command("steam_refresh", "--limit", "2", stdout=StringIO())

    asked = {int(s) for s in route.calls.last.request.url.params["steamids"].split(",")}
    assert asked == {never[0].steam_id, older[0].steam_id}


@pytest.mark.parametrize("args", [["--limit", "0"], ["--limit", "-1"], ["--stale-hours", "-2"]])
def test_nonsense_options_are_refused_before_anything_runs(steam_api, args):
    from django.core.management.base import CommandError

    route = steam_api.get(SUMMARIES).mock(side_effect=renamed)
    with pytest.raises(CommandError):
        call_command("steam_refresh", *args, stdout=StringIO())
    assert route.call_count == 0
