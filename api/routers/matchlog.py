"""HTTP edge for result screenshots: the personal match log (/me/matches) and a host's
tournament-match screenshots (/matches/{id}/screenshot)."""

from typing import Literal

from django.http import FileResponse, HttpRequest
from ninja import Body, File, Form, Router, Status, UploadedFile
from ninja.pagination import paginate

from api.auth import jwt_auth
from api.schemas.common import ErrorOut
from api.schemas.matchlog import (
    DisputeIn,
    MatchRecordOut,
    MatchRecordPutIn,
    ScreenshotConfirmIn,
    ScreenshotOut,
    ShareIn,
    StatsSummaryOut,
)
from api.throttle import throttle
from arena.exceptions import NotFound
from matchlog import selectors, services

router = Router(tags=["match log"], auth=jwt_auth)
screenshots_router = Router(tags=["matches"], auth=jwt_auth)

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
UPLOAD_ERRORS = {**ERRORS, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut}


def _image(file) -> FileResponse:
    try:
        handle = file.storage.open(file.name, "rb")
    except FileNotFoundError:
        raise NotFound("The stored screenshot is missing.", code="file_missing") from None
    return FileResponse(handle, content_type="image/png")


# --- personal match log ------------------------------------------------------------------------------------------


@router.post("/me/matches", response={201: MatchRecordOut, **UPLOAD_ERRORS})
def create_match_record(request: HttpRequest, screenshot: File[UploadedFile], opponent_name: Form[str]):
    """Multipart `screenshot` (PNG, JPEG or WebP ≤ 10 MiB) and `opponent_name`. The screenshot is read by OCR
    in the background: `status` goes `processing` → `extracted` (or `failed` with `failure_reason`), pushed as
    `match_record.status` on /ws/me/. Then confirm the score with PUT. Throttled per account and client IP."""
    throttle(request, "screenshot_upload", account=str(request.user.pk))
    record = services.match_record_create(owner=request.user, screenshot=screenshot, opponent_name=opponent_name)
    return Status(201, selectors.match_record_get(record_id=record.pk, user=request.user))


@router.get("/me/matches", response=list[MatchRecordOut])
@paginate
def list_match_records(request: HttpRequest, role: Literal["all", "own", "shared"] = "all"):
    """Your own records and the ones opponents shared with you (`?role=own` or `?role=shared`), newest first."""
    return selectors.match_record_list(user=request.user, role=role)


@router.get("/me/stats/summary", response={200: StatsSummaryOut, 401: ErrorOut})
def get_match_stats_summary(request: HttpRequest):
    """Over your confirmed records, and records shared with you that you confirmed (from your side):
    matches, wins/draws/losses, goals for and against, and per-match averages."""
    return selectors.match_stats_summary(user=request.user)


@router.get("/me/matches/{record_id}", response={200: MatchRecordOut, **ERRORS})
def get_match_record(request: HttpRequest, record_id: int):
    return selectors.match_record_get(record_id=record_id, user=request.user)


@router.put("/me/matches/{record_id}", response={200: MatchRecordOut, **ERRORS})
def confirm_match_record(request: HttpRequest, record_id: int, payload: MatchRecordPutIn):
    """The owner confirms `score_user`, `score_opponent` and `stats` (omitted ones are taken from what OCR
    proposed; on a record already confirmed they are kept). Editing a record the opponent already answered
    asks them again."""
    data = payload.dict(exclude_none=True)
    services.match_record_confirm(record_id=record_id, user=request.user, **data)
    return selectors.match_record_get(record_id=record_id, user=request.user)


@router.delete("/me/matches/{record_id}", response={204: None, **ERRORS})
def delete_match_record(request: HttpRequest, record_id: int):
    services.match_record_delete(record_id=record_id, user=request.user)
    return Status(204, None)


@router.get("/me/matches/{record_id}/screenshot", response={200: None, **ERRORS})
def get_match_record_screenshot(request: HttpRequest, record_id: int):
    """The stored screenshot (PNG, metadata stripped), for the owner and the opponent it was shared with."""
    return _image(selectors.match_record_get(record_id=record_id, user=request.user).screenshot)


