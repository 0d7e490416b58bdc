"""Reads for Steam links and Dota 2 imports."""

from datetime import UTC, datetime

from django.conf import settings

from arena.exceptions import Conflict, Invalid
from competitions.models import Match, RegistrationPlayer
from steam import client, dota
from steam.ids import account_id_of
from steam.models import DotaMatchLink, SteamAccount


def _rostered_accounts(match: Match) -> dict[int, list[tuple[int, str, int]]]:
    """{team id: [(user id, username, Dota account id)]} for the match's two rostered teams, roster order."""
    rows = (
        RegistrationPlayer.objects.filter(
            tournament_id=match.tournament_id, registration__team_id__in=[match.home_team_id, match.away_team_id]
        )
        .order_by("is_substitute", "id")
        .values_list("registration__team_id", "user_id", "user__username")
    )
    linked = dict(
        SteamAccount.objects.filter(user_id__in=[user_id for _, user_id, _ in rows]).values_list("user_id", "steam_id")
    )
    rosters: dict[int, list[tuple[int, str, int]]] = {match.home_team_id: [], match.away_team_id: []}
    for team_id, user_id, username in rows:
        if user_id in linked:
            rosters[team_id].append((user_id, username, account_id_of(linked[user_id])))
    return rosters


def dota_teams(*, match: Match) -> tuple[dota.Team, dota.Team]:
    """The home and away teams with the Dota account ids of their rostered players who linked Steam."""
    rosters = _rostered_accounts(match)
    home, away = match.home_team, match.away_team
    return (
        dota.Team(home.pk, home.name, frozenset(a for _, _, a in rosters[home.pk])),
        dota.Team(away.pk, away.name, frozenset(a for _, _, a in rosters[away.pk])),
    )


def dota_match_check(*, match: Match) -> None:
    """Dota 2 imports and listings need a Dota 2 head-to-head match whose two teams are known."""
    if match.tournament.is_battle_royale:
        raise Invalid("Dota 2 results can only be imported into head-to-head matches.", code="not_head_to_head")
    if match.tournament.game.slug != settings.STEAM_DOTA_GAME_SLUG:
        raise Invalid("This is not a Dota 2 tournament.", code="not_dota")
    if match.home_team_id is None or match.away_team_id is None:
        raise Conflict("Both teams of this match are not known yet.", code="teams_not_set")


def dota_link_get(*, match: Match) -> DotaMatchLink | None:
    return DotaMatchLink.objects.filter(match=match).select_related("radiant_team", "dire_team").first()


def dota_recent_matches(*, match: Match) -> dict:
    """Recent public Dota 2 matches of the two teams' linked players, newest first, to pick the one to import.

    Per team, match histories are read for linked players in roster order until one is public
    (at most STEAM_RECENT_LOOKUPS_PER_TEAM calls per team): one history of each side already
    contains every match the two teams played together. Each match says where the teams' linked
    players were and whether it maps to this match's teams (`mappable`).
    """
    dota_match_check(match=match)
    rosters = _rostered_accounts(match)
    home, away = dota_teams(match=match)
    players, found = [], {}
    for team_id in (match.home_team_id, match.away_team_id):
        lookups, have_public = 0, False
        for _, username, account_id in rosters[team_id]:
            if have_public or lookups >= settings.STEAM_RECENT_LOOKUPS_PER_TEAM:
                players.append({"username": username, "team_id": team_id, "history": "not_checked"})
                continue
            lookups += 1
            history = client.dota_match_history(account_id, count=settings.STEAM_RECENT_MATCHES)
            players.append(
                {"username": username, "team_id": team_id, "history": "private" if history is None else "public"}
            )
            if history is not None:
                have_public = True
                for item in history:
                    found.setdefault(item["match_id"], item)
    matches = []
    for item in sorted(found.values(), key=lambda m: m.get("start_time") or 0, reverse=True):
        mapping = dota.sides_map(dota.players_parse(item["players"]), home, away)
        matches.append(
            {
                "dota_match_id": item["match_id"],
                "started_at": datetime.fromtimestamp(item["start_time"], tz=UTC) if item.get("start_time") else None,
                "lobby_type": item.get("lobby_type"),
                "home_players_radiant": mapping.seen[home.id][dota.RADIANT],
                "home_players_dire": mapping.seen[home.id][dota.DIRE],
                "away_players_radiant": mapping.seen[away.id][dota.RADIANT],
                "away_players_dire": mapping.seen[away.id][dota.DIRE],
                "home_side": mapping.home_side,
                "mappable": mapping.home_side is not None,
                "reason": mapping.reason,
            }
        )
    return {"matches": matches, "players": players}
