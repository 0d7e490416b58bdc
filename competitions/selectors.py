"""Reads for the competitions API and the live feeds.

Standings and qualification are read in competitions.standings_selectors and re-exported here, so
callers keep this one import path."""

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When

from accounts.models import User
from arena.exceptions import NotFound
from competitions import access, brackets
from competitions.models import (
    Game,
    Group,
    Match,
    MatchResult,
    Registration,
    RegistrationPlayer,
    Round,
    Tournament,
)
from competitions.standings_selectors import LISTING as LISTING
from competitions.standings_selectors import STANDING_FIELDS as STANDING_FIELDS
from competitions.standings_selectors import STANDINGS_CACHE_SECONDS as STANDINGS_CACHE_SECONDS
from competitions.standings_selectors import _team
from competitions.standings_selectors import cache_version as cache_version
from competitions.standings_selectors import qualification_outlooks as qualification_outlooks
from competitions.standings_selectors import read_cache_set as read_cache_set
from competitions.standings_selectors import read_cached as read_cached
from competitions.standings_selectors import standing_row as standing_row
from competitions.standings_selectors import standings_get as standings_get
from competitions.standings_selectors import standings_rows as standings_rows
from competitions.standings_selectors import standings_table as standings_table
from competitions.standings_selectors import tournament_cache_invalidate as tournament_cache_invalidate
from competitions.standings_selectors import tournament_cache_version as tournament_cache_version
from competitions.standings_selectors import tournament_scope as tournament_scope

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
        matches.select_related("round", "group", "home_team", "away_team", "winner")
        .prefetch_related(Prefetch("results", queryset=MatchResult.objects.select_related("team")))
        # The targets' keys as subqueries, not two more joins: with ten relations PostgreSQL spent
        # ~9 ms planning every match read (EXPLAIN), 2.5 ms with eight.
        .annotate(home_seed=_seed("home"), away_seed=_seed("away"), winner_to_key=_target_key("winner"),
                  loser_to_key=_target_key("loser"))
    )  # fmt: skip


def _target_key(which: str) -> Subquery:
    return Subquery(Match.objects.filter(pk=OuterRef(f"{which}_to_match_id")).values("key")[:1])


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


def match_pointer(match: Match, which: str) -> dict | None:
    """Where the match's winner (`which` "winner") or loser ("loser") goes: {match_id, key, side}.
    Matches read through _matches carry the target's key; others read it."""
    target_id = getattr(match, f"{which}_to_match_id")
    if target_id is None:
        return None
    key = getattr(match, f"{which}_to_key", None)
    if key is None:
        key = getattr(match, f"{which}_to_match").key
    return {"match_id": target_id, "key": key, "side": getattr(match, f"{which}_to_side")}


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


def tournament_is_public(*, tournament_id: int) -> bool:
    return access.visible_tournaments(user=None).filter(pk=tournament_id).exists()


def match_is_public(*, match_id: int) -> bool:
    return access.visible_matches(user=None).filter(pk=match_id).exists()


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
        "winner_to": match_pointer(match, "winner"),
        "loser_to": match_pointer(match, "loser"),
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
