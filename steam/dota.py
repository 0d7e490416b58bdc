"""Dota 2 match data → an Arena head-to-head result. Pure functions, no I/O.

Teams are matched to Radiant and Dire through their rostered players' linked Steam accounts:
a team plays on the side where most of its linked players who appear in the match were.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from steam.ids import ANONYMOUS_ACCOUNT_ID

RADIANT, DIRE = "radiant", "dire"


class UnusableMatch(ValueError):
    """Steam's answer lacks what a result needs."""


@dataclass(frozen=True)
class DotaPlayer:
    account_id: int
    side: str
    kills: int = 0


@dataclass(frozen=True)
class DotaResult:
    match_id: int
    radiant_win: bool
    radiant_score: int
    dire_score: int
    start_time: int | None
    duration: int | None
    players: tuple[DotaPlayer, ...]


@dataclass(frozen=True)
class Team:
    id: int
    name: str
    account_ids: frozenset[int]


@dataclass(frozen=True)
class SideMapping:
    """home_side is RADIANT or DIRE, or None with a reason when the teams cannot be placed."""

    home_side: str | None
    reason: str = ""
    # {team id: {"radiant": n, "dire": n}}: how many of its linked players were seen on each side.
    seen: Mapping[int, Mapping[str, int]] | None = None


def player_side(player: Mapping) -> str:
    # team_number is the newer field; player_slot's high bit (128+) has always meant Dire.
    if player.get("team_number") in (0, 1):
        return RADIANT if player["team_number"] == 0 else DIRE
    return DIRE if int(player.get("player_slot", 0)) & 0x80 else RADIANT


def players_parse(players: Iterable[Mapping]) -> tuple[DotaPlayer, ...]:
    parsed = []
    for player in players:
        account_id = player.get("account_id")
        if account_id is None or account_id == ANONYMOUS_ACCOUNT_ID:
            continue
        parsed.append(
            DotaPlayer(account_id=int(account_id), side=player_side(player), kills=int(player.get("kills", 0)))
        )
    return tuple(parsed)


def match_details_parse(result: Mapping) -> DotaResult:
    """GetMatchDetails' `result` → DotaResult. Raises UnusableMatch when the winner is missing
    or a field is not what Valve documents (a null score, a text time, …)."""
    if "radiant_win" not in result:
        raise UnusableMatch("Steam's match details have no winner.")
    try:
        return _match_details(result)
    except (TypeError, ValueError, AttributeError) as exc:
        raise UnusableMatch(f"Steam's match details could not be read ({exc}).") from exc


def _match_details(result: Mapping) -> DotaResult:
    players = players_parse(result.get("players", []))
    raw_players = result.get("players", [])

    def kills(side: str) -> int:
        return sum(int(p.get("kills", 0)) for p in raw_players if player_side(p) == side)

    def optional_int(field: str) -> int | None:
        return None if result.get(field) is None else int(result[field])

    return DotaResult(
        match_id=int(result.get("match_id", 0)),
        radiant_win=bool(result["radiant_win"]),
        # radiant_score / dire_score are the sides' kills; older matches only have per-player kills.
        radiant_score=int(result["radiant_score"]) if "radiant_score" in result else kills(RADIANT),
        dire_score=int(result["dire_score"]) if "dire_score" in result else kills(DIRE),
        start_time=optional_int("start_time"),
        duration=optional_int("duration"),
        players=players,
    )


def sides_map(players: Iterable[DotaPlayer], home: Team, away: Team) -> SideMapping:
    players = list(players)
    seen: dict[int, dict[str, int]] = {}
    sides: dict[int, str] = {}
    for team in (home, away):
        counts = {RADIANT: 0, DIRE: 0}
        for player in players:
            if player.account_id in team.account_ids:
                counts[player.side] += 1
        seen[team.id] = counts
    for team in (home, away):
        counts = seen[team.id]
        if not team.account_ids:
            return SideMapping(None, f"No player on {team.name}'s roster has linked a Steam account.", seen)
        if counts[RADIANT] == counts[DIRE] == 0:
            return SideMapping(None, f"None of {team.name}'s linked Steam accounts played in this Dota 2 match.", seen)
        if counts[RADIANT] == counts[DIRE]:
            return SideMapping(None, f"{team.name}'s linked players were split evenly between Radiant and Dire.", seen)
        sides[team.id] = RADIANT if counts[RADIANT] > counts[DIRE] else DIRE
    if sides[home.id] == sides[away.id]:
        return SideMapping(None, f"Most linked players of both teams were on {sides[home.id].title()}.", seen)
    return SideMapping(sides[home.id], "", seen)


@dataclass(frozen=True)
class H2HScore:
    home_score: int
    away_score: int
    home_kills: int
    away_kills: int
    home_won: bool
    note: str = ""


def h2h_score(result: DotaResult, home_side: str) -> H2HScore:
    """The score is each side's kills, unless that would name the wrong winner.

    Arena's head-to-head result derives the winner from the score, while Dota is won by the
    Ancient: a team can win with fewer kills. Then the winner must still be right (it moves
    through the bracket), so the score is recorded as 1–0 and the kills are kept on the link.
    """
    home_kills = result.radiant_score if home_side == RADIANT else result.dire_score
    away_kills = result.dire_score if home_side == RADIANT else result.radiant_score
    home_won = result.radiant_win == (home_side == RADIANT)
    if (home_kills > away_kills) == home_won and home_kills != away_kills:
        return H2HScore(home_kills, away_kills, home_kills, away_kills, home_won)
    note = f"The winner had no more kills ({home_kills}–{away_kills}); recorded as 1–0 for the winner."
    return H2HScore(int(home_won), int(not home_won), home_kills, away_kills, home_won, note)
