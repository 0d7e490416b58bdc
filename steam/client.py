"""The Steam Web API: the one place Arena talks to Steam (the frontend never does).

Every call that leaves Arena spends from one budget shared by all processes (django-ratelimit's
atomic counter in the cache, i.e. Redis in real mode), goes out through httpx with
timeouts and the key in the `x-webapi-key` header (never in a URL that could be logged), and
its answer is cached: vanity names and match details for long (they hardly or never change),
summaries and match histories for less.

Failures are ApplicationErrors the API maps once: Steam unreachable, slow, 5xx or our budget
used up → SteamUnavailable (503, with Retry-After when known); Steam's "no match" → SteamNotFound (404).
"""

import logging
import math
import time
from collections.abc import Iterable

import httpx
from django.conf import settings
from django.core.cache import cache
from django_ratelimit.core import get_usage

from arena.exceptions import NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

SUMMARIES_PER_CALL = 100
# Cached in place of an answer that says "nothing there", so a repeated miss costs no call either.
_NOTHING = "__nothing__"
_SUMMARY_FIELDS = (
    "steamid",
    "personaname",
    "profileurl",
    "avatar",
    "avatarmedium",
    "avatarfull",
    "communityvisibilitystate",
)
_MATCH_FIELDS = (
    "match_id",
    "radiant_win",
    "radiant_score",
    "dire_score",
    "start_time",
    "duration",
    "lobby_type",
    "game_mode",
)
_PLAYER_FIELDS = ("account_id", "player_slot", "team_number", "hero_id", "kills", "deaths", "assists")


class SteamUnavailable(ServiceUnavailable):
    default_code = "steam_unavailable"


class SteamNotFound(NotFound):
    default_code = "steam_not_found"


# --- the shared budget ------------------------------------------------------------------------


def _backoff_check() -> None:
    until = cache.get("steam:backoff")
    if until and until > time.time():
        raise SteamUnavailable(
            "Steam asked Arena to slow down; try again shortly.",
            code="steam_throttled",
            retry_after=max(1, math.ceil(until - time.time())),
        )


def _backoff_start(seconds: int) -> None:
    cache.set("steam:backoff", time.time() + seconds, timeout=seconds)


def _budget_spend() -> None:
    """Take one call from the budget, or refuse with the seconds until it refills. Counted by
    django-ratelimit (as api/throttle.py), whose cache.add + cache.incr are atomic in Redis, so
    every ASGI process and Celery worker sharing REDIS_URL counts against the same number."""
    usage = get_usage(
        None, group="steam.budget", key=lambda group, request: "all", rate=settings.STEAM_RATE_LIMIT, increment=True
    )
    if usage and usage["should_limit"]:
        raise SteamUnavailable(
            "Arena has used up its Steam request budget for now; try again shortly.",
            code="steam_throttled",
            retry_after=max(1, usage["time_left"]),
        )


# --- HTTP -------------------------------------------------------------------------------------


def _get(path: str, params: dict) -> dict:
    key = settings.STEAM_API_KEY
    if not key:
        raise SteamUnavailable("Steam is not configured on this server (STEAM_API_KEY).", code="steam_not_configured")
    _backoff_check()
    _budget_spend()
    try:
        with httpx.Client(
            base_url=settings.STEAM_API_URL,
            timeout=settings.STEAM_HTTP_TIMEOUT,
            headers={"x-webapi-key": key, "Accept": "application/json"},
        ) as client:
            response = client.get(path, params={**params, "format": "json"})
    except httpx.TimeoutException as exc:
        logger.warning("Steam timed out on %s: %r", path, exc)
        raise SteamUnavailable("Steam did not answer in time; try again later.") from exc
    except httpx.HTTPError as exc:
        logger.warning("Steam unreachable on %s: %r", path, exc)
        raise SteamUnavailable("Could not reach Steam; try again later.") from exc
    status = response.status_code
    if status == 429:
        retry_after = _retry_after(response)
        _backoff_start(retry_after)
        raise SteamUnavailable(
            "Steam is rate limiting Arena; try again shortly.", code="steam_throttled", retry_after=retry_after
        )
    if status in (401, 403):
        logger.error("Steam refused the API key on %s (HTTP %s)", path, status)
        raise SteamUnavailable("Steam refused Arena's API key.")
    if status >= 400:
        logger.warning("Steam answered HTTP %s on %s", status, path)
        raise SteamUnavailable(f"Steam is having trouble (HTTP {status}); try again later.")
    try:
        body = response.json()
    except ValueError as exc:
        raise SteamUnavailable("Steam sent an unreadable answer; try again later.") from exc
    if not isinstance(body, dict):
        raise SteamUnavailable("Steam sent an unexpected answer; try again later.")
    return body


def _retry_after(response: httpx.Response) -> int:
    try:
        return max(1, min(int(response.headers.get("Retry-After", "")), 3600))
    except ValueError:
        return 60


