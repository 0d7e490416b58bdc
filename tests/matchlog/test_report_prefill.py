"""Captains' report screenshots: a rendered results screen is read by Tesseract and prefills the report."""

import pytest

from tests.competitions.conftest import create_published, make_team, register
from tests.conftest import bearer
from tests.matchlog import screens
from tests.matchlog.conftest import png

pytestmark = [pytest.mark.django_db, pytest.mark.requires_tesseract]

LOBBY = ["Team Soul", "GodLike Esports", "Orangutan", "Blind Esports"]


def _started(api, host, names, size: int = 4, **overrides):
    tournament = create_published(api, host, captain_reporting=True, **overrides)
    teams = {}
    for name in names:
        team = make_team(size)
        team.name = name
        team.save(update_fields=["name"])
        assert register(api, tournament["id"], team).status_code == 201
        teams[name] = team
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    return tournament, teams, api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]


def _upload(api, user, match_id: int, image: bytes):
    return api.post(f"/api/matches/{match_id}/reports/screenshot", {"image": png(image)}, **bearer(user))


def test_a_battle_royale_screenshot_prefills_the_captains_report(api, host):
    _, teams, match = _started(
        api, host, LOBBY, max_teams=4, group_size=4, rounds_count=1, qualify_per_group=0, matches_per_group=2
    )
    rows = [
        (1, "Orangutan", 9, 24),
        (2, "Team Soul", 6, 18),
        (3, "Blind Esports", 2, 12),
        (4, "GodLike Esports", 4, 12),
    ]
    captain = teams["Team Soul"].captain
    uploaded = _upload(api, captain, match["id"], screens.battle_royale_results(rows))
    assert uploaded.status_code == 201, uploaded.content
    screenshot = api.get_json(f"/api/matches/{match['id']}/reports/screenshots/{uploaded.json()['id']}", user=captain)
    assert screenshot.status_code == 200
    assert screenshot.json()["status"] == "extracted", screenshot.json()["failure_reason"]
    assert screenshot.json()["prefill"] == {"placement": 2, "kills": 6}
    # Only its uploader and the host see it.
    other = teams["Orangutan"].captain
    assert (
        api.get_json(f"/api/matches/{match['id']}/reports/screenshots/{uploaded.json()['id']}", user=other).status_code
        == 403
    )
    assert api.get_json(f"/api/matches/{match['id']}/reports/screenshots/{uploaded.json()['id']}", user=host).json()[
        "prefill"
    ] == {"placement": 2, "kills": 6}

    # The captain sends only the screenshot: the report takes what OCR read.
    reported = api.post_json(
        f"/api/matches/{match['id']}/reports", {"screenshot_id": uploaded.json()["id"]}, user=captain
    )
    assert reported.status_code == 200, reported.content
    (report,) = reported.json()["reports"]
    assert (report["placement"], report["kills"], report["screenshot_id"]) == (2, 6, uploaded.json()["id"])
    assert report["screenshot_url"]
    # What the captain types wins over what OCR read.
    corrected = api.post_json(
        f"/api/matches/{match['id']}/reports", {"screenshot_id": uploaded.json()["id"], "kills": 7}, user=captain
    )
    assert [(r["placement"], r["kills"]) for r in corrected.json()["reports"]] == [(2, 7)]
    # A correction typed without the screenshot keeps the proof attached.
    typed = api.post_json(f"/api/matches/{match['id']}/reports", {"placement": 2, "kills": 8}, user=captain)
    assert [(r["kills"], r["screenshot_id"]) for r in typed.json()["reports"]] == [(8, uploaded.json()["id"])]
    # Another captain cannot attach it.
    stolen = api.post_json(f"/api/matches/{match['id']}/reports", {"screenshot_id": uploaded.json()["id"]}, user=other)
    assert (stolen.status_code, stolen.json()["code"]) == (422, "unknown_screenshot")


def test_a_score_screen_prefills_a_head_to_head_report_in_match_order(api, host):
    _, teams, match = _started(
        api, host, ["Red Dragons", "Blue Lions"], 1, game="efootball", format="single_elimination", max_teams=2
    )
    home, away = match["home_team"]["name"], match["away_team"]["name"]
    captain = teams[away].captain
    # The away captain's screen shows their own side on the left.
    image = screens.score_screen(away, home, 2, 1, [("Possession", 55, 45, True)])
    uploaded = _upload(api, captain, match["id"], image)
    assert uploaded.status_code == 201, uploaded.content
    screenshot = api.get_json(
        f"/api/matches/{match['id']}/reports/screenshots/{uploaded.json()['id']}", user=captain
    ).json()
    assert screenshot["prefill"] == {"home_score": 1, "away_score": 2}
    reported = api.post_json(f"/api/matches/{match['id']}/reports", {"screenshot_id": screenshot["id"]}, user=captain)
    assert [(r["home_score"], r["away_score"]) for r in reported.json()["reports"]] == [(1, 2)]


def test_report_screenshots_need_captain_reporting_and_a_captain(api, host):
    _, teams, match = _started(
        api, host, LOBBY[:2], max_teams=2, group_size=2, rounds_count=1, qualify_per_group=0, matches_per_group=1
    )
    player = teams["Team Soul"].memberships.exclude(user=teams["Team Soul"].captain).first().user
    refused = _upload(api, player, match["id"], screens.blank())
    assert (refused.status_code, refused.json()["code"]) == (403, "not_captain")
    assert _upload(api, host, match["id"], screens.blank()).status_code == 403
