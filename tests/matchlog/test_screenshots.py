"""Tournament-match result screenshots: host only, OCR proposes, confirming goes through the results service."""

import pytest

from accounts.models import Team
from competitions.models import MatchResult, ResultAudit
from matchlog.models import MatchScreenshot
from matchlog.tasks import extract_match_screenshot
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.matchlog.conftest import png, started_br_match, started_h2h_match, upload_screenshot

pytestmark = pytest.mark.django_db

BR_SCREEN = """MATCH RESULTS
# TEAM KILLS PTS
1 GODLIKE ESPORTS 8 23
2 Team Soul 11 23
3 0rangutan 2 12
4 Blind Esports 5 13
5 Revenant X Spark 0 6
6 Medal Esports 3 7"""


def _extracted(api, host, match_id: int, text: str, static_ocr) -> dict:
    static_ocr(text)
    created = upload_screenshot(api, host, match_id)
    assert created.status_code == 201, created.content
    return api.get_json(f"/api/matches/{match_id}/screenshots/{created.json()['id']}", user=host).json()


def test_only_the_host_uploads_and_sees_screenshots(api, host, static_ocr):
    static_ocr(BR_SCREEN)
    _, teams, match = started_br_match(api, host)
    player = UserFactory()
    captain = Team.objects.get(pk=teams["Team Soul"]).captain  # plays in the match, does not host it
    assert upload_screenshot(api, player, match["id"]).status_code == 403
    assert upload_screenshot(api, captain, match["id"]).status_code == 403
    assert api.post(f"/api/matches/{match['id']}/screenshot", {"image": png()}).status_code == 401
    assert upload_screenshot(api, host, 999999).status_code == 404
    assert MatchScreenshot.objects.count() == 0

    created = upload_screenshot(api, host, match["id"]).json()
    base = f"/api/matches/{match['id']}/screenshots"
    assert api.get_json(base, user=player).status_code == 403
    assert api.get_json(f"{base}/{created['id']}", user=player).status_code == 403
    assert api.get(f"{base}/{created['id']}/image", **bearer(player)).status_code == 403
    assert api.post_json(f"{base}/{created['id']}/confirm", user=player).status_code == 403
    listed = api.get_json(base, user=host).json()
    assert (listed["count"], listed["items"][0]["status"]) == (1, "extracted")
    image = api.get(f"{base}/{created['id']}/image", **bearer(host))
    assert image.status_code == 200
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert api.get_json(f"{base}/999999", user=host).status_code == 404


def test_non_images_are_refused_at_upload(api, host):
    _, _, match = started_br_match(api, host)
    response = upload_screenshot(api, host, match["id"], b"<html>not an image</html>", name="x.png")
    assert response.status_code == 415
    assert MatchScreenshot.objects.count() == 0


def test_cancelled_matches_take_no_screenshots(api, host):
    _, _, match = started_br_match(api, host)
    assert api.patch_json(f"/api/matches/{match['id']}", {"status": "cancelled"}, user=host).status_code == 200
    response = upload_screenshot(api, host, match["id"])
    assert (response.status_code, response.json()["code"]) == (409, "match_cancelled")


def test_extracted_rows_are_matched_to_the_lobby_and_confirmed_through_the_results_service(api, host, static_ocr):
    tournament, teams, match = started_br_match(api, host)
    screenshot = _extracted(api, host, match["id"], BR_SCREEN, static_ocr)
    assert screenshot["status"] == "extracted"
    rows = screenshot["extracted_data"]["rows"]
    expected = [
        ("GodLike Esports", 1, 8),
        ("Team Soul", 2, 11),
        ("Orangutan", 3, 2),
        ("Blind Esports", 4, 5),
        ("Revenant XSpark", 5, 0),
        ("Medal Esports", 6, 3),
    ]
    assert [(row["team_id"], row["placement"], row["kills"]) for row in rows] == [
        (teams[name], place, kills) for name, place, kills in expected
    ]
    # Nothing is posted until the host confirms.
    assert not MatchResult.objects.filter(match_id=match["id"]).exists()

    path = f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/confirm"
    confirmed = api.post_json(path, user=host)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    standings = api.get_json(f"/api/tournaments/{tournament['id']}/standings").json()
    bgmi = [15, 12, 10, 8, 6, 4]
    assert {row["team"]["id"]: row["points"] for row in standings} == {
        teams[name]: bgmi[place - 1] + kills for name, place, kills in expected
    }
    # 23 points each: the match win puts GodLike Esports first.
    assert [row["team"]["id"] for row in standings[:2]] == [teams["GodLike Esports"], teams["Team Soul"]]
    assert ResultAudit.objects.filter(match_id=match["id"]).count() == 1
    again = api.post_json(path, user=host)
    assert (again.status_code, again.json()["code"]) == (409, "already_confirmed")


def test_the_host_can_correct_rows_before_confirming(api, host, static_ocr):
    _, teams, match = started_br_match(api, host)
    # OCR missed a row: the host completes it (or marks the team absent) when confirming.
    screenshot = _extracted(api, host, match["id"], "\n".join(BR_SCREEN.splitlines()[:-1]), static_ocr)
    assert screenshot["extracted_data"]["missing_team_ids"] == [teams["Medal Esports"]]
    path = f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/confirm"
    as_extracted = api.post_json(path, user=host)
    assert (as_extracted.status_code, as_extracted.json()["code"]) == (422, "invalid_results")
    assert MatchScreenshot.objects.get(pk=screenshot["id"]).status == "extracted"  # rolled back

    results = [
        {"team_id": row["team_id"], "placement": row["placement"], "kills": row["kills"]}
        for row in screenshot["extracted_data"]["rows"]
    ] + [{"team_id": teams["Medal Esports"], "absent": True}]
    results[0]["kills"] = 9
    confirmed = api.post_json(path, {"results": results}, user=host)
    assert confirmed.status_code == 200, confirmed.content
    posted = api.get_json(f"/api/matches/{match['id']}").json()["results"]
    assert (posted[0]["team"]["id"], posted[0]["kills"]) == (teams["GodLike Esports"], 9)
    assert len(posted) == 5


