from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from api import cached
from api.auth import jwt_auth, optional_jwt
from api.rendered import shaped_response
from api.schemas.common import ErrorOut
from api.schemas.competitions import (
    AnnouncementIn,
    AnnouncementOut,
    BRResultIn,
    GameOut,
    H2HResultIn,
    MatchCreateIn,
    MatchOut,
    MatchPatchIn,
    Mode,
    RegistrationIn,
    RegistrationOut,
    RoundOut,
    StandingRow,
    TournamentDetailOut,
    TournamentIn,
    TournamentOut,
    TournamentPatchIn,
    TournamentStatus,
)
from api.schemas.scoring import ScoringPresetOut
from competitions import scoring, selectors, services
from competitions.models import Tournament

games_router = Router(tags=["games"])
router = Router(tags=["tournaments"])
scrims_router = Router(tags=["scrims"])
matches_router = Router(tags=["matches"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TournamentFilters(Schema):
    game: str | None = None
    status: TournamentStatus | None = None  # type: ignore[valid-type]
    mode: Mode | None = None  # type: ignore[valid-type]
    q: str | None = None


def _user(request: HttpRequest):
    return request.auth if request.auth.is_authenticated else None


def _detail(request: HttpRequest, tournament_id: int, mode: str | None = None) -> Tournament:
    return selectors.tournament_get(tournament_id=tournament_id, user=_user(request), mode=mode)


def _fresh(request: HttpRequest, tournament_id: int) -> Tournament:
    """After a write: read past the cache (its invalidation runs once the change commits)."""
    return selectors.tournament_get(tournament_id=tournament_id, user=_user(request), cached=False)


@games_router.get("/games", response=list[GameOut])
def list_games(request: HttpRequest):
    """The catalog: format, team size, default banner and default battle-royale points table."""
    return selectors.game_list()


@games_router.get("/scoring-presets", response=list[ScoringPresetOut])
def list_scoring_presets(request: HttpRequest):
    """The official battle-royale points tables a tournament can pick as `scoring.preset` (a fixed
    catalog of a few entries, like /api/games, so not paginated)."""
    return [
        {
            "name": p.name,
            "description": p.description,
            "points_table": list(p.points_table),
            "kill_points": p.kill_points,
        }
        for p in scoring.PRESETS.values()
    ]


# --- tournaments ------------------------------------------------------------------------------


def _create(request: HttpRequest, payload: TournamentIn, mode: str):
    data = payload.dict(exclude={"game", "mode"}, exclude_none=True)
    tournament = services.tournament_create(
        host=request.user, game_slug=payload.game, mode=mode, requested_mode=payload.mode, data=data
    )
    return Status(201, _fresh(request, tournament.pk))


@router.get("", auth=optional_jwt, response={200: list[TournamentOut], 304: None})
@cached.public_list(TournamentOut)
@paginate
def list_tournaments(request: HttpRequest, filters: Query[TournamentFilters]):
    """Published tournaments and scrims (plus your own drafts); premium and featured listings first.
    Pages without `q` carry an `ETag` (unless you run drafts or are an administrator): send it back in
    `If-None-Match` to get 304 while no tournament has changed."""
    return selectors.tournament_list(user=_user(request), **filters.dict())


@router.post("", auth=jwt_auth, response={201: TournamentDetailOut, **ERRORS})
def create_tournament(request: HttpRequest, payload: TournamentIn):
    """Verified hosts only. Creates a draft; publish it to open registration. `mode: "scrim"` creates a
    scrim (as POST /api/scrims does)."""
    return _create(request, payload, payload.mode or Tournament.Mode.TOURNAMENT)


@router.get("/{tournament_id}", auth=optional_jwt, response={200: TournamentDetailOut, 404: ErrorOut})
def get_tournament(request: HttpRequest, tournament_id: int):
    return _detail(request, tournament_id)


@router.patch("/{tournament_id}", auth=jwt_auth, response={200: TournamentDetailOut, **ERRORS})
def update_tournament(request: HttpRequest, tournament_id: int, payload: TournamentPatchIn):
    """Its host. Structure and fees are editable until the start; texts always."""
    services.tournament_update(tournament_id=tournament_id, user=request.user, data=payload.dict(exclude_unset=True))
    return _fresh(request, tournament_id)


@router.delete("/{tournament_id}", auth=jwt_auth, response={204: None, **ERRORS})
def delete_tournament(request: HttpRequest, tournament_id: int):
    """Its host. Deletes a draft; cancels a published tournament, releasing (and refunding) registrations."""
    services.tournament_cancel_or_delete(tournament_id=tournament_id, user=request.user)
    return Status(204, None)


@router.post(
    "/{tournament_id}/banner",
    auth=jwt_auth,
    response={200: TournamentDetailOut, 413: ErrorOut, 415: ErrorOut, **ERRORS},
)
def upload_banner(request: HttpRequest, tournament_id: int, image: File[UploadedFile]):
    """Its host. Multipart `image` (PNG, JPEG or WebP ≤ 5 MiB, ≤ 25 megapixels), re-encoded without
    metadata to fit 1600×600, plus a 480×270 thumbnail (`banner_thumbnail_url`). Replaces (and
    deletes) the previous one. Without one, the game's default banner is shown."""
    services.tournament_banner_set(tournament_id=tournament_id, user=request.user, image=image)
    return _fresh(request, tournament_id)


@router.delete("/{tournament_id}/banner", auth=jwt_auth, response={200: TournamentDetailOut, **ERRORS})
def delete_banner(request: HttpRequest, tournament_id: int):
    """Its host. Deletes the uploaded banner and thumbnail; the game's default banner is shown again."""
    services.tournament_banner_delete(tournament_id=tournament_id, user=request.user)
    return _fresh(request, tournament_id)


@router.post("/{tournament_id}/announcements", auth=jwt_auth, response={202: AnnouncementOut, **ERRORS})
def announce(request: HttpRequest, tournament_id: int, payload: AnnouncementIn):
    """Its host: a message to every spectator of the tournament topic (`announcement`)."""
    return Status(202, services.tournament_announce(tournament_id=tournament_id, user=request.user, text=payload.text))


@router.get("/{tournament_id}/announcements", auth=optional_jwt, response={200: list[AnnouncementOut], 404: ErrorOut})
@paginate
def list_announcements(request: HttpRequest, tournament_id: int):
    """The host's announcements, newest first (the latest 20 are also in the live snapshot)."""
    from realtime.announcements import announcement_list

    return announcement_list(tournament_id=_detail(request, tournament_id).pk)


@router.post("/{tournament_id}/publish", auth=jwt_auth, response={200: TournamentDetailOut, **ERRORS})
def publish_tournament(request: HttpRequest, tournament_id: int):
    services.tournament_publish(tournament_id=tournament_id, user=request.user)
    return _fresh(request, tournament_id)


# --- registrations ----------------------------------------------------------------------------


def _register(request: HttpRequest, tournament_id: int, payload: RegistrationIn, mode: str | None):
    _detail(request, tournament_id, mode)
    registration = services.registration_create(
        tournament_id=tournament_id,
        user=request.user,
        team_id=payload.team_id,
        player_ids=payload.player_ids,
        substitute_ids=payload.substitute_ids,
    )
    return Status(201, selectors.registration_list(tournament=registration.tournament).get(pk=registration.pk))


@router.post("/{tournament_id}/registrations", auth=jwt_auth, response={201: RegistrationOut, **ERRORS})
def register_team(request: HttpRequest, tournament_id: int, payload: RegistrationIn):
    """The team captain registers a roster of exactly the game's team size (plus optional substitutes).
    Free tournaments confirm at once; paid ones stay `pending_payment` until the entry fee is paid."""
    return _register(request, tournament_id, payload, None)


@router.get("/{tournament_id}/registrations", auth=optional_jwt, response={200: list[RegistrationOut], 404: ErrorOut})
@paginate
def list_registrations(request: HttpRequest, tournament_id: int):
    return selectors.registration_list(tournament=_detail(request, tournament_id))


@router.delete("/{tournament_id}/registrations/{registration_id}", auth=jwt_auth, response={204: None, **ERRORS})
def withdraw_registration(request: HttpRequest, tournament_id: int, registration_id: int):
    """The captain or the host, before the start. A paid registration is refunded."""
    services.registration_withdraw(tournament_id=tournament_id, registration_id=registration_id, user=request.user)
    return Status(204, None)


@router.post(
    "/{tournament_id}/registrations/{registration_id}/check-in",
    auth=jwt_auth,
    response={200: RegistrationOut, **ERRORS},
    operation_id="registration_check_in",
)
def check_in(request: HttpRequest, tournament_id: int, registration_id: int):
    """The captain, within `check_in_minutes` before the start. Teams that do not check in are dropped at start."""
    registration = services.registration_check_in(
        tournament_id=tournament_id, registration_id=registration_id, user=request.user
    )
    return selectors.registration_list(tournament=registration.tournament).get(pk=registration.pk)


@router.post(
    "/{tournament_id}/registrations/{registration_id}/disqualify",
    auth=jwt_auth,
    response={200: RegistrationOut, **ERRORS},
    operation_id="registration_disqualify",
)
def disqualify(request: HttpRequest, tournament_id: int, registration_id: int):
    """Its host, while a battle royale is ongoing: the team plays no further match, ranks last and cannot
    qualify or win; its points are kept or voided per `scoring.dq_points`. Not refunded."""
    registration = services.registration_disqualify(
        tournament_id=tournament_id, registration_id=registration_id, user=request.user
    )
    return selectors.registration_list(tournament=registration.tournament).get(pk=registration.pk)


# --- structure and play -----------------------------------------------------------------------


@router.post("/{tournament_id}/start", auth=jwt_auth, response={200: TournamentDetailOut, **ERRORS})
def start_tournament(request: HttpRequest, tournament_id: int):
    """Closes registration and builds round 1 (battle-royale groups by snake seeding, or the bracket)."""
    services.tournament_start(tournament_id=tournament_id, user=request.user)
    return _fresh(request, tournament_id)


@router.get("/{tournament_id}/rounds", auth=optional_jwt, response={200: list[RoundOut], 404: ErrorOut})
def list_rounds(request: HttpRequest, tournament_id: int):
    tournament = _detail(request, tournament_id)
    return list(selectors.round_list(tournament=tournament, user=_user(request)))


@router.post("/{tournament_id}/rounds/{number}/advance", auth=jwt_auth, response={200: RoundOut, **ERRORS})
def advance_round(request: HttpRequest, tournament_id: int, number: int):
    """Battle royale: the top `qualify_per_group` of each group of round `number` seed the next round."""
    next_round = services.round_advance(tournament_id=tournament_id, number=number, user=request.user)
    return selectors.round_list(tournament=next_round.tournament, user=request.user).get(pk=next_round.pk)


@router.get("/{tournament_id}/matches", auth=optional_jwt, response={200: list[MatchOut], 404: ErrorOut})
def list_matches(request: HttpRequest, tournament_id: int):
    tournament = _detail(request, tournament_id)
    return list(selectors.match_list(tournament=tournament, user=_user(request)))


@router.post("/{tournament_id}/matches", auth=jwt_auth, response={201: MatchOut, **ERRORS})
def create_match(request: HttpRequest, tournament_id: int, payload: MatchCreateIn):
    """Its host: an extra battle-royale match in a group (head-to-head matches come from the bracket)."""
    match = services.match_create(tournament_id=tournament_id, user=request.user, **payload.dict())
    return Status(201, selectors.match_get(match_id=match.pk, user=request.user))


@router.get(
    "/{tournament_id}/standings", auth=optional_jwt, response={200: list[StandingRow], 304: None, 404: ErrorOut}
)
def get_standings(request: HttpRequest, tournament_id: int, round: int | None = None, group: str | None = None):
    """Overall by default; `?round=N` for a round, `?round=N&group=A` for a group.
    Battle royale: the tournament's tie-breaker chain (`scoring.tie_breakers`; by default points, wins,
    placement points, kills, latest-match placement); disqualified teams last, a match-point champion first.
    Head to head: points (3/1/0), score difference, score for, wins.
    Answers carry an `ETag`; sending it back in `If-None-Match` gets 304 while the table is unchanged."""

    def build():
        tournament = _detail(request, tournament_id)
        rows = selectors.standings_rows(tournament=tournament, round_number=round, group=group)
        # Empty tables (before the start, or a round or group that does not exist) are not stored: any
        # number of ?round= and ?group= values would each have added an entry.
        return rows, tournament.status != Tournament.Status.DRAFT and bool(rows)

    return cached.tournament_json(
        request, tournament_id=tournament_id, name=f"standings:{round}:{group}", schema=list[StandingRow], build=build
    )


@router.post("/{tournament_id}/select-winner", auth=jwt_auth, response={202: TournamentDetailOut, **ERRORS})
def select_winner(request: HttpRequest, tournament_id: int):
    """Its host. Queues winner selection (it also runs by itself when the final match completes);
    safe to call again. The response shows the tournament as it is when the request returns."""
    _detail(request, tournament_id)
    services.tournament_winner_request(tournament_id=tournament_id, user=request.user)
    return Status(202, _fresh(request, tournament_id))


# --- matches ------------------------------------------------------------------------------------


@matches_router.get("/{match_id}", auth=optional_jwt, response={200: MatchOut, 404: ErrorOut})
def get_match(request: HttpRequest, match_id: int):
    return selectors.match_get(match_id=match_id, user=_user(request))


@matches_router.patch("/{match_id}", auth=jwt_auth, response={200: MatchOut, **ERRORS})
def update_match(request: HttpRequest, match_id: int, payload: MatchPatchIn):
    """Its host: schedule, map, status, room id and password (shown only to registered players)."""
    services.match_update(match_id=match_id, user=request.user, data=payload.dict(exclude_unset=True))
    return selectors.match_get(match_id=match_id, user=request.user)


@matches_router.put("/{match_id}/results", auth=jwt_auth, response={200: MatchOut, **ERRORS})
def post_match_results(request: HttpRequest, match_id: int, payload: list[BRResultIn] | H2HResultIn):
    """Battle royale: `[{team_id, placement, kills}]` with every lobby team (or `{team_id, absent: true}`).
    Head to head: `{home_score, away_score}`, or `{forfeit: "home" | "away" | "both"}`.
    Re-posting replaces the results and is audited."""
    if isinstance(payload, list):
        match = services.match_results_record_br(
            match_id=match_id, user=request.user, entries=[e.dict() for e in payload]
        )
        # What spectators were just sent, plus the room details its host sees: not read back (a match read
        # is ten joins and two subqueries, a third of the request). tests/competitions/test_results_api.py
        # checks it equals GET /api/matches/{id}.
        state = {**match.state, "room_id": match.room_id, "room_password": match.room_password}
        return shaped_response(request, state)
    else:
        services.match_results_record_h2h(
            match_id=match_id,
            user=request.user,
            home_score=payload.home_score,
            away_score=payload.away_score,
            forfeit=payload.forfeit,
        )
    return selectors.match_get(match_id=match_id, user=request.user)


# --- scrims: the same resources with mode=scrim -------------------------------------------------


@scrims_router.get("", auth=optional_jwt, response={200: list[TournamentOut], 304: None})
@cached.public_list(TournamentOut)
@paginate
def list_scrims(request: HttpRequest, filters: Query[TournamentFilters]):
    """Published scrims (plus your own drafts); `ETag` and 304 as for GET /api/tournaments."""
    return selectors.tournament_list(user=_user(request), **{**filters.dict(), "mode": Tournament.Mode.SCRIM})


@scrims_router.post("", auth=jwt_auth, response={201: TournamentDetailOut, **ERRORS})
def create_scrim(request: HttpRequest, payload: TournamentIn):
    """1 round, at most 25 teams and at most 6 matches."""
    return _create(request, payload, Tournament.Mode.SCRIM)


@scrims_router.get("/{scrim_id}", auth=optional_jwt, response={200: TournamentDetailOut, 404: ErrorOut})
def get_scrim(request: HttpRequest, scrim_id: int):
    return _detail(request, scrim_id, Tournament.Mode.SCRIM)


@scrims_router.post("/{scrim_id}/registrations", auth=jwt_auth, response={201: RegistrationOut, **ERRORS})
def register_for_scrim(request: HttpRequest, scrim_id: int, payload: RegistrationIn):
    return _register(request, scrim_id, payload, Tournament.Mode.SCRIM)