@router.post("/me/matches/{record_id}/share", response={200: MatchRecordOut, **ERRORS})
def share_match_record(request: HttpRequest, record_id: int, payload: ShareIn):
    """The owner shares a confirmed record with the opponent's account; they confirm or dispute it."""
    services.match_record_share(record_id=record_id, user=request.user, username=payload.username)
    return selectors.match_record_get(record_id=record_id, user=request.user)


@router.post("/me/matches/{record_id}/confirm", response={200: MatchRecordOut, **ERRORS})
def confirm_shared_match_record(request: HttpRequest, record_id: int):
    """The opponent a record was shared with agrees with it; it then counts in their summary too."""
    services.match_record_answer(record_id=record_id, user=request.user, agree=True)
    return selectors.match_record_get(record_id=record_id, user=request.user)


@router.post("/me/matches/{record_id}/dispute", response={200: MatchRecordOut, **ERRORS})
def dispute_match_record(request: HttpRequest, record_id: int, payload: Body[DisputeIn] = None):
    """The opponent a record was shared with disagrees, with an optional `reason`."""
    reason = payload.reason if payload else ""
    services.match_record_answer(record_id=record_id, user=request.user, agree=False, reason=reason)
    return selectors.match_record_get(record_id=record_id, user=request.user)


# --- tournament match screenshots ------------------------------------------------------------------------------


def _screenshot(request: HttpRequest, match_id: int, screenshot_id: int):
    return selectors.screenshot_get(match_id=match_id, screenshot_id=screenshot_id, user=request.user)


@screenshots_router.post("/{match_id}/screenshot", response={201: ScreenshotOut, **UPLOAD_ERRORS})
def upload_match_screenshot(request: HttpRequest, match_id: int, image: File[UploadedFile]):
    """Its host. Multipart `image` (PNG, JPEG or WebP ≤ 10 MiB) of the results screen. OCR proposes the
    results in the background: `status` goes `processing` → `extracted` (or `failed` with `failure_reason`),
    announced as `screenshot.status` on the match topic. Confirm to post them. Throttled per account and client IP."""
    throttle(request, "screenshot_upload", account=str(request.user.pk))
    screenshot = services.screenshot_upload(match_id=match_id, user=request.user, image=image)
    return Status(201, _screenshot(request, match_id, screenshot.pk))


@screenshots_router.get("/{match_id}/screenshots", response={200: list[ScreenshotOut], **ERRORS})
@paginate
def list_match_screenshots(request: HttpRequest, match_id: int):
    """Its host: the match's screenshots, newest first."""
    return selectors.screenshot_list(match_id=match_id, user=request.user)


@screenshots_router.get("/{match_id}/screenshots/{screenshot_id}", response={200: ScreenshotOut, **ERRORS})
def get_match_screenshot(request: HttpRequest, match_id: int, screenshot_id: int):
    return _screenshot(request, match_id, screenshot_id)


@screenshots_router.get("/{match_id}/screenshots/{screenshot_id}/image", response={200: None, **ERRORS})
def get_match_screenshot_image(request: HttpRequest, match_id: int, screenshot_id: int):
    return _image(_screenshot(request, match_id, screenshot_id).image)


@screenshots_router.post("/{match_id}/screenshots/{screenshot_id}/confirm", response={200: ScreenshotOut, **ERRORS})
def confirm_match_screenshot(
    request: HttpRequest, match_id: int, screenshot_id: int, payload: Body[ScreenshotConfirmIn] = None
):
    """Its host accepts the extracted results, or sends edited ones (battle royale: `results` with every lobby
    team, as for PUT /api/matches/{id}/results; head to head: `home_score`, `away_score`). They are posted
    through the same results service: standings, audit, live updates."""
    payload = payload or ScreenshotConfirmIn()
    services.screenshot_confirm(
        match_id=match_id,
        screenshot_id=screenshot_id,
        user=request.user,
        entries=[entry.dict() for entry in payload.results] if payload.results is not None else None,
        home_score=payload.home_score,
        away_score=payload.away_score,
    )
    return _screenshot(request, match_id, screenshot_id)
