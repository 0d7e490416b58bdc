"""Reads of standings and qualification: the standings tables (REST, cached per tournament version, and the
live feeds' table from the database), each battle-royale team's qualification outlook, and the tournament
cache version every result bumps. Re-exported by competitions.selectors, the one import path for callers."""

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from arena.exceptions import NotFound
from competitions import qualification, scoring
from competitions.models import Match, Standing, Tournament


def standings_get(
    *, tournament: Tournament, round_number: int | None = None, group: str | None = None
) -> QuerySet[Standing]:
    rows = Standing.objects.filter(tournament=tournament).select_related("team")
    if round_number is None and group is None:
        return rows.filter(round__isnull=True, group__isnull=True)
    if round_number is None:
        raise NotFound("Give ?round= with ?group=.")
    if group is None:
        return rows.filter(round__number=round_number, group__isnull=True)
    return rows.filter(group__round__number=round_number, group__name=group)


STANDINGS_CACHE_SECONDS = 300


# Cached reads are kept per scope, each with a version that every change to it bumps: one tournament's
# reads ("tournament:<id>", tournament_scope) and the public tournament list's pages (LISTING).
LISTING = "listing"


def tournament_scope(tournament_id: int) -> str:
    return f"tournament:{tournament_id}"


def _version_key(scope: str) -> str:
    return f"competitions:{scope}:version"


def cache_version(*, scope: str) -> int:
    """The scope's version: 0 until its first change. Reading never writes, so reads of ids that do
    not exist (a client walking through them) leave no key behind; only a change creates one."""
    return cache.get(_version_key(scope)) or 0


def tournament_cache_version(*, tournament_id: int) -> int:
    return cache_version(scope=tournament_scope(tournament_id))


def _read_key(scope: str, name: str) -> str:
    return f"competitions:{scope}:read:{name}"


def read_cached(*, scope: str, name: str):
    """A value stored by read_cache_set at the scope's current version, else None.
    One Redis round trip (the version and the entry together): a warm read's whole cost."""
    version_key, key = _version_key(scope), _read_key(scope, name)
    found = cache.get_many([version_key, key])
    entry = found.get(key)
    if entry is None or entry[0] != found.get(version_key, 0):
        return None
    return entry[1]


def read_cache_set(*, scope: str, name: str, version: int, value, timeout: float = STANDINGS_CACHE_SECONDS) -> None:
    """Store `value` for reads at `version` (read with cache_version before the data)."""
    cache.set(_read_key(scope, name), (version, value), timeout)


def tournament_cache_invalidate(*, tournament_id: int) -> None:
    """Every cached read of this tournament, and every cached page of the public list (which may show
    it), becomes stale at once (entries carry the version they were read at)."""
    for scope in (tournament_scope(tournament_id), LISTING):
        try:
            cache.incr(_version_key(scope))
        except ValueError:  # no change yet (version 0), or the key was evicted: start at 1
            if not cache.add(_version_key(scope), 1, timeout=None):
                cache.incr(_version_key(scope))  # another change created it meanwhile


def standings_rows(*, tournament: Tournament, round_number: int | None = None, group: str | None = None) -> list[dict]:
    """Standings as plain rows (competitions.schemas.StandingRow), read from the database. GET standings
    stores what it renders from them per tournament version (api.cached), so spectators polling the
    same table cost one read per change."""
    outlooks = qualification_outlooks(tournament_id=tournament.pk)
    scope = outlooks.get(round_number if round_number is not None else max(outlooks, default=None), {})
    return [
        standing_row(row, qualification=scope.get(row.team_id))
        for row in standings_get(tournament=tournament, round_number=round_number, group=group)
    ]


def _qualification_key(tournament_id: int) -> str:
    version = tournament_cache_version(tournament_id=tournament_id)
    return f"competitions:tournament:{tournament_id}:v{version}:qualification"


def qualification_outlooks(*, tournament_id: int) -> dict[int, dict[int, dict]]:
    """Battle royale: round number -> team id -> its qualification in its group of that round
    ({status, best_rank, worst_rank, points_needed}, competitions.qualification). Head-to-head
    formats have no qualification places: {}.

    Computed once per standings change: cached under the tournament's version, which every result
    bumps, so the REST tables, the WebSocket messages and the spectator page all read one computation."""
    key = _qualification_key(tournament_id)
    outlooks = cache.get(key)
    if outlooks is None:
        group_rows = _rows_with_left().filter(tournament_id=tournament_id, group__isnull=False)
        outlooks = _qualification_compute(list(group_rows))
        cache.set(key, outlooks, STANDINGS_CACHE_SECONDS)
    return outlooks