def test_head_to_head_score_is_oriented_by_team_names(api, host, static_ocr):
    _, teams, match = started_h2h_match(api, host, home="Red Dragons", away="Blue Lions")
    home_is_red = match["home_team"]["id"] == teams["Red Dragons"]
    # The screen shows Blue Lions on the left.
    screenshot = _extracted(
        api, host, match["id"], "FULL TIME\nBlue Lions 3 - 1 Red Dragons\nPossession 40% 60%", static_ocr
    )
    assert screenshot["status"] == "extracted", screenshot["failure_reason"]
    proposed = screenshot["extracted_data"]["proposed"]
    blue, red = 3, 1
    assert proposed == (
        {"home_score": red, "away_score": blue} if home_is_red else {"home_score": blue, "away_score": red}
    )
    confirmed = api.post_json(f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/confirm", user=host)
    assert confirmed.status_code == 200, confirmed.content
    played = api.get_json(f"/api/matches/{match['id']}").json()
    assert played["winner"]["id"] == teams["Blue Lions"]


def test_a_failed_screenshot_can_still_be_confirmed_with_typed_results(api, host, static_ocr):
    _, _, match = started_h2h_match(api, host)
    screenshot = _extracted(api, host, match["id"], "", static_ocr)
    assert (screenshot["status"], screenshot["failure_reason"]) == ("failed", "No text was found in the screenshot.")
    path = f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/confirm"
    assert api.post_json(path, user=host).json()["code"] == "results_required"
    assert api.post_json(path, {"home_score": 2, "away_score": 0}, user=host).status_code == 200
    assert api.get_json(f"/api/matches/{match['id']}").json()["home_score"] == 2


def test_rerunning_the_task_changes_nothing(api, host, static_ocr):
    _, _, match = started_br_match(api, host)
    screenshot = _extracted(api, host, match["id"], BR_SCREEN, static_ocr)
    static_ocr("1 Team Soul 99")
    extract_match_screenshot.delay(screenshot["id"])
    again = api.get_json(f"/api/matches/{match['id']}/screenshots/{screenshot['id']}", user=host).json()
    # The signed image link carries its own expiry time; everything else is exactly as before.
    assert again.pop("image_url").split("?")[0] == screenshot.pop("image_url").split("?")[0]
    assert again == screenshot


def test_an_image_missing_from_storage_is_a_404_not_a_500(api, host, static_ocr):
    from django.core.files.storage import storages

    _, _, match = started_br_match(api, host)
    screenshot = _extracted(api, host, match["id"], BR_SCREEN, static_ocr)
    storages["private"].delete(MatchScreenshot.objects.get(pk=screenshot["id"]).image.name)
    api.raise_request_exception = False
    response = api.get(f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/image", **bearer(host))
    assert (response.status_code, response.json()["code"]) == (404, "file_missing")


def test_implausible_kills_read_by_ocr_are_refused_not_posted(api, host, static_ocr):
    """Typed results are bounded by the API schema; accepted-as-extracted ones skipped it, so a
    misread "70000" kills was posted (SQLite) or overflowed the smallint column (PostgreSQL: 500)."""
    _, _, match = started_br_match(api, host)
    screen = BR_SCREEN.replace("1 GODLIKE ESPORTS 8 23", "1 GODLIKE ESPORTS 70000 23")
    screenshot = _extracted(api, host, match["id"], screen, static_ocr)
    assert screenshot["extracted_data"]["rows"][0]["kills"] == 70000
    api.raise_request_exception = False
    path = f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/confirm"
    refused = api.post_json(path, user=host)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_results")
    assert "kills run from 0 to 1000" in refused.json()["detail"]
    assert not MatchResult.objects.filter(match_id=match["id"]).exists()
    assert MatchScreenshot.objects.get(pk=screenshot["id"]).status == "extracted"


def test_screenshot_uploads_are_throttled(api, host, settings, static_ocr):
    static_ocr(BR_SCREEN)
    _, _, match = started_br_match(api, host)
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "screenshot_upload": "1/h"}
    assert upload_screenshot(api, host, match["id"]).status_code == 201
    throttled = upload_screenshot(api, host, match["id"])
    assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
    assert MatchScreenshot.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # a real commit: on_commit callbacks run inside the service
def test_a_broker_outage_at_upload_keeps_the_screenshot(api, host, static_ocr, monkeypatch, games_catalog):

    from django.core.files.storage import storages
    from kombu import Producer
    from kombu.exceptions import OperationalError

    from arena.celery import app as celery_app

    _, _, match = started_br_match(api, host)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    celery_app.conf.task_always_eager = False  # the autouse _celery_inline fixture restores it
    monkeypatch.setattr(Producer, "publish", broker_down)
    api.raise_request_exception = False
    created = upload_screenshot(api, host, match["id"])
    assert created.status_code == 201, created.content
    screenshot = MatchScreenshot.objects.get(pk=created.json()["id"])
    assert storages["private"].exists(screenshot.image.name)
    assert screenshot.status == "failed"
    assert "could not be queued" in screenshot.failure_reason
