"""iCalendar feeds: subscribe from Google Calendar, Apple Calendar or Outlook by URL."""

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from api.auth import jwt_auth
from api.schemas.common import ErrorOut
from arena.exceptions import NotFound
from competitions import calendar, selectors

router = Router(tags=["calendar"])
ICS = {200: {"description": "An iCalendar (RFC 5545) document", "content": {"text/calendar": {}}}}


class CalendarLinkOut(Schema):
    url: str


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@router.get(
    "/tournaments/{tournament_id}/calendar.ics",
    response={404: ErrorOut},
    openapi_extra={"responses": ICS},
    operation_id="tournament_calendar_get",
)
def get_tournament_calendar(request: HttpRequest, tournament_id: int):
    """The tournament's start and every scheduled match, in UTC. Published tournaments only."""
    tournament = selectors.tournament_get(tournament_id=tournament_id, user=None)
    return _ics(calendar.tournament_calendar(tournament=tournament), f"tournament-{tournament.pk}.ics")


@router.get(
    "/me/calendar", auth=jwt_auth, response={200: CalendarLinkOut, 401: ErrorOut}, operation_id="me_calendar_link"
)
def get_my_calendar_link(request: HttpRequest):
    """A private feed URL of your own matches, for a calendar app (which cannot send a token).
    Anyone with the URL can read the feed: keep it to yourself."""
    token = calendar.user_calendar_token(user=request.user)
    return {"url": request.build_absolute_uri(f"/api/calendars/{token}.ics")}


@router.get(
    "/calendars/{token}.ics",
    response={404: ErrorOut},
    openapi_extra={"responses": ICS},
    operation_id="user_calendar_get",
)
def get_user_calendar(request: HttpRequest, token: str):
    """The feed behind `GET /api/me/calendar`'s URL: the matches of your active rosters."""
    user = calendar.user_from_calendar_token(token)
    if user is None:
        raise NotFound("No such calendar.", code="calendar_not_found")
    return _ics(calendar.user_calendar(user=user), "my-arena-matches.ics")