def _rows_with_left() -> QuerySet[Standing]:
    """Standing rows with their team, group and round and, for group rows (only battle royale has
    them), the group's matches still to play (`left`). Not the tournament: a copy of its row (and its
    JSON fields, decoded) on every standing row was a third of reading the live table."""
    left = (
        Match.objects.filter(group=OuterRef("group_id"))
        .exclude(status__in=[Match.Status.COMPLETED, Match.Status.CANCELLED])
        .values("group_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Standing.objects.select_related("group__round", "team").annotate(left=Coalesce(Subquery(left), 0))


def _qualification_compute(group_rows: list[Standing]) -> dict[int, dict[int, dict]]:
    """Each group's outlook under the tournament's scoring rules. Best-of-N scoring is not additive
    (a later match can replace an earlier one), so it has no outlook ({}); disqualified teams play no
    further match and rank last: they are left out of their group's computation."""
    from competitions.services import BR_KILLS_MAX

    rows: dict[int, list[Standing]] = {}
    for row in group_rows:
        if row.status != Standing.Status.DISQUALIFIED:
            rows.setdefault(row.group_id, []).append(row)
    if not rows:
        return {}
    tournament = Tournament.objects.only(
        "points_table", "kill_points", "scoring", "qualify_per_group", "rounds_count"
    ).get(pk=next(iter(rows.values()))[0].tournament_id)
    rules = scoring.rules_from(
        points_table=tournament.points_table, kill_points=tournament.kill_points, scoring=tournament.scoring
    )
    if rules.best_of is not None:
        return {}
    max_kills = BR_KILLS_MAX if rules.kill_cap is None else min(rules.kill_cap, BR_KILLS_MAX)
    scorings: dict[int, qualification.Scoring] = {}
    outlooks: dict[int, dict[int, dict]] = {}
    for group_rows_ in rows.values():
        number, lobby = group_rows_[0].group.round.number, len(group_rows_)
        if lobby not in scorings:
            placements, kills = scoring.one_match_scores(rules, lobby=lobby, max_kills=max_kills)
            scorings[lobby] = qualification.Scoring(placement_points=placements, kill_points=kills)
        ordered = sorted(group_rows_, key=lambda row: (row.rank or lobby + 1, row.team_id))
        # Only rounds before the last send teams on (round_advance takes the top qualify_per_group).
        places = tournament.qualify_per_group if number < tournament.rounds_count else None
        result = qualification.group_outlook(
            {row.team_id: row.points for row in group_rows_},
            remaining=group_rows_[0].left,
            scoring=scorings[lobby],
            places=places,
            order=[row.team_id for row in ordered],
            ranks={row.team_id: row.rank for row in group_rows_},
        )
        outlooks.setdefault(number, {}).update({team_id: outlook.as_dict() for team_id, outlook in result.items()})
    return outlooks


STANDING_FIELDS = (
    "points", "matches_played", "wins", "kills", "placement_points", "draws", "losses", "score_for", "score_against",
    "head_start",
)  # fmt: skip


def standing_row(row: Standing, *, qualification: dict | None) -> dict:
    """One row of competitions.schemas.StandingRow: the same for REST and WebSocket."""
    return {
        "rank": row.rank,
        "team": _team(row.team),
        "team_id": row.team_id,  # deprecated (StandingRow.team_id): the old WebSocket row's key
        **{field: getattr(row, field) for field in STANDING_FIELDS},
        "status": row.status or None,
        "decided_by": row.decided_by or None,
        "qualification": qualification,
    }


def standings_table(*, tournament_id: int) -> list[dict]:
    """The overall table, read from the database (never the cache): what the live feeds send. Each
    row's qualification is the team's in its group of the latest round (None once it went out earlier).
    Right after a result the outlooks are not cached yet: one query then reads the overall and the
    group rows together."""
    overall = Q(round__isnull=True, group__isnull=True)
    key = _qualification_key(tournament_id)
    outlooks = cache.get(key)
    if outlooks is None:
        rows = list(_rows_with_left().filter(overall | Q(group__isnull=False), tournament_id=tournament_id))
        outlooks = _qualification_compute([row for row in rows if row.group_id is not None])
        cache.set(key, outlooks, STANDINGS_CACHE_SECONDS)
        rows = sorted((row for row in rows if row.group_id is None and row.round_id is None), key=_by_rank)
    else:
        rows = Standing.objects.filter(overall, tournament_id=tournament_id).select_related("team")
        rows = sorted(rows, key=_by_rank)
    latest = outlooks.get(max(outlooks, default=None), {})
    return [standing_row(row, qualification=latest.get(row.team_id)) for row in rows]


def _by_rank(row: Standing) -> tuple[int, int]:
    return (row.rank, row.team_id)


def _team(team) -> dict | None:
    return {"id": team.id, "name": team.name, "tag": team.tag} if team else None
