"""Reads for the competitions API and the live feeds."""

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When

from accounts.models import User
from arena.exceptions import NotFound
from competitions import access
from competitions.models import (
    Game,
    Group,
    Match,
    MatchResult,
    Registration,
    RegistrationPlayer,
    Round,
    Standing,
    Tournament,
)

PLAN_ORDER = Case(
    When(listing_plan=Tournament.ListingPlan.PREMIUM, then=Value(0)),
    When(listing_plan=Tournament.ListingPlan.FEATURED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def game_list() -> QuerySet[Game]:
    return Game.objects.all()


def tournament_list(
    *,
    user: User | None,
    game: str | None = None,
    status: str | None = None,
    mode: str | None = None,
    q: str | None = None,
) -> QuerySet[Tournament]:
    """Published tournaments (and the caller's own drafts); premium, then featured, then the rest."""
    visible = ~Q(status=Tournament.Status.DRAFT)
    if user is not None and user.is_authenticated:
        visible |= Q(host=user)
    tournaments = (
        Tournament.objects.filter(visible)
        .select_related("game", "host")
        .annotate(
            registered_teams=Count(
                "registrations", filter=Q(registrations__status__in=Registration.ACTIVE), distinct=True
            ),
            plan_order=PLAN_ORDER,
        )
    )
    if game:
        tournaments = tournaments.filter(game__slug=game)
    if status:
        tournaments = tournaments.filter(status=status)
    if mode:
        tournaments = tournaments.filter(mode=mode)
    if q:
        tournaments = tournaments.filter(Q(title__icontains=q) | Q(game__name__icontains=q))
    return tournaments.order_by("plan_order", "starts_at", "id")


def tournament_get(
    *, tournament_id: int, user: User | None, mode: str | None = None, cached: bool = True
) -> Tournament:
    """One tournament as its page shows it, from the cache while nothing changed (the key carries the
    tournament's version, bumped after every write): a spectator's read costs no query.
    cached=False reads the database (and refreshes the cache), for a response right after a write."""
    key = f"competitions:tournament:{tournament_id}:v{tournament_cache_version(tournament_id=tournament_id)}"
    tournament = cache.get(key) if cached else None
    if tournament is None:
        tournament = (
            Tournament.objects.filter(pk=tournament_id)
            .select_related("game", "host", "winner", "runner_up", "third_place")
            .annotate(
                registered_teams=Count(
                    "registrations", filter=Q(registrations__status__in=Registration.ACTIVE), distinct=True
                )
            )
            .first()
        )
        if tournament is None:
            raise NotFound("No such tournament.")
        cache.set(key, tournament, STANDINGS_CACHE_SECONDS)
    visible = tournament.status != Tournament.Status.DRAFT or (
        user is not None and user.is_authenticated and tournament.host_id == user.pk
    )
    if not visible or (mode and tournament.mode != mode):
        raise NotFound("No such tournament.")
    return tournament


def can_see_room(*, tournament: Tournament, user: User | None) -> bool:
    """Room id and password: the host and the tournament's rostered players only."""
    if user is None or not user.is_authenticated:
        return False
    if access.manages(tournament=tournament, user=user):
        return True
    return RegistrationPlayer.objects.filter(tournament=tournament, user=user).exists()


def registration_list(*, tournament: Tournament) -> QuerySet[Registration]:
    return tournament.registrations.select_related("team").prefetch_related(
        Prefetch("players", queryset=RegistrationPlayer.objects.select_related("user"))
    )


def round_list(*, tournament: Tournament) -> QuerySet[Round]:
    return tournament.rounds.prefetch_related(
        Prefetch("groups", queryset=Group.objects.prefetch_related("teams")),
        Prefetch("matches", queryset=_matches()),
    )


def _matches() -> QuerySet[Match]:
    return Match.objects.select_related("round", "group", "home_team", "away_team", "winner").prefetch_related(
        Prefetch("results", queryset=MatchResult.objects.select_related("team"))
    )


def match_list(*, tournament: Tournament) -> QuerySet[Match]:
    return _matches().filter(tournament=tournament)


def match_get(*, match_id: int, user: User | None) -> Match:
    match = _matches().select_related("tournament").filter(pk=match_id).first()
    if match is None or (
        match.tournament.status == Tournament.Status.DRAFT and match.tournament.host_id != getattr(user, "pk", None)
    ):
        raise NotFound("No such match.")
    return match


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


def _version_key(tournament_id: int) -> str:
    return f"competitions:tournament:{tournament_id}:version"


def tournament_cache_version(*, tournament_id: int) -> int:
    version = cache.get(_version_key(tournament_id))
    if version is None:
        cache.add(_version_key(tournament_id), 1, timeout=None)
        version = cache.get(_version_key(tournament_id))
    return version or 1


def _read_key(tournament_id: int, name: str) -> str:
    return f"competitions:tournament:{tournament_id}:read:{name}"


def tournament_read_cached(*, tournament_id: int, name: str):
    """A value stored by tournament_read_cache_set at the tournament's current version, else None.
    One Redis round trip (the version and the entry together): a warm read's whole cost."""
    version_key, key = _version_key(tournament_id), _read_key(tournament_id, name)
    found = cache.get_many([version_key, key])
    entry = found.get(key)
    if entry is None or version_key not in found or entry[0] != found[version_key]:
        return None
    return entry[1]


def tournament_read_cache_set(*, tournament_id: int, name: str, version: int, value) -> None:
    """Store `value` for reads at `version` (read with tournament_cache_version before the data)."""
    cache.set(_read_key(tournament_id, name), (version, value), STANDINGS_CACHE_SECONDS)


def tournament_cache_invalidate(*, tournament_id: int) -> None:
    """Every cached read of this tournament becomes stale at once (keys carry the version)."""
    try:
        cache.incr(_version_key(tournament_id))
    except ValueError:
        cache.add(_version_key(tournament_id), 2, timeout=None)


def standings_rows(*, tournament: Tournament, round_number: int | None = None, group: str | None = None) -> list[dict]:
    """Standings as plain rows, cached in Redis per tournament version: thousands of spectators
    polling the same table cost one query per change, not one per request."""
    version = tournament_cache_version(tournament_id=tournament.pk)
    key = f"competitions:tournament:{tournament.pk}:v{version}:standings:{round_number}:{group}"
    rows = cache.get(key)
    if rows is None:
        rows = [
            {
                "rank": row.rank,
                "team": {"id": row.team.id, "name": row.team.name, "tag": row.team.tag},
                **{field: getattr(row, field) for field in STANDING_FIELDS},
                "decided_by": row.decided_by or None,
            }
            for row in standings_get(tournament=tournament, round_number=round_number, group=group)
        ]
        cache.set(key, rows, STANDINGS_CACHE_SECONDS)
    return rows


STANDING_FIELDS = (
    "points", "matches_played", "wins", "kills", "placement_points", "draws", "losses", "score_for", "score_against",
)  # fmt: skip


def standings_table(*, tournament_id: int) -> list[dict]:
    rows = Standing.objects.filter(tournament_id=tournament_id, round__isnull=True, group__isnull=True)
    return [
        {
            "rank": row.rank,
            "team_id": row.team_id,
            "team": row.team.name,
            "points": row.points,
            "wins": row.wins,
            "kills": row.kills,
            "matches_played": row.matches_played,
            "decided_by": row.decided_by or None,
        }
        for row in rows.select_related("team").order_by("rank", "team_id")
    ]


def tournament_is_public(*, tournament_id: int) -> bool:
    return Tournament.objects.filter(pk=tournament_id).exclude(status=Tournament.Status.DRAFT).exists()


def match_is_public(*, match_id: int) -> bool:
    return Match.objects.filter(pk=match_id).exclude(tournament__status=Tournament.Status.DRAFT).exists()


def _team(team) -> dict | None:
    return {"id": team.id, "name": team.name, "tag": team.tag} if team else None


def match_payload(match: Match, *, results=None, teams: dict[int, dict] | None = None) -> dict:
    """What spectators see of a match (never the room details). A battle-royale result being written
    passes its MatchResults and the lobby's teams ({id: {id, name, tag}}), so nothing is read back."""
    if results is None:
        rows = [
            {"team": _team(r.team), "placement": r.placement, "kills": r.kills, "points": r.points}
            for r in match.results.all()
        ]
    else:
        rows = [
            {"team": dict(teams[r.team_id]), "placement": r.placement, "kills": r.kills, "points": r.points}
            for r in sorted(results, key=lambda r: r.placement)
        ]
    return {
        "id": match.pk,
        "number": match.number,
        "round": match.round.number,
        "group": match.group.name if match.group else None,
        "key": match.key,
        "status": match.status,
        "scheduled_at": match.scheduled_at,
        "map_name": match.map_name,
        "home_team": _team(match.home_team),
        "away_team": _team(match.away_team),
        "home_score": match.home_score,
        "away_score": match.away_score,
        "winner": _team(match.winner),
        "results": rows,
    }


def tournament_snapshot(*, tournament_id: int) -> dict:
    tournament = Tournament.objects.select_related("game", "winner", "runner_up", "third_place").get(pk=tournament_id)
    return {
        "tournament": {
            "id": tournament.pk,
            "title": tournament.title,
            "game": tournament.game.slug,
            "status": tournament.status,
            "format": tournament.format,
            "starts_at": tournament.starts_at,
            "podium": [_team(t) for t in (tournament.winner, tournament.runner_up, tournament.third_place) if t],
        },
        "standings": standings_table(tournament_id=tournament_id),
        "matches": [match_payload(m) for m in match_list(tournament=tournament)],
    }


def match_snapshot(*, match_id: int) -> dict | None:
    match = _matches().filter(pk=match_id).exclude(tournament__status=Tournament.Status.DRAFT).first()
    return match_payload(match) if match else None
