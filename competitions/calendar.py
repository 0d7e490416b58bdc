"""iCalendar feeds (RFC 5545, written by the icalendar library): a tournament's schedule, and a
player's own matches. Times are written in UTC, so every calendar app shows them in its own
zone; UIDs are stable, so a re-fetched feed updates events instead of duplicating them."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import User
from competitions import access
from competitions.models import Match, Registration, RegistrationPlayer, Tournament

SALT = "arena.calendar.user"
UID_DOMAIN = "arena"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Arena//Esports competitions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(*, uid: str, summary: str, start: datetime, minutes: int, url: str, description: str = "") -> Event:
    event = Event()
    event.add("uid", f"{uid}@{UID_DOMAIN}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", (start + timedelta(minutes=minutes)).astimezone(UTC))
    event.add("summary", summary)
    event.add("url", url)
    if description:
        event.add("description", description)
    return event


def _match_summary(match: Match) -> str:
    if match.home_team_id and match.away_team_id:
        return f"{match.tournament.title}: {match.home_team.name} vs {match.away_team.name}"
    where = f" · group {match.group.name}" if match.group_id else ""
    return f"{match.tournament.title}: round {match.round.number}{where}, match {match.number}"


def _add_matches(calendar: Calendar, matches: QuerySet[Match]) -> None:
    for match in matches:
        event = _event(
            uid=f"match-{match.pk}",
            summary=_match_summary(match),
            start=match.scheduled_at,
            minutes=settings.CALENDAR_MATCH_MINUTES,
            url=f"{settings.FRONTEND_URL}/live/tournaments/{match.tournament_id}/",
            description=f"Map: {match.map_name}" if match.map_name else "",
        )
        if match.status == Match.Status.CANCELLED:
            event.add("status", "CANCELLED")
        calendar.add_component(event)


def _scheduled(matches: QuerySet[Match]) -> QuerySet[Match]:
    return (
        matches.filter(scheduled_at__isnull=False)
        .select_related("tournament", "round", "group", "home_team", "away_team")
        .order_by("scheduled_at", "pk")
    )


def tournament_calendar(*, tournament: Tournament) -> bytes:
    calendar = _calendar(tournament.title)
    calendar.add_component(
        _event(
            uid=f"tournament-{tournament.pk}",
            summary=f"{tournament.title} starts",
            start=tournament.starts_at,
            minutes=settings.CALENDAR_MATCH_MINUTES,
            url=f"{settings.FRONTEND_URL}/live/tournaments/{tournament.pk}/",
        )
    )
    _add_matches(calendar, _scheduled(Match.objects.filter(tournament=tournament)))
    return calendar.to_ical()


def user_calendar_token(*, user: User) -> str:
    return signing.dumps(user.pk, salt=SALT)


def user_from_calendar_token(token: str) -> User | None:
    try:
        user_id = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_calendar(*, user: User) -> bytes:
    """The matches of the user's active rosters: their team's own head-to-head matches, and the
    battle-royale matches of the groups their team plays in (or the whole round before groups)."""
    rosters = RegistrationPlayer.objects.filter(user=user, registration__status__in=Registration.ACTIVE).values_list(
        "registration__tournament_id", "registration__team_id"
    )
    mine = Q(pk__in=[])
    for tournament_id, team_id in rosters:
        mine |= Q(tournament_id=tournament_id) & (
            Q(home_team_id=team_id) | Q(away_team_id=team_id) | Q(group__teams=team_id)
        )
    calendar = _calendar("My Arena matches")
    matches = access.visible_matches(user=user).filter(mine).distinct()
    _add_matches(calendar, _scheduled(matches))
    return calendar.to_ical()
