"""HTTP edge for captains' reports and disputes (competitions.services.reports, .disputes; screenshots via matchlog)."""

from django.http import HttpRequest
from ninja import File, Router, Status, UploadedFile
from ninja.pagination import paginate

from api.auth import jwt_auth
from api.schemas.common import ErrorOut
from api.schemas.reports import (
    DisputeIn,
    DisputeOut,
    DisputeStatus,
    MatchReportsOut,
    ReportIn,
    ReportScreenshotOut,
    ResolveIn,
)
from api.throttle import throttle
from competitions import report_selectors
from competitions import services as reports
from matchlog import selectors as matchlog_selectors
from matchlog import services as matchlog_services

matches_router = Router(tags=["reports"], auth=jwt_auth)
tournaments_router = Router(tags=["reports"], auth=jwt_auth)
disputes_router = Router(tags=["reports"], auth=jwt_auth)

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
UPLOAD_ERRORS = {**ERRORS, 413: ErrorOut, 415: ErrorOut, 429: ErrorOut}


@matches_router.post("/{match_id}/reports", response={200: MatchReportsOut, **ERRORS})
def post_match_report(request: HttpRequest, match_id: int, payload: ReportIn):
    """A captain of one of the match's teams reports (or corrects) the result, when the tournament has
    `captain_reporting`. Battle royale: their team's placement and kills; head to head: the score. When the
    reports agree (head to head: both scores equal; battle royale: every lobby team reported and no two claim
    the same placement) the result is recorded as a host's entry would be; when they clash a dispute opens for
    the host. Answers the match's reports as they now stand. 409 `reporting_off`, `already_confirmed`
    (dispute instead), `not_ongoing`, `still_processing`; 422 `invalid_report`, `draw_not_allowed`,
    `unknown_screenshot`."""
    matchlog_services.report_submit(match_id=match_id, user=request.user, **payload.dict())
    return report_selectors.match_reports_get(match_id=match_id, user=request.user)


@matches_router.get("/{match_id}/reports", response={200: MatchReportsOut, **ERRORS})
def get_match_reports(request: HttpRequest, match_id: int):
    """The host and the players of the match's teams: every report, the teams still to report, the state."""
    return report_selectors.match_reports_get(match_id=match_id, user=request.user)


def _report_screenshot(request: HttpRequest, match_id: int, screenshot_id: int):
    screenshot = matchlog_selectors.report_screenshot_get(
        match_id=match_id, screenshot_id=screenshot_id, user=request.user
    )
    screenshot.prefill = matchlog_selectors.report_screenshot_prefill(screenshot=screenshot)
    return screenshot


@matches_router.post("/{match_id}/reports/screenshot", response={201: ReportScreenshotOut, **UPLOAD_ERRORS})
def upload_report_screenshot(request: HttpRequest, match_id: int, image: File[UploadedFile]):
    """A captain's proof: multipart `image` (PNG, JPEG or WebP ≤ 10 MiB) of the results screen. OCR reads it
    in the background (`screenshot.status` on /ws/me/); then `prefill` holds what it read for the captain's
    team, and POST …/reports with `screenshot_id` uses it for the fields left out."""
    throttle(request, "screenshot_upload", account=str(request.user.pk))
    screenshot = matchlog_services.report_screenshot_upload(match_id=match_id, user=request.user, image=image)
    return Status(201, _report_screenshot(request, match_id, screenshot.pk))


@matches_router.get("/{match_id}/reports/screenshots/{screenshot_id}", response={200: ReportScreenshotOut, **ERRORS})
def get_report_screenshot(request: HttpRequest, match_id: int, screenshot_id: int):
    """Its uploader and the host: status, what OCR read and the prefill for the uploader's team."""
    return _report_screenshot(request, match_id, screenshot_id)


@matches_router.post("/{match_id}/disputes", response={201: DisputeOut, **ERRORS})
def open_match_dispute(request: HttpRequest, match_id: int, payload: DisputeIn):
    """A captain of one of the match's teams disputes its reports or its recorded result, with a `reason`.
    409 `already_disputed` while one is open."""
    dispute = reports.match_dispute_open(
        match_id=match_id, user=request.user, reason=payload.reason, team_id=payload.team_id
    )
    return Status(201, report_selectors.dispute_get(dispute_id=dispute.pk, user=request.user))


@tournaments_router.get("/{tournament_id}/disputes", response={200: list[DisputeOut], **ERRORS})
@paginate
def list_disputes(request: HttpRequest, tournament_id: int, status: DisputeStatus | None = None):
    """Its host: the tournament's disputes, newest first, with both sides' reports and screenshots."""
    return report_selectors.dispute_list(tournament_id=tournament_id, user=request.user, status=status)


@disputes_router.get("/{dispute_id}", response={200: DisputeOut, **ERRORS})
def get_dispute(request: HttpRequest, dispute_id: int):
    """The host and the players of the disputed match's teams."""
    return report_selectors.dispute_get(dispute_id=dispute_id, user=request.user)


@disputes_router.post("/{dispute_id}/resolve", response={200: DisputeOut, **ERRORS})
def resolve_dispute(request: HttpRequest, dispute_id: int, payload: ResolveIn):
    """Its host, one way: `report_id` (head to head), `results` (battle royale, every lobby team) or
    `home_score`/`away_score`, or `dismiss`. The result is recorded like PUT /api/matches/{id}/results; who
    resolved, when, how and what stay on the dispute. 409 `already_resolved`; 422 `resolution_required`,
    `results_required`, `unknown_report`, `wrong_result_shape`, `invalid_results`."""
    reports.dispute_resolve(
        dispute_id=dispute_id,
        user=request.user,
        report_id=payload.report_id,
        entries=[entry.dict() for entry in payload.results] if payload.results is not None else None,
        home_score=payload.home_score,
        away_score=payload.away_score,
        dismiss=payload.dismiss,
        note=payload.note,
    )
    return report_selectors.dispute_get(dispute_id=dispute_id, user=request.user)
