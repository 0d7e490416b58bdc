"""Linking a Steam account through POST /api/me/steam, against a faked Steam Web API."""

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
import time_machine
from django.db import connection, transaction

from steam.models import SteamAccount
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.steam.conftest import (
    GABEN,
    SUMMARIES,
    VANITY,
    summaries,
    summary,
    vanity_found,
    vanity_missing,
    wait_until_queries_wait_on_locks,
)

pytestmark = pytest.mark.django_db


def link(api, user, steam: str):
    return api.post_json("/api/me/steam", {"steam": steam}, user=user)


@pytest.mark.parametrize(
    ("typed", "via_vanity"),
    [
        (str(GABEN), False),
        (f"https://steamcommunity.com/profiles/{GABEN}", False),
        (f"steamcommunity.com/profiles/{GABEN}/", False),
        ("https://steamcommunity.com/id/gabelogannewell/", True),
        ("http://www.steamcommunity.com/id/gabelogannewell", True),
        ("gabelogannewell", True),
        ("  GabeLoganNewell  ", True),
    ],
)
def test_each_input_form_resolves(api, user, steam_api, typed, via_vanity):
    vanity = steam_api.get(VANITY).mock(return_value=vanity_found(GABEN))
    players = steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN, "Rabscuttle")))

    response = link(api, user, typed)

    assert response.status_code == 200, response.content
    steam = response.json()["steam"]
    assert steam == {
        "steam_id": str(GABEN),
        "persona_name": "Rabscuttle",
        "avatar_url": f"https://avatars.steamstatic.com/{GABEN:x}_full.jpg",
        "profile_url": f"https://steamcommunity.com/profiles/{GABEN}/",
    }
    assert vanity.call_count == int(via_vanity)
    if via_vanity:
        assert vanity.calls.last.request.url.params["vanityurl"].lower() == "gabelogannewell"
    assert players.calls.last.request.url.params["steamids"] == str(GABEN)
    # The profile shows it, and so does the public profile.
    assert api.get_json("/api/me", user=user).json()["steam"] == steam
    assert api.get_json(f"/api/users/{user.username}").json()["steam"] == steam


def test_the_key_travels_in_a_header_never_in_the_url(api, user, steam_api):
    route = steam_api.get(VANITY).mock(return_value=vanity_found(GABEN))
    steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))

    assert link(api, user, "gabelogannewell").status_code == 200

    request = route.calls.last.request
    assert request.headers["x-webapi-key"] == "TEST-STEAM-KEY"
    assert "TEST-STEAM-KEY" not in str(request.url)


def test_a_second_lookup_is_served_from_the_cache(api, steam_api):
    vanity = steam_api.get(VANITY).mock(return_value=vanity_found(GABEN))
    players = steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))
    first, second = UserFactory(), UserFactory()

    assert link(api, first, "gabelogannewell").status_code == 200
    assert api.delete_json("/api/me/steam", user=first).status_code == 204
    assert link(api, second, "https://steamcommunity.com/id/gabelogannewell/").status_code == 200

    assert (vanity.call_count, players.call_count) == (1, 1)
    assert api.get_json("/api/me", user=second).json()["steam"]["steam_id"] == str(GABEN)


def test_no_match_is_a_clear_404_and_is_remembered(api, user, steam_api):
    vanity = steam_api.get(VANITY).mock(return_value=vanity_missing())

    for _ in range(2):
        response = link(api, user, "nobody-by-this-name")
        assert response.status_code == 404
        assert response.json()["code"] == "steam_not_found"
        assert "nobody-by-this-name" in response.json()["detail"]

    assert vanity.call_count == 1
    assert api.get_json("/api/me", user=user).json()["steam"] is None


def test_an_id_steam_does_not_know_is_a_404(api, user, steam_api):
    steam_api.get(SUMMARIES).mock(return_value=summaries())

    response = link(api, user, "76561199999999999")

    assert response.status_code == 404
    assert response.json()["code"] == "steam_not_found"


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500, text="<html>Internal Server Error</html>"),
        httpx.Response(502, text="Bad Gateway"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        httpx.Response(200, text="<html>Steam is down for maintenance</html>"),
    ],
    ids=["500", "502", "connect-timeout", "read-timeout", "refused", "html"],
)
def test_steam_down_is_a_503_with_detail(api, user, steam_api, failure):
    steam_api.get(VANITY).mock(side_effect=[failure])

    response = link(api, user, "gabelogannewell")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "steam_unavailable"
    assert "Steam" in body["detail"]
    assert api.get_json("/api/me", user=user).json()["steam"] is None


def test_a_failure_is_not_cached(api, user, steam_api):
    vanity = steam_api.get(VANITY).mock(side_effect=[httpx.Response(503), vanity_found(GABEN)])
    steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))

    assert link(api, user, "gabelogannewell").status_code == 503
    assert link(api, user, "gabelogannewell").status_code == 200
    assert vanity.call_count == 2


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "x",
        "gabe newell",
        "héllo",
        "https://example.com/id/gabelogannewell",
        "https://steamcommunity.com/groups/valve",
        "https://steamcommunity.com/profiles/gabelogannewell",
        "https://steamcommunity.com/profiles/12345",
        "76561190000000000",
        "76561197960265728",
        "765611979602879300",
        "1234567890123456",
        "a" * 33,
    ],
)
def test_garbage_is_a_422_without_calling_steam(api, user, steam_api, typed):
    response = link(api, user, typed)

    assert response.status_code == 422, response.content
    assert response.json()["code"] in ("invalid_steam_input", "invalid")
    assert not steam_api.calls


