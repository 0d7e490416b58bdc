"""Career statistics, moved by the competitions services inside their transactions.

Every change is an F() increment on a row created up front, so concurrent results for
different matches never lose an update.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db.models import Case, F, IntegerField, Value, When

from competitions.models import Match, PlayerStats, RegistrationPlayer, TeamStats, Tournament


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


def _bump_many(model, key: str, deltas: dict[int, Counter]) -> None:
    """Many rows, each by its own amounts, in a fixed number of statements whatever their count: lock
    the rows in primary-key order (concurrent tasks never deadlock), create the missing ones (rarely
    any: tournament_started creates them), then one UPDATE with a CASE per field."""
    deltas = {i: d for i, d in deltas.items() if any(d.values())}
    if not deltas:
        return
    ids = sorted(deltas)
    existing = set(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    if missing := [i for i in ids if i not in existing]:
        model.objects.bulk_create([model(**{f"{key}_id": i}) for i in missing], ignore_conflicts=True)
    fields = sorted({field for d in deltas.values() for field, amount in d.items() if amount})
    model.objects.filter(pk__in=ids).update(
        **{
            field: F(field)
            + Case(
                *[When(pk=i, then=Value(d[field])) for i, d in deltas.items() if d[field]],
                default=Value(0),
                output_field=IntegerField(),
            )
            for field in fields
        }
    )


def results_change_applied(
    *, match: Match, before: dict | None, after: dict, rosters: dict[int, list[tuple[int, bool]]]
) -> None:
    """Career stats moved by one results change: `after` counts, `before` (a corrected result) is
    taken back. Snapshots are ResultAudit's; rosters maps team -> [(user_id, is_substitute)]."""
    teams: dict[int, Counter] = defaultdict(Counter)
    players: dict[int, Counter] = defaultdict(Counter)
    for snapshot, sign in ((before, -1), (after, 1)):
        for team_id, win, placement, kills, player_kills in _outcomes(match, snapshot):
            starters = [user for user, substitute in rosters.get(team_id, []) if not substitute]
            teams[team_id].update(matches_played=sign, wins=sign * win)
            # Who played: the players credited with kills, else the rostered starters.
            for user_id in [int(u) for u in player_kills] or starters:
                players[user_id].update(matches_played=sign, wins=sign * win)
            if placement is not None:
                teams[team_id].update(kills=sign * kills, placement_total=sign * placement, placements_counted=sign)
                for user_id in [int(u) for u in player_kills] or starters:
                    players[user_id].update(placement_total=sign * placement, placements_counted=sign)
                for user_id, user_kills in player_kills.items():
                    players[int(user_id)].update(kills=sign * user_kills)
    _bump_many(TeamStats, "team", teams)
    _bump_many(PlayerStats, "user", players)


def _outcomes(match: Match, snapshot: dict | None):
    """(team_id, win, placement or None, kills, player_kills) per team of a result snapshot."""
    if not snapshot:
        return
    if "results" in snapshot:
        for row in snapshot["results"]:
            yield (
                row["team_id"],
                int(row["placement"] == 1),
                row["placement"],
                row["kills"],
                row.get("player_kills", {}),
            )
        return
    forfeit = snapshot.get("forfeit")
    if forfeit:
        # Who forfeited loses; a double forfeit is won by nobody.
        yield match.home_team_id, int(forfeit == "away"), None, 0, {}
        yield match.away_team_id, int(forfeit == "home"), None, 0, {}
        return
    home, away = snapshot["home_score"], snapshot["away_score"]
    yield match.home_team_id, int(home > away), None, 0, {}
    yield match.away_team_id, int(away > home), None, 0, {}
