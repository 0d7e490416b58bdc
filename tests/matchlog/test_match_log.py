"""The personal match log over HTTP, with the canned-text OCR engine."""

import io

import pytest
from celery.exceptions import Retry
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from matchlog.models import MatchRecord
from matchlog.tasks import extract_match_record
from realtime.models import Notification
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.matchlog.conftest import png, upload_record

pytestmark = pytest.mark.django_db

SCREEN = """FULL TIME
Red Dragons 2 - 1 Blue Lions
55% Possession 45%
Shots 10 7
Shots on Target 5 3
Passes 420 380"""


@pytest.fixture
def record(api, user, static_ocr) -> dict:
    static_ocr(SCREEN)
    created = upload_record(api, user, opponent_name="Blue Lions")
    assert created.status_code == 201, created.content
    return api.get_json(f"/api/me/matches/{created.json()['id']}", user=user).json()


def _confirmed(api, user, **body) -> dict:
    created = upload_record(api, user)
    response = api.put_json(f"/api/me/matches/{created.json()['id']}", body, user=user)
    assert response.status_code == 200, response.content
    return response.json()


def test_upload_is_processed_then_extracted(api, user, static_ocr):
    static_ocr(SCREEN)
    created = upload_record(api, user, opponent_name="Blue Lions")
    assert created.status_code == 201
    assert {"id", "status", "extracted_data"} <= set(created.json())
    assert created.json()["status"] == "processing"
    record = api.get_json(f"/api/me/matches/{created.json()['id']}", user=user).json()
    assert record["status"] == "extracted"
    assert record["extracted_data"]["proposed"] == {
        "score_user": 2,
        "score_opponent": 1,
        "stats": {
            "possession": {"user": 55, "opponent": 45},
            "shots": {"user": 10, "opponent": 7},
            "shots_on_target": {"user": 5, "opponent": 3},
            "passes": {"user": 420, "opponent": 380},
        },
    }
    assert record["confidence"]["proposed"]["score_user"] == 0.95
    assert record["owner"] == user.username
    assert record["opponent"] is None
    # The stored screenshot is a re-encoded PNG, served only through the API.
    image = api.get(record["screenshot_url"], **bearer(user))
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_non_images_are_refused_at_upload(api, user):
    response = api.post(
        "/api/me/matches",
        {"screenshot": png(b"%PDF-1.4 not an image", name="r.png"), "opponent_name": "X"},
        **bearer(user),
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    gif = png(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
              b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", name="r.gif")  # fmt: skip
    assert api.post("/api/me/matches", {"screenshot": gif, "opponent_name": "X"}, **bearer(user)).status_code == 415
    missing = api.post("/api/me/matches", {"opponent_name": "X"}, **bearer(user))
    assert missing.status_code == 422
    assert MatchRecord.objects.count() == 0


def test_what_is_in_storage_failing_to_decode_ends_as_failed(user):
    """The task never trusts storage: a non-image there ends `failed` with a reason."""
    record = MatchRecord(owner=user, opponent_name="X")
    record.screenshot.save("junk.png", ContentFile(b"this is not an image"), save=False)
    record.save()
    extract_match_record.delay(record.pk)
    record.refresh_from_db()
    assert (record.status, record.failure_reason) == ("failed", "The file is not an image that can be read.")


def test_missing_engine_and_engine_crashes_end_as_failed(api, user, settings, static_ocr):
    settings.OCR_ENGINE_OPTIONS = {"cmd": "/nonexistent/tesseract"}
    first = api.get_json(f"/api/me/matches/{upload_record(api, user).json()['id']}", user=user).json()
    assert first["status"] == "failed"
    assert "OCR engine is not available" in first["failure_reason"]

    settings.OCR_ENGINE = "tests.matchlog.test_match_log.BrokenEngine"
    settings.OCR_ENGINE_OPTIONS = {}
    second = api.get_json(f"/api/me/matches/{upload_record(api, user).json()['id']}", user=user).json()
    assert (second["status"], second["failure_reason"]) == ("failed", "The screenshot could not be read.")

    static_ocr("")
    blank = api.get_json(f"/api/me/matches/{upload_record(api, user).json()['id']}", user=user).json()
    assert (blank["status"], blank["failure_reason"]) == ("failed", "No text was found in the screenshot.")
    static_ocr("GAME OVER\nPress any key")
    no_score = api.get_json(f"/api/me/matches/{upload_record(api, user).json()['id']}", user=user).json()
    assert no_score["status"] == "failed"
    assert no_score["failure_reason"].startswith("No score")


class BrokenEngine:
    def read(self, image_bytes: bytes):
        raise ZeroDivisionError("a bug in an engine")


def test_unreadable_storage_ends_as_failed(user, monkeypatch, static_ocr):
    static_ocr(SCREEN)
    record = MatchRecord(owner=user, opponent_name="X")
    record.screenshot.save("r.png", ContentFile(b"whatever"), save=False)
    record.save()
    storage = storages["private"]
    calls = []

    def unreachable(name, mode="rb"):
        calls.append(name)
        raise ConnectionError("storage is down")

    monkeypatch.setattr(storage, "open", unreachable)
    extract_match_record.delay(record.pk)
    record.refresh_from_db()
    assert len(calls) == 1  # run eagerly: no retries (a worker retries with backoff)
    assert (record.status, record.failure_reason) == (
        "failed",
        "The stored screenshot could not be read; upload it again.",
    )


def test_the_task_is_idempotent(api, user, record, static_ocr):
    static_ocr("FULL TIME\nRed Dragons 9 - 9 Blue Lions")
    extract_match_record.delay(record["id"])
    again = api.get_json(f"/api/me/matches/{record['id']}", user=user).json()
    assert again["extracted_data"] == record["extracted_data"]
    assert again["extracted_at"] == record["extracted_at"]


def test_put_confirms_proposed_or_edited_values(api, user, record):
    accepted = api.put_json(f"/api/me/matches/{record['id']}", {}, user=user).json()
    assert (accepted["status"], accepted["score_user"], accepted["score_opponent"]) == ("confirmed", 2, 1)
    assert accepted["stats"]["possession"] == {"user": 55, "opponent": 45}
    edited = api.put_json(
        f"/api/me/matches/{record['id']}",
        {"score_user": 3, "score_opponent": 3, "stats": {"shots": {"user": 4, "opponent": 9}}},
        user=user,
    ).json()
    assert (edited["score_user"], edited["score_opponent"], edited["stats"]) == (
        3,
        3,
        {"shots": {"user": 4, "opponent": 9}},
    )
    bad = api.put_json(
        f"/api/me/matches/{record['id']}", {"stats": {"possession": {"user": 150, "opponent": 0}}}, user=user
    )
    assert bad.status_code == 422
    assert api.put_json(f"/api/me/matches/{record['id']}", {"score_user": -1}, user=user).status_code == 422


def test_a_failed_record_needs_a_score(api, user, static_ocr):
    static_ocr("")
    failed = upload_record(api, user).json()
    response = api.put_json(f"/api/me/matches/{failed['id']}", {}, user=user)
    assert (response.status_code, response.json()["code"]) == (422, "score_required")
    manual = api.put_json(f"/api/me/matches/{failed['id']}", {"score_user": 1, "score_opponent": 0}, user=user)
    assert manual.json()["status"] == "confirmed"


def test_others_cannot_see_or_change_a_record(api, user, record):
    stranger = UserFactory()
    path = f"/api/me/matches/{record['id']}"
    assert api.get_json(path, user=stranger).status_code == 404
    assert api.put_json(path, {"score_user": 0, "score_opponent": 9}, user=stranger).status_code == 404
    assert api.delete_json(path, user=stranger).status_code == 404
    assert api.post_json(f"{path}/share", {"username": stranger.username}, user=stranger).status_code == 404
    assert api.get(f"{path}/screenshot", **bearer(stranger)).status_code == 404
    assert api.get_json("/api/me/matches", user=stranger).json()["count"] == 0
    assert api.get_json(path).status_code == 401
    listed = api.get_json("/api/me/matches", user=user).json()
    assert (listed["count"], listed["items"][0]["id"]) == (1, record["id"])


def test_delete_removes_the_record_and_its_screenshot(api, user, record):
    stored = MatchRecord.objects.get(pk=record["id"]).screenshot.name
    assert storages["private"].exists(stored)
    assert api.delete_json(f"/api/me/matches/{record['id']}", user=user).status_code == 204
    assert not MatchRecord.objects.filter(pk=record["id"]).exists()
    assert not storages["private"].exists(stored)
    assert api.get_json(f"/api/me/matches/{record['id']}", user=user).status_code == 404


def test_share_then_the_opponent_confirms(api, user, record):
    opponent = UserFactory()
    path = f"/api/me/matches/{record['id']}"
    unconfirmed = api.post_json(f"{path}/share", {"username": opponent.username}, user=user)
    assert (unconfirmed.status_code, unconfirmed.json()["code"]) == (409, "not_confirmed")
    api.put_json(path, {}, user=user)
    assert api.post_json(f"{path}/share", {"username": user.username}, user=user).status_code == 422
    assert api.post_json(f"{path}/share", {"username": "nobody_here"}, user=user).status_code == 422

    shared = api.post_json(f"{path}/share", {"username": opponent.username.upper()}, user=user)
    assert shared.status_code == 200
    assert (shared.json()["opponent"], shared.json()["share_status"]) == (opponent.username, "pending")
    notification = Notification.objects.get(user=opponent)
    assert notification.kind == "match_shared"
    assert notification.data["record_id"] == record["id"]

    # The opponent sees it (read only) and answers; the owner cannot answer their own record.
    seen = api.get_json(path, user=opponent).json()
    assert (seen["owner"], seen["score_user"]) == (user.username, 2)
    assert api.get_json("/api/me/matches?role=shared", user=opponent).json()["count"] == 1
    assert api.get_json("/api/me/matches?role=own", user=opponent).json()["count"] == 0
    assert api.put_json(path, {"score_user": 0, "score_opponent": 5}, user=opponent).status_code == 403
    assert api.delete_json(path, user=opponent).status_code == 403
    assert api.post_json(f"{path}/confirm", user=user).status_code == 403
    assert api.post_json(f"{path}/confirm", user=UserFactory()).status_code == 404

    confirmed = api.post_json(f"{path}/confirm", user=opponent)
    assert confirmed.json()["share_status"] == "confirmed"
    assert Notification.objects.get(user=user).kind == "match_confirmed"
    assert api.post_json(f"{path}/dispute", user=opponent).status_code == 409
    assert api.post_json(f"{path}/share", {"username": UserFactory().username}, user=user).status_code == 409

    # Editing the result afterwards asks the opponent again.
    edited = api.put_json(path, {"score_user": 3, "score_opponent": 1}, user=user).json()
    assert edited["share_status"] == "pending"


def test_the_opponent_can_dispute_with_a_reason(api, user, record):
    opponent = UserFactory()
    path = f"/api/me/matches/{record['id']}"
    api.put_json(path, {}, user=user)
    api.post_json(f"{path}/share", {"username": opponent.username}, user=user)
    disputed = api.post_json(f"{path}/dispute", {"reason": "It was 1-2"}, user=opponent).json()
    assert (disputed["share_status"], disputed["dispute_reason"]) == ("disputed", "It was 1-2")
    assert Notification.objects.get(user=user).kind == "match_disputed"
    # The owner can share it again (with the same or another account) after fixing it.
    again = api.post_json(f"{path}/share", {"username": opponent.username}, user=user).json()
    assert (again["share_status"], again["dispute_reason"]) == ("pending", "")


def test_a_worker_retries_storage_outages_with_backoff_then_fails(user, monkeypatch):
    record = MatchRecord(owner=user, opponent_name="X")
    record.screenshot.save("r.png", ContentFile(b"whatever"), save=False)
    record.save()
    monkeypatch.setattr(storages["private"], "open", lambda name, mode="rb": (_ for _ in ()).throw(OSError("down")))
    countdowns = []

    def retry(exc, countdown):
        countdowns.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(extract_match_record, "retry", retry)
    for attempt in range(3):
        extract_match_record.push_request(retries=attempt, is_eager=False)
        try:
            with pytest.raises(Retry):
                extract_match_record.run(record.pk)
        finally:
            extract_match_record.pop_request()
    record.refresh_from_db()
    assert (record.status, countdowns) == ("processing", [5, 10, 20])
    extract_match_record.push_request(retries=3, is_eager=False)
    try:
        extract_match_record.run(record.pk)
    finally:
        extract_match_record.pop_request()
    record.refresh_from_db()
    assert record.status == "failed"


def test_a_screenshot_missing_from_storage_is_a_404_not_a_500(api, user, record):
    storages["private"].delete(MatchRecord.objects.get(pk=record["id"]).screenshot.name)
    api.raise_request_exception = False
    response = api.get(f"/api/me/matches/{record['id']}/screenshot", **bearer(user))
    assert (response.status_code, response.json()["code"]) == (404, "file_missing")


@pytest.mark.django_db(transaction=True)  # a real commit: on_commit callbacks run inside the service
def test_a_broker_outage_at_upload_keeps_the_record_and_its_screenshot(api, user, monkeypatch):
    """Queueing the OCR task runs after the row is committed: when the broker is down the upload
    used to answer 500 and delete the screenshot of the record it had just committed."""
    from kombu import Producer
    from kombu.exceptions import OperationalError

    from arena.celery import app as celery_app

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker. Connection refused.")

    celery_app.conf.task_always_eager = False  # the autouse _celery_inline fixture restores it
    monkeypatch.setattr(Producer, "publish", broker_down)
    api.raise_request_exception = False
    created = upload_record(api, user)
    assert created.status_code == 201, created.content
    record = MatchRecord.objects.get(pk=created.json()["id"])
    assert storages["private"].exists(record.screenshot.name)
    # Nobody will read it: it says so, and the score can still be typed in.
    assert record.status == "failed"
    assert "could not be queued" in record.failure_reason
    confirmed = api.put_json(f"/api/me/matches/{record.pk}", {"score_user": 1, "score_opponent": 0}, user=user)
    assert confirmed.json()["status"] == "confirmed"


def test_uploads_are_throttled_per_account(api, user, settings, static_ocr):
    """Each upload is an OCR run on a worker: unthrottled, one account could queue them without end."""
    static_ocr(SCREEN)
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "screenshot_upload": "2/h"}
    assert [upload_record(api, user).status_code for _ in range(2)] == [201, 201]
    throttled = upload_record(api, user)
    assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert MatchRecord.objects.count() == 2


def test_a_refused_upload_leaves_no_file_behind(api, user):
    too_long = upload_record(api, user, opponent_name="x" * 61)  # refused by full_clean, after the file is stored
    assert too_long.status_code == 422
    not_an_image = api.post(
        "/api/me/matches", {"screenshot": png(b"<html></html>"), "opponent_name": "X"}, **bearer(user)
    )
    assert not_an_image.status_code == 415
    assert MatchRecord.objects.count() == 0
    assert not storages["private"].exists("match-log") or storages["private"].listdir("match-log") == ([], [])


def test_upload_limits_bombs_and_metadata(api, user, settings, static_ocr):
    """Screenshots are refused past SCREENSHOT_MAX_BYTES and the pixel limit (before decoding), and
    what is stored is a PNG without the photo's metadata, at most 4096 px a side."""
    from PIL import Image

    from tests.media.helpers import GPS_LATITUDE, assert_no_metadata, decompression_bomb, image_bytes

    static_ocr(SCREEN)
    bomb = upload_record(api, user, image=decompression_bomb())
    assert (bomb.status_code, bomb.json()["code"]) == (413, "image_too_large")
    settings.SCREENSHOT_MAX_BYTES = 10_000
    big = upload_record(api, user, image=image_bytes("PNG") + b"\0" * 10_000)
    assert big.status_code == 413
    settings.SCREENSHOT_MAX_BYTES = 10 * 1024 * 1024
    assert MatchRecord.objects.count() == 0

    photo = image_bytes("JPEG", size=(5000, 1000), exif=True)
    with Image.open(io.BytesIO(photo)) as source:
        assert source.getexif().get_ifd(0x8825) == GPS_LATITUDE
    created = upload_record(api, user, image=photo)
    assert created.status_code == 201, created.content
    with MatchRecord.objects.get(pk=created.json()["id"]).screenshot.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (4096, 819))
        assert_no_metadata(image)


