"""iCalendar feeds, read back by a real iCalendar parser as a calendar app would."""

from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from tests.competitions.conftest import create_published, make_team, register, tournament_body

pytestmark = pytest.mark.django_db


def _events(body: bytes) -> dict[str, dict]:
    calendar = Calendar.from_ical(body)
    return {
        str(event["uid"]): {
            "summary": str(event["summary"]),
            "start": event.decoded("dtstart"),
            "end": event.decoded("dtend"),
            "status": str(event.get("status", "")),
        }
        for event in calendar.walk("VEVENT")
    }


@pytest.fixture
def league(api, host):
    """A started four-team round robin (head to head): six matches, each team in three."""
    tournament = create_published(
        api, host, game="efootball", format="round_robin", max_teams=4, rounds_count=1, qualify_per_group=0
    )
    teams = [make_team(1) for _ in range(4)]
    for team in teams:
        assert register(api, tournament["id"], team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    matches = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()
    return tournament, teams, matches


def test_tournament_feed_places_matches_at_the_right_instant_across_time_zones(api, host, league):
    tournament, _, matches = league
    first, second = matches[0], matches[1]
    # Entered in India Standard Time and in Pacific time: the same feed, each at its UTC instant.
    for match, when in ((first, "2026-12-05T20:30:00+05:30"), (second, "2026-12-05T07:00:00-08:00")):
        response = api.patch_json(f"/api/matches/{match['id']}", {"scheduled_at": when}, user=host)
        assert response.status_code == 200, response.content

    response = api.get(f"/api/tournaments/{tournament['id']}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = _events(response.content)
    assert events[f"match-{first['id']}@arena"]["start"] == datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    assert events[f"match-{second['id']}@arena"]["start"] == datetime(2026, 12, 5, 15, 0, tzinfo=UTC)
    assert events[f"match-{first['id']}@arena"]["end"] == datetime(2026, 12, 5, 15, 45, tzinfo=UTC)
    home, away = first["home_team"]["name"], first["away_team"]["name"]
    assert events[f"match-{first['id']}@arena"]["summary"] == f"{tournament['title']}: {home} vs {away}"
    assert f"tournament-{tournament['id']}@arena" in events
    # Unscheduled matches are not in a calendar.
    assert len([uid for uid in events if uid.startswith("match-")]) == 2


def test_drafts_and_unknown_tournaments_have_no_feed(api, host):
    draft = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    assert api.get(f"/api/tournaments/{draft['id']}/calendar.ics").status_code == 404
    assert api.get("/api/tournaments/987654/calendar.ics").json()["code"] == "not_found"


def test_a_players_feed_holds_only_their_teams_matches(api, host, league):
    _, teams, matches = league
    for hour, match in enumerate(matches):
        scheduled = {"scheduled_at": f"2026-12-06T{10 + hour:02d}:00:00Z"}
        assert api.patch_json(f"/api/matches/{match['id']}", scheduled, user=host).status_code == 200
    player = teams[0].captain
    link = api.get_json("/api/me/calendar", user=player)
    assert link.status_code == 200
    url = link.json()["url"]
    assert url.startswith("http://testserver/api/calendars/")
    assert url.endswith(".ics")

    feed = api.get(url.removeprefix("http://testserver"))  # no token: a calendar app sends none
    assert feed.status_code == 200
    theirs = {m["id"] for m in matches if teams[0].pk in (m["home_team"]["id"], m["away_team"]["id"])}
    assert len(theirs) == 3
    assert set(_events(feed.content)) == {f"match-{pk}@arena" for pk in theirs}


def test_a_forged_feed_token_is_404(api):
    response = api.get("/api/calendars/not-a-real-token.ics")
    assert response.status_code == 404
    assert response.json()["code"] == "calendar_not_found"
    assert api.get("/api/me/calendar").status_code == 401
