"""Reads for the competitions API and the live feeds."""

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from arena.exceptions import NotFound
from competitions import access, brackets, qualification, scoring
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
    tournaments = (
        access.visible_tournaments(user=user)
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
    if not access.tournament_visible(tournament=tournament, user=user) or (mode and tournament.mode != mode):
        raise NotFound("No such tournament.")
    return tournament


def registration_list(*, tournament: Tournament) -> QuerySet[Registration]:
    return tournament.registrations.select_related("team").prefetch_related(
        Prefetch("players", queryset=RegistrationPlayer.objects.select_related("user"))
    )


def round_list(*, tournament: Tournament, user: User | None = None) -> QuerySet[Round]:
    """Each match carries `room_visible` (access.can_see_room for `user`): whether its room id and password show."""
    room_visible = access.can_see_room(tournament=tournament, user=user)
    return tournament.rounds.prefetch_related(
        Prefetch("groups", queryset=Group.objects.prefetch_related("teams")),
        Prefetch("matches", queryset=_matches().annotate(room_visible=Value(room_visible))),
    )


def _seed(side: str) -> Subquery:
    """The seed the team on `side` started the tournament with (written at start, so null before)."""
    registration = Registration.objects.filter(
        tournament=OuterRef("tournament"), team=OuterRef(f"{side}_team"), status=Registration.Status.CONFIRMED
    )
    return Subquery(registration.values("seed")[:1])


def _matches(matches: QuerySet[Match] | None = None) -> QuerySet[Match]:
    matches = Match.objects.all() if matches is None else matches
    return (
        matches.select_related(
            "round", "group", "home_team", "away_team", "winner", "winner_to_match", "loser_to_match"
        )
        .prefetch_related(Prefetch("results", queryset=MatchResult.objects.select_related("team")))
        .annotate(home_seed=_seed("home"), away_seed=_seed("away"))
    )


# Drawing order of a tournament's brackets: the winners bracket left to right, the losers bracket under it, then
# the matches that decide the podium.
BRACKET_ORDER = {"winners": 0, "losers": 1, "third_place": 2, "grand_final": 3, "round_robin": 4, "swiss": 5}


def bracket_rounds(matches) -> list[dict]:
    """Head-to-head matches grouped into the rounds a bracket is drawn in, in drawing order, each with its name
    ("Quarter-finals", "Losers final", ...) and its matches' ids by number. Battle-royale matches have no bracket."""
    rounds: dict[tuple[str, int], list] = {}
    for match in matches:
        if match.bracket and match.bracket_round:
            rounds.setdefault((match.bracket, match.bracket_round), []).append(match)
    last: dict[str, int] = {}
    for bracket, number in rounds:
        last[bracket] = max(last.get(bracket, 0), number)
    double = "losers" in last or "grand_final" in last
    return [
        {
            "bracket": bracket,
            "number": number,
            "name": brackets.round_name(bracket, number, last[bracket], double=double),
            "match_ids": [match.pk for match in sorted(rounds[bracket, number], key=lambda m: m.number)],
        }
        for bracket, number in sorted(rounds, key=lambda key: (BRACKET_ORDER.get(key[0], 9), key[1]))
    ]


def _pointer(match: Match | None, side: str) -> dict | None:
    return {"match_id": match.pk, "key": match.key, "side": side} if match is not None else None


def match_list(*, tournament: Tournament, user: User | None = None) -> QuerySet[Match]:
    """As round_list, each match carries `room_visible` for `user`."""
    room_visible = access.can_see_room(tournament=tournament, user=user)
    return _matches().filter(tournament=tournament).annotate(room_visible=Value(room_visible))


def match_get(*, match_id: int, user: User | None) -> Match:
    """The match if `user` may see its tournament (a draft's matches are as hidden as the draft),
    with `room_visible` as in match_list."""
    match = _matches(access.visible_matches(user=user)).select_related("tournament").filter(pk=match_id).first()
    if match is None:
        raise NotFound("No such match.")
    match.room_visible = access.can_see_room(tournament=match.tournament, user=user)
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
        outlooks = qualification_outlooks(tournament_id=tournament.pk)
        scope = outlooks.get(round_number if round_number is not None else max(outlooks, default=None), {})
        rows = [
            standing_row(row, qualification=scope.get(row.team_id))
            for row in standings_get(tournament=tournament, round_number=round_number, group=group)
        ]
        cache.set(key, rows, STANDINGS_CACHE_SECONDS)
    return rows


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
    """Standing rows with their team, tournament, round and, for group rows (only battle royale has
    them), the group's matches still to play (`left`)."""
    left = (
        Match.objects.filter(group=OuterRef("group_id"))
        .exclude(status__in=[Match.Status.COMPLETED, Match.Status.CANCELLED])
        .values("group_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Standing.objects.select_related("tournament", "group__round", "team").annotate(
        left=Coalesce(Subquery(left), 0)
    )


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
    tournament = next(iter(rows.values()))[0].tournament
    rules = scoring.rules_from(
        points_table=tournament.points_table, kill_points=tournament.kill_points, scoring=tournament.scoring
    )
    if rules.best_of is not None:
        return {}
    max_kills = BR_KILLS_MAX if rules.kill_cap is None else min(rules.kill_cap, BR_KILLS_MAX)

    def points(placement: int, kills: int) -> int:
        return scoring.match_points(rules, placement=placement, kills=kills)[1]

    scorings: dict[int, qualification.Scoring] = {}
    outlooks: dict[int, dict[int, dict]] = {}
    for group_rows_ in rows.values():
        number, lobby = group_rows_[0].group.round.number, len(group_rows_)
        if lobby not in scorings:
            scorings[lobby] = qualification.Scoring.from_points(points, lobby=lobby, max_kills=max_kills)
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


def tournament_is_public(*, tournament_id: int) -> bool:
    return access.visible_tournaments(user=None).filter(pk=tournament_id).exists()


def match_is_public(*, match_id: int) -> bool:
    return access.visible_matches(user=None).filter(pk=match_id).exists()


def _team(team) -> dict | None:
    return {"id": team.id, "name": team.name, "tag": team.tag} if team else None


def _result_row(result: MatchResult, team: dict) -> dict:
    return {
        "team": team,
        "placement": result.placement,
        "kills": result.kills,
        "placement_points": result.placement_points,
        "points": result.points,
        # JSON object keys are strings; a result being written may still hold int keys.
        "player_kills": {str(user_id): kills for user_id, kills in (result.player_kills or {}).items()},
    }


def match_payload(match: Match, *, results=None, teams: dict[int, dict] | None = None) -> dict:
    """One competitions.schemas.MatchState: what spectators see of a match (never the room details).
    A battle-royale result being written passes its MatchResults and the lobby's teams
    ({id: {id, name, tag}}), so nothing is read back."""
    if results is None:
        rows = [_result_row(r, _team(r.team)) for r in match.results.all()]
    else:
        rows = [_result_row(r, dict(teams[r.team_id])) for r in sorted(results, key=lambda r: r.placement)]
    return {
        "id": match.pk,
        "number": match.number,
        "round": match.round.number,
        "group": match.group.name if match.group else None,
        "key": match.key,
        "bracket": match.bracket,
        "bracket_round": match.bracket_round,
        "is_bye": match.is_bye,
        "winner_to": _pointer(match.winner_to_match, match.winner_to_side),
        "loser_to": _pointer(match.loser_to_match, match.loser_to_side),
        "status": match.status,
        "scheduled_at": match.scheduled_at,
        "map_name": match.map_name,
        "home_team": _team(match.home_team),
        "away_team": _team(match.away_team),
        "home_seed": getattr(match, "home_seed", None),
        "away_seed": getattr(match, "away_seed", None),
        "home_score": match.home_score,
        "away_score": match.away_score,
        "forfeit": match.forfeit or None,
        "winner": _team(match.winner),
        "results": rows,
    }


def bracket_update(*, tournament_id: int, match_id: int | None = None) -> dict:
    """What a drawn bracket needs after a change: the tournament's bracket rounds and the matches that changed.

    With `match_id` (a result), that match and every match its result changed: where its winner and loser went, on
    through the byes those teams passed straight through (and a grand-final reset it cancelled or restored), and a
    Swiss round it completed. Without (the start), every match. One message lets a page follow without a reread."""
    matches = Match.objects.filter(tournament_id=tournament_id)
    rounds = bracket_rounds(matches.only("id", "number", "bracket", "bracket_round"))
    if match_id is None:
        changed = matches
    else:
        match = Match.objects.select_related("round").get(pk=match_id)
        ids, frontier = {match.pk}, [match]
        while frontier:
            current = frontier.pop()
            targets = {current.winner_to_match_id, current.loser_to_match_id} - {None} - ids
            ids |= targets
            frontier += Match.objects.filter(pk__in=targets, is_bye=True)
        if match.bracket == "swiss":
            ids |= set(matches.filter(round__number__gt=match.round.number).values_list("pk", flat=True))
        changed = matches.filter(pk__in=ids)
    payloads = [match_payload(m) for m in _matches().filter(pk__in=changed.values("pk")).order_by("number")]
    return {"matches": payloads, "bracket_rounds": rounds}


def tournament_snapshot(*, tournament_id: int) -> dict:
    tournament = Tournament.objects.select_related("game", "winner", "runner_up", "third_place").get(pk=tournament_id)
    matches = list(match_list(tournament=tournament))
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
        "matches": [match_payload(m) for m in matches],
        "bracket_rounds": bracket_rounds(matches),
    }


def match_snapshot(*, match_id: int) -> dict | None:
    match = _matches(access.visible_matches(user=None)).filter(pk=match_id).first()
    return match_payload(match) if match else None