def test_a_steam_account_linked_by_someone_else_is_a_409(api, steam_api):
    steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))
    owner, other = UserFactory(), UserFactory()
    assert link(api, owner, str(GABEN)).status_code == 200

    response = link(api, other, str(GABEN))

    assert response.status_code == 409
    assert response.json()["code"] == "steam_already_linked"
    assert api.get_json("/api/me", user=other).json()["steam"] is None
    # Linking your own account again is fine.
    assert link(api, owner, str(GABEN)).status_code == 200


def test_relinking_replaces_and_unlinking_removes(api, user, steam_api):
    other_id = GABEN + 1
    steam_api.get(SUMMARIES).mock(
        side_effect=lambda request: summaries(
            *(summary(int(s), f"name {s}") for s in request.url.params["steamids"].split(","))
        )
    )
    assert link(api, user, str(GABEN)).status_code == 200

    relinked = link(api, user, str(other_id))
    assert relinked.json()["steam"]["steam_id"] == str(other_id)

    assert api.delete_json("/api/me/steam", user=user).status_code == 204
    assert api.get_json("/api/me", user=user).json()["steam"] is None
    assert api.delete_json("/api/me/steam", user=user).status_code == 204


def test_needs_a_login(api, steam_api):
    assert api.post_json("/api/me/steam", {"steam": str(GABEN)}).status_code == 401
    assert api.delete_json("/api/me/steam").status_code == 401


def test_without_a_key_steam_is_not_configured(api, user, steam_api, settings):
    settings.STEAM_API_KEY = ""

    response = link(api, user, "gabelogannewell")

    assert response.status_code == 503
    assert response.json()["code"] == "steam_not_configured"
    assert not steam_api.calls


@time_machine.travel("2026-11-22 12:00:30+00:00", tick=False)
def test_the_shared_budget_refuses_with_retry_after_and_no_call(api, steam_api, settings):
    settings.STEAM_RATE_LIMIT = "2/m"
    vanity = steam_api.get(VANITY).mock(return_value=vanity_found(GABEN))
    steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))
    first = UserFactory()
    assert link(api, first, "gabelogannewell").status_code == 200  # two calls: the whole budget

    response = link(api, UserFactory(), "someone-else")

    assert response.status_code == 503
    assert response.json()["code"] == "steam_throttled"
    # Until the budget's window ends (django-ratelimit staggers windows per key).
    from django_ratelimit.core import _get_window

    assert response["Retry-After"] == str(_get_window("all", 60) - int(time.time()))
    assert vanity.call_count == 1
    # Cached answers cost nothing, so they still work.
    assert api.delete_json("/api/me/steam", user=first).status_code == 204
    assert link(api, UserFactory(), "gabelogannewell").status_code == 200


@pytest.mark.requires_redis
def test_the_budget_is_shared_with_other_processes(api, steam_api, settings):
    """Calls spent by another process (a worker, another ASGI process) count against this one's budget."""
    settings.STEAM_RATE_LIMIT = "3/d"
    vanity = steam_api.get(VANITY).mock(return_value=vanity_found(GABEN))
    script = "import django; django.setup(); from steam import client; [client._budget_spend() for _ in range(3)]"
    env = {**os.environ, "STEAM_RATE_LIMIT": "3/d", "DJANGO_SETTINGS_MODULE": "arena.settings"}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, cwd=settings.BASE_DIR, timeout=60)  # noqa: S603

    response = link(api, UserFactory(), "gabelogannewell")

    assert response.status_code == 503
    assert response.json()["code"] == "steam_throttled"
    assert int(response["Retry-After"]) > 0
    assert vanity.call_count == 0


def test_steam_rate_limiting_us_pauses_every_caller(api, steam_api):
    vanity = steam_api.get(VANITY).mock(return_value=httpx.Response(429, headers={"Retry-After": "45"}))

    first = link(api, UserFactory(), "gabelogannewell")
    second = link(api, UserFactory(), "someone-else")

    assert first.status_code == second.status_code == 503
    assert first.json()["code"] == second.json()["code"] == "steam_throttled"
    assert int(first["Retry-After"]) == 45
    assert 0 < int(second["Retry-After"]) <= 45
    assert vanity.call_count == 1


def test_linking_is_throttled_per_player(api, user, steam_api, settings):
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "steam_link": "2/h"}
    steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))

    codes = [link(api, user, str(GABEN)).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_players_linking_one_steam_account_at_once_one_gets_the_409(steam_api):
    """The second link passes the "already linked?" check before the first commits, then meets
    the unique constraint: it is still the clear 409 steam_already_linked, nothing half-written."""
    steam_api.get(SUMMARIES).mock(return_value=summaries(summary(GABEN)))
    first, second = UserFactory(), UserFactory()
    responses = []

    def link_in_a_thread():
        try:
            responses.append(link(ApiClient(), second, str(GABEN)))
        finally:
            connection.close()

    thread = threading.Thread(target=link_in_a_thread)
    with transaction.atomic():  # the first player's link, not committed yet
        SteamAccount.objects.create(user=first, steam_id=GABEN)
        thread.start()
        wait_until_queries_wait_on_locks()
    thread.join(timeout=30)

    [response] = responses
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "steam_already_linked"
    assert list(SteamAccount.objects.values_list("user_id", "steam_id")) == [(first.pk, GABEN)]
