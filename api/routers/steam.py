from django.http import HttpRequest
from ninja import Router, Status

from accounts.models import User
from api.auth import jwt_auth
from api.schemas.accounts import MeOut
from api.schemas.common import ErrorOut
from api.schemas.steam import DotaLinkIn, DotaLinkOut, DotaRecentOut, SteamLinkIn
from api.throttle import throttle
from arena.exceptions import NotFound
from steam import selectors, services

router = Router(tags=["steam"])

STEAM_ERRORS = {401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut, 503: ErrorOut}
HOST_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
# Imports and listings ask Steam, from the budget every player's link shares: throttled per host.
STEAM_HOST_ERRORS = {**HOST_ERRORS, 429: ErrorOut}


def _me(user: User) -> User:
    return User.objects.select_related("wallet", "steam_account").get(pk=user.pk)


@router.post("/me/steam", auth=jwt_auth, response={200: MeOut, **STEAM_ERRORS})
def link_steam(request: HttpRequest, payload: SteamLinkIn):
    """Link your Steam account: a SteamID64, a steamcommunity.com profile URL or a custom URL name.
    Arena resolves it through the Steam Web API and shows the persona name and avatar on your profile.

    404 `steam_not_found`: Steam knows no such name or profile. 409 `steam_already_linked`: another
    player linked it. 503 `steam_unavailable` (Steam down or slow) or `steam_throttled` (Arena's shared
    Steam budget is spent, with Retry-After). Linking again replaces the link."""
    throttle(request, "steam_link", account=str(request.user.pk))
    services.steam_account_link(user=request.user, steam=payload.steam)
    return _me(request.user)


@router.delete("/me/steam", auth=jwt_auth, response={204: None, 401: ErrorOut})
def unlink_steam(request: HttpRequest):
    """Unlink your Steam account (nothing happens if none is linked)."""
    services.steam_account_unlink(user=request.user)
    return Status(204, None)


def _link_or_404(match) -> object:
    link = selectors.dota_link_get(match=match)
    if link is None:
        raise NotFound("No Dota 2 match is linked to this match.", code="no_dota_link")
    return link


@router.post("/matches/{match_id}/dota", auth=jwt_auth, response={202: DotaLinkOut, **STEAM_HOST_ERRORS})
def link_dota_match(request: HttpRequest, match_id: int, payload: DotaLinkIn):
    """Its host: import this head-to-head match's result from a Dota 2 match. Queued; then the
    link is `imported` (winner and kills recorded through the results service, audited) or
    `failed` with a reason (e.g. the teams' linked Steam accounts are not in that match).
    The host can still correct the result with PUT /api/matches/{id}/results. Posting again re-imports.
    429 `throttled` (with Retry-After): too many imports and listings by this host."""
    throttle(request, "steam_dota", account=str(request.user.pk))
    services.dota_link_request(match_id=match_id, user=request.user, dota_match_id=payload.dota_match_id)
    match = services.dota_match_host_get(match_id=match_id, user=request.user)
    return Status(202, _link_or_404(match))


@router.get("/matches/{match_id}/dota", auth=jwt_auth, response={200: DotaLinkOut, **HOST_ERRORS})
def get_dota_link(request: HttpRequest, match_id: int):
    """Its host: the linked Dota 2 match and how its import went."""
    match = services.dota_match_host_get(match_id=match_id, user=request.user)
    return _link_or_404(match)


@router.delete("/matches/{match_id}/dota", auth=jwt_auth, response={204: None, **HOST_ERRORS})
def unlink_dota_match(request: HttpRequest, match_id: int):
    """Its host: forget the linked Dota 2 match. A result it recorded stays."""
    services.dota_link_delete(match_id=match_id, user=request.user)
    return Status(204, None)


@router.get(
    "/matches/{match_id}/dota/recent", auth=jwt_auth, response={200: DotaRecentOut, **STEAM_HOST_ERRORS, 503: ErrorOut}
)
def list_recent_dota_matches(request: HttpRequest, match_id: int):
    """Its host: recent public Dota 2 matches of both teams' linked players, newest first, each
    marked `mappable` when the two teams were on opposite sides, to pick the one to import.
    429 `throttled`, shared with the imports."""
    throttle(request, "steam_dota", account=str(request.user.pk))
    match = services.dota_match_host_get(match_id=match_id, user=request.user)
    return selectors.dota_recent_matches(match=match)
