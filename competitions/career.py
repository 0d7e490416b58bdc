"""Career statistics, moved by the competitions services inside their transactions.

Every change is an F() increment on a row created up front, so concurrent results for
different matches never lose an update.
"""

from collections.abc import Iterable

from django.db.models import F

from competitions.models import Match, MatchResult, PlayerStats, RegistrationPlayer, TeamStats, Tournament


def _bump(model, key: str, ids: Iterable[int], **deltas: int) -> None:
    ids = list(ids)
    if not ids or not any(deltas.values()):
        return
    model.objects.bulk_create([model(**{f"{key}_id": i}) for i in ids], ignore_conflicts=True)
    model.objects.filter(**{f"{key}_id__in": ids}).update(**{f: F(f) + d for f, d in deltas.items() if d})


def starters(tournament: Tournament, team_ids: Iterable[int]) -> dict[int, list[int]]:
    rows = RegistrationPlayer.objects.filter(tournament=tournament, registration__team_id__in=list(team_ids))
    starters: dict[int, list[int]] = {}
    for team_id, user_id in rows.filter(is_substitute=False).values_list("registration__team_id", "user_id"):
        starters.setdefault(team_id, []).append(user_id)
    return starters


def tournament_started(*, tournament: Tournament, team_ids: list[int]) -> None:
    _bump(TeamStats, "team", team_ids, tournaments_played=1)
    for players in starters(tournament, team_ids).values():
        _bump(PlayerStats, "user", players, tournaments_played=1)


def tournament_won(*, tournament: Tournament, team_id: int) -> None:
    _bump(TeamStats, "team", [team_id], tournaments_won=1)
    _bump(PlayerStats, "user", starters(tournament, [team_id]).get(team_id, []), tournaments_won=1)


def br_results_applied(*, tournament: Tournament, results: Iterable[MatchResult], sign: int) -> None:
    """sign=-1 takes back a result being corrected."""
    results = list(results)
    rostered = starters(tournament, [r.team_id for r in results])
    for result in results:
        win = int(result.placement == 1)
        _bump(
            TeamStats, "team", [result.team_id],
            matches_played=sign, wins=sign * win, kills=sign * result.kills,
            placement_total=sign * result.placement, placements_counted=sign,
        )  # fmt: skip
        # Who played: the players credited with kills, else the rostered starters.
        players = [int(uid) for uid in result.player_kills] or rostered.get(result.team_id, [])
        _bump(
            PlayerStats, "user", players,
            matches_played=sign, wins=sign * win, placement_total=sign * result.placement, placements_counted=sign,
        )  # fmt: skip
        for user_id, kills in result.player_kills.items():
            _bump(PlayerStats, "user", [int(user_id)], kills=sign * kills)


def h2h_result_applied(*, match: Match, sign: int) -> None:
    teams = [match.home_team_id, match.away_team_id]
    rostered = starters(match.tournament, teams)
    for team_id in teams:
        win = int(match.winner_id == team_id)
        _bump(TeamStats, "team", [team_id], matches_played=sign, wins=sign * win)
        _bump(PlayerStats, "user", rostered.get(team_id, []), matches_played=sign, wins=sign * win)