def _ttl(kind: str) -> int:
    return settings.STEAM_CACHE_SECONDS[kind]


# --- the four calls ---------------------------------------------------------------------------


def vanity_resolve(name: str) -> int:
    """A custom URL name (steamcommunity.com/id/<name>) → SteamID64."""
    key = f"steam:vanity:{name.lower()}"
    cached = cache.get(key)
    if cached is None:
        answer = _get("/ISteamUser/ResolveVanityURL/v1/", {"vanityurl": name}).get("response") or {}
        if answer.get("success") == 1 and str(answer.get("steamid", "")).isdigit():
            cached = int(answer["steamid"])
            cache.set(key, cached, _ttl("vanity"))
        elif answer.get("success") == 42:
            cached = _NOTHING
            cache.set(key, cached, _ttl("miss"))
        else:
            raise SteamUnavailable(
                f"Steam could not resolve {name!r} right now ({answer.get('message', 'no reason')})."
            )
    if cached == _NOTHING:
        raise SteamNotFound(f"No Steam profile has the custom URL name {name!r}.")
    return cached


def player_summaries(steam_ids: Iterable[int], *, fresh: bool = False) -> dict[int, dict]:
    """SteamID64s → their public summaries; ids Steam does not know are left out.

    fresh: skip cached answers (the periodic refresh); answers are cached either way.
    """
    wanted = list(dict.fromkeys(int(steam_id) for steam_id in steam_ids))
    found: dict[int, dict] = {}
    if not fresh:
        cached = cache.get_many([f"steam:summary:{steam_id}" for steam_id in wanted])
        for steam_id in list(wanted):
            hit = cached.get(f"steam:summary:{steam_id}")
            if hit is not None:
                wanted.remove(steam_id)
                if hit != _NOTHING:
                    found[steam_id] = hit
    for start in range(0, len(wanted), SUMMARIES_PER_CALL):
        chunk = wanted[start : start + SUMMARIES_PER_CALL]
        body = _get("/ISteamUser/GetPlayerSummaries/v2/", {"steamids": ",".join(str(s) for s in chunk)})
        answered = {}
        for player in (body.get("response") or {}).get("players") or []:
            if str(player.get("steamid", "")).isdigit():
                answered[int(player["steamid"])] = {field: player.get(field) for field in _SUMMARY_FIELDS}
        found.update(answered)
        cache.set_many({f"steam:summary:{s}": answered[s] for s in answered}, _ttl("summary"))
        cache.set_many({f"steam:summary:{s}": _NOTHING for s in chunk if s not in answered}, _ttl("miss"))
    return found


def dota_match_details(match_id: int) -> dict:
    """GetMatchDetails' `result`, trimmed to what Arena uses. A finished match never changes."""
    key = f"steam:dota:match:{match_id}"
    cached = cache.get(key)
    if cached is None:
        result = _get("/IDOTA2Match_570/GetMatchDetails/v1/", {"match_id": match_id}).get("result") or {}
        if "radiant_win" in result:
            cached = {field: result[field] for field in _MATCH_FIELDS if field in result}
            cached["players"] = [_player(p) for p in result.get("players") or []]
            cache.set(key, cached, _ttl("match"))
        else:
            # {"result": {"error": "Match ID not found"}}: unknown, private or not published yet.
            cached = _NOTHING
            cache.set(key, cached, _ttl("miss"))
    if cached == _NOTHING:
        raise SteamNotFound(
            f"Steam has no details for Dota 2 match {match_id} (wrong id, or not published yet).",
            code="dota_match_not_found",
        )
    return cached


def dota_match_history(account_id: int, *, count: int) -> list[dict] | None:
    """A player's most recent public Dota 2 matches; None when they keep their match history private."""
    key = f"steam:dota:history:{account_id}:{count}"
    cached = cache.get(key)
    if cached is None:
        result = (
            _get("/IDOTA2Match_570/GetMatchHistory/v1/", {"account_id": account_id, "matches_requested": count}).get(
                "result"
            )
            or {}
        )
        if result.get("status") == 1:
            cached = [
                {
                    "match_id": m.get("match_id"),
                    "start_time": m.get("start_time"),
                    "lobby_type": m.get("lobby_type"),
                    "players": [_player(p) for p in m.get("players") or []],
                }
                for m in result.get("matches") or []
                if m.get("match_id")
            ]
        elif result.get("status") == 15:  # "Cannot get match history for a user that hasn't allowed it"
            cached = _NOTHING
        else:
            raise SteamUnavailable(f"Steam could not list Dota 2 matches ({result.get('statusDetail', 'no reason')}).")
        cache.set(key, cached, _ttl("history"))
    return None if cached == _NOTHING else cached


def _player(player: dict) -> dict:
    return {field: player[field] for field in _PLAYER_FIELDS if field in player}
