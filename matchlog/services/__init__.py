"""Writes for result screenshots (tournament matches) and the personal match log.

An upload is checked and stored through Django's storage API, then a Celery task runs the
OCR engine (matchlog.ocr) and the parsers (matchlog.parsing) and moves the document from
`processing` to `extracted`, or to `failed` with a reason. Every status change is pushed
over the realtime topics after commit. Confirming a tournament screenshot posts the results
through the competitions results service, like PUT /api/matches/{id}/results does.

One import path (`from matchlog import services`) in front of pipeline, screenshots and records.
"""

from matchlog.services.pipeline import NOT_QUEUED, OCR_TEXT_LIMIT, Extraction, StorageReadError
from matchlog.services.records import (
    STAT_VALUE_MAX,
    match_record_answer,
    match_record_confirm,
    match_record_create,
    match_record_delete,
    match_record_extract,
    match_record_extraction_save,
    match_record_fail,
    match_record_share,
)
from matchlog.services.reports import report_screenshot_upload, report_submit
from matchlog.services.screenshots import (
    screenshot_confirm,
    screenshot_extract,
    screenshot_extraction_save,
    screenshot_fail,
    screenshot_upload,
)

__all__ = [
    "NOT_QUEUED",
    "OCR_TEXT_LIMIT",
    "STAT_VALUE_MAX",
    "Extraction",
    "StorageReadError",
    "match_record_answer",
    "match_record_confirm",
    "match_record_create",
    "match_record_delete",
    "match_record_extract",
    "match_record_extraction_save",
    "match_record_fail",
    "match_record_share",
    "report_screenshot_upload",
    "report_submit",
    "screenshot_confirm",
    "screenshot_extract",
    "screenshot_extraction_save",
    "screenshot_fail",
    "screenshot_upload",
]
