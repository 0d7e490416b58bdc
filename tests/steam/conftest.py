"""Steam Web API fakes (respx, at the HTTP layer) with payloads shaped like Valve's documentation."""

import time

import httpx
import pytest
import respx
from django.db import connection

from steam.ids import ID64_BASE
from tests.factories import UserFactory

STEAM = "https://api.steampowered.com"
VANITY = "/ISteamUser/ResolveVanityURL/v1/"
SUMMARIES = "/ISteamUser/GetPlayerSummaries/v2/"
DETAILS = "/IDOTA2Match_570/GetMatchDetails/v1/"
HISTORY = "/IDOTA2Match_570/GetMatchHistory/v1/"
GABEN = 76561197960287930


@pytest.fixture(autouse=True)
def _steam_settings(settings):
    settings.STEAM_API_KEY = "TEST-STEAM-KEY"
    settings.STEAM_API_URL = STEAM
    settings.STEAM_RATE_LIMIT = "1000/m"


@pytest.fixture
def host(db):
    return UserFactory(role="host", host_status="approved")


@pytest.fixture
def steam_api():
    """Every request to Steam must match a route; an unexpected one fails the test."""
    with respx.mock(base_url=STEAM, assert_all_called=False) as mock:
        yield mock


def vanity_found(steam_id: int) -> httpx.Response:
    return httpx.Response(200, json={"response": {"steamid": str(steam_id), "success": 1}})


def vanity_missing() -> httpx.Response:
    return httpx.Response(200, json={"response": {"success": 42, "message": "No match"}})


def summary(steam_id: int, name: str = "gaben") -> dict:
    avatar = f"https://avatars.steamstatic.com/{steam_id:x}"
    return {
        "steamid": str(steam_id),
        "communityvisibilitystate": 3,
        "profilestate": 1,
        "personaname": name,
        "commentpermission": 1,
        "profileurl": f"https://steamcommunity.com/profiles/{steam_id}/",
        "avatar": f"{avatar}.jpg",
        "avatarmedium": f"{avatar}_medium.jpg",
        "avatarfull": f"{avatar}_full.jpg",
        "avatarhash": f"{steam_id:x}",
        "lastlogoff": 1700000000,
        "personastate": 0,
        "primaryclanid": "103582791429521408",
        "timecreated": 1063407589,
        "personastateflags": 0,
    }


def summaries(*players: dict) -> httpx.Response:
    return httpx.Response(200, json={"response": {"players": list(players)}})


def account_id(steam_id: int) -> int:
    return steam_id - ID64_BASE


def dota_player(steam_id: int | None, slot: int, *, kills: int = 0) -> dict:
    """slot 0–4 Radiant, 128–132 Dire (player_slot's high bit), as GetMatchDetails reports it."""
    return {
        "account_id": account_id(steam_id) if steam_id else 4294967295,
        "player_slot": slot,
        "team_number": 1 if slot >= 128 else 0,
        "team_slot": slot & 0x7F,
        "hero_id": 1 + (slot & 0x7F),
        "item_0": 63,
        "kills": kills,
        "deaths": 3,
        "assists": 7,
        "leaver_status": 0,
        "last_hits": 120,
        "denies": 8,
        "gold_per_min": 480,
        "xp_per_min": 550,
        "level": 22,
    }


def details(match_id: int, *, radiant: list, dire: list, radiant_win: bool, radiant_score: int, dire_score: int):
    """radiant/dire: SteamID64s (None for an anonymous player) in slot order."""
    players = [dota_player(s, slot, kills=radiant_score // max(len(radiant), 1)) for slot, s in enumerate(radiant)]
    players += [dota_player(s, 128 + slot, kills=dire_score // max(len(dire), 1)) for slot, s in enumerate(dire)]
    return httpx.Response(
        200,
        json={
            "result": {
                "players": players,
                "radiant_win": radiant_win,
                "duration": 2412,
                "pre_game_duration": 90,
                "start_time": 1763800000,
                "match_id": match_id,
                "match_seq_num": 6500000000 + match_id % 1000,
                "tower_status_radiant": 1974,
                "tower_status_dire": 0,
                "barracks_status_radiant": 63,
                "barracks_status_dire": 0,
                "cluster": 156,
                "first_blood_time": 75,
                "lobby_type": 1,
                "human_players": 10,
                "leagueid": 0,
                "game_mode": 2,
                "flags": 1,
                "engine": 1,
                "radiant_score": radiant_score,
                "dire_score": dire_score,
                "picks_bans": [],
            }
        },
    )


def details_missing() -> httpx.Response:
    return httpx.Response(200, json={"result": {"error": "Match ID not found"}})


def history_match(match_id: int, start_time: int, *, radiant: list, dire: list, lobby_type: int = 1) -> dict:
    return {
        "match_id": match_id,
        "match_seq_num": 6500000000 + match_id % 1000,
        "start_time": start_time,
        "lobby_type": lobby_type,
        "radiant_team_id": 0,
        "dire_team_id": 0,
        "players": [
            {"account_id": account_id(s) if s else 4294967295, "player_slot": slot, "team_number": 0, "hero_id": 5}
            for slot, s in enumerate(radiant)
        ]
        + [
            {
                "account_id": account_id(s) if s else 4294967295,
                "player_slot": 128 + slot,
                "team_number": 1,
                "hero_id": 9,
            }
            for slot, s in enumerate(dire)
        ],
    }


def history(*matches: dict) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "result": {
                "status": 1,
                "num_results": len(matches),
                "total_results": 500,
                "results_remaining": 500 - len(matches),
                "matches": list(matches),
            }
        },
    )


def history_private() -> httpx.Response:
    return httpx.Response(
        200,
        json={"result": {"status": 15, "statusDetail": "Cannot get match history for a user that hasn't allowed it"}},
    )


def wait_until_queries_wait_on_locks(count: int = 1, timeout: float = 10) -> None:
    """PostgreSQL: block until `count` other connections wait on locks (a race set up on purpose)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('transactionid', 'tuple')")
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"{count} other connection(s) never waited on a lock")
