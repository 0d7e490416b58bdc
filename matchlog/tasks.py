"""OCR tasks: thin, idempotent (a redelivered message finds the document no longer `processing`).

A storage outage is retried with backoff on a worker; run eagerly (the embedded mode) there is
nobody to wait for, so the document fails at once with a reason."""

from celery import shared_task

STORAGE_RETRIES = 3
UNREADABLE = "The stored screenshot could not be read; upload it again."


@shared_task(bind=True, max_retries=STORAGE_RETRIES)
def extract_match_screenshot(self, screenshot_id: int) -> None:
    from matchlog.services import StorageReadError, screenshot_extract, screenshot_fail

    try:
        screenshot_extract(screenshot_id=screenshot_id)
    except StorageReadError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            screenshot_fail(screenshot_id=screenshot_id, reason=UNREADABLE)
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc


@shared_task(bind=True, max_retries=STORAGE_RETRIES)
def extract_match_record(self, record_id: int) -> None:
    from matchlog.services import StorageReadError, match_record_extract, match_record_fail

    try:
        match_record_extract(record_id=record_id)
    except StorageReadError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            match_record_fail(record_id=record_id, reason=UNREADABLE)
            return
        raise self.retry(exc=exc, countdown=5 * 2**self.request.retries) from exc