def test_editing_a_confirmed_record_keeps_what_is_not_sent(api, user, record):
    """Fixing the opponent's name used to put OCR's proposal (2-1 and its stats) back over the score
    the owner had corrected, and so ask an opponent who had agreed to confirm again."""
    opponent = UserFactory()
    path = f"/api/me/matches/{record['id']}"
    corrected = {"score_user": 3, "score_opponent": 3, "stats": {"shots": {"user": 4, "opponent": 9}}}
    assert api.put_json(path, corrected, user=user).status_code == 200
    api.post_json(f"{path}/share", {"username": opponent.username}, user=user)
    assert api.post_json(f"{path}/confirm", user=opponent).json()["share_status"] == "confirmed"

    renamed = api.put_json(path, {"opponent_name": "Blue Lions FC"}, user=user).json()
    assert (renamed["opponent_name"], renamed["score_user"], renamed["score_opponent"]) == ("Blue Lions FC", 3, 3)
    assert renamed["stats"] == corrected["stats"]
    assert renamed["share_status"] == "confirmed"
    rescored = api.put_json(path, {"score_opponent": 2}, user=user).json()
    assert (rescored["score_user"], rescored["score_opponent"], rescored["stats"]) == (3, 2, corrected["stats"])
    assert rescored["share_status"] == "pending"


def test_a_camera_mpo_jpeg_is_accepted_as_a_jpeg(api, user, static_ocr):
    """Phone cameras write JPEGs with extra frames in an MPF segment (Pillow: format "MPO"): a photo
    of the TV was refused with 415 "MPO images are not accepted; send a PNG, JPEG or WebP"."""
    from PIL import Image

    static_ocr(SCREEN)
    first, depth = Image.new("RGB", (640, 360), (20, 20, 20)), Image.new("RGB", (640, 360), (90, 90, 90))
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[depth])
    with Image.open(io.BytesIO(out.getvalue())) as photo:
        assert photo.format == "MPO"
    photo_upload = png(out.getvalue(), name="IMG_0001.jpg", content_type="image/jpeg")
    created = api.post("/api/me/matches", {"screenshot": photo_upload, "opponent_name": "X"}, **bearer(user))
    assert created.status_code == 201, created.content
    with MatchRecord.objects.get(pk=created.json()["id"]).screenshot.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (640, 360))
