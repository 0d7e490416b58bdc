"""Captains' report screenshots (tournaments with captain reporting): stored and read by OCR like a
host's screenshot; what OCR read prefills the captain's report, which competitions judges."""

from django.core.files.uploadedfile import UploadedFile

from accounts.models import User
from arena.exceptions import Conflict, Invalid
from competitions.models import Match, MatchReport
from competitions.services import match_for_captain, match_report_submit
from matchlog import selectors
from matchlog.models import MatchScreenshot, OcrStatus
from matchlog.services.screenshots import screenshot_store


def report_screenshot_upload(*, match_id: int, user: User, image: UploadedFile) -> MatchScreenshot:
    """A captain's proof for their report; its extraction prefills the report (report_submit).
    Confirming it as results stays the host's call."""
    match, _ = match_for_captain(match_id=match_id, user=user)
    if match.status == Match.Status.COMPLETED:
        raise Conflict("This match's result is recorded; dispute it if it is wrong.", code="already_confirmed")
    return screenshot_store(match=match, user=user, image=image)


def report_submit(*, match_id: int, user: User, screenshot_id: int | None = None, **values) -> MatchReport:
    """A captain's report, with an optional screenshot of theirs as proof: the fields they leave out
    are taken from what OCR read on it. Judged by competitions.services.reports.match_report_submit."""
    given = {key: value for key, value in values.items() if value is not None}
    if screenshot_id is not None:
        match, team = match_for_captain(match_id=match_id, user=user, team_id=given.get("team_id"))
        screenshot = MatchScreenshot.objects.filter(pk=screenshot_id, match=match, uploaded_by=user).first()
        if screenshot is None:
            raise Invalid("No such screenshot of yours for this match.", code="unknown_screenshot")
        if screenshot.status == OcrStatus.PROCESSING:
            raise Conflict("The screenshot is still being read; try again in a moment.", code="still_processing")
        given = selectors.report_prefill(screenshot=screenshot, team_id=team) | given
    return match_report_submit(match_id=match_id, user=user, screenshot_id=screenshot_id, **given)
