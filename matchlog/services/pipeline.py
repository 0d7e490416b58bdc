"""The pipeline both kinds of screenshot go through: read the stored file, run the OCR engine
(matchlog.ocr) and a parser (matchlog.parsing), store the outcome; queue the reading after commit
and publish status changes after commit."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from matchlog import parsing
from matchlog.models import OcrStatus
from matchlog.ocr import OcrError, OcrResult, get_engine
from realtime.publish import publish

logger = logging.getLogger(__name__)

OCR_TEXT_LIMIT = 20_000


class StorageReadError(Exception):
    """The stored screenshot could not be fetched right now (the task retries)."""


@dataclass
class Extraction:
    ok: bool
    data: dict = field(default_factory=dict)
    confidence: dict = field(default_factory=dict)
    text: str = ""
    reason: str = ""


def _read_bytes(file: FieldFile) -> bytes:
    if not file.name:
        raise OcrError("No screenshot is stored for this record.")
    try:
        with file.storage.open(file.name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise OcrError("The stored screenshot is missing; upload it again.") from None
    except Exception as exc:  # storage backends raise their own types (botocore, OSError, ...)
        raise StorageReadError(str(exc)) from exc


def _extract(file: FieldFile, parse: Callable[[OcrResult], tuple[dict, dict]]) -> Extraction:
    """Read, OCR and parse one screenshot. Never raises for what is in the image: a
    non-image, a blank image, an engine error or an unreadable layout is a failed Extraction.
    Only StorageReadError (worth a retry) escapes."""
    text = ""
    try:
        image_bytes = _read_bytes(file)
        result = get_engine().read(image_bytes)
        text = result.text[:OCR_TEXT_LIMIT]
        if result.is_empty:
            return Extraction(ok=False, reason="No text was found in the screenshot.")
        data, confidence = parse(result)
    except StorageReadError:
        raise
    except (OcrError, parsing.ParseError) as exc:
        return Extraction(ok=False, text=text, reason=exc.reason)
    except SoftTimeLimitExceeded:
        return Extraction(ok=False, text=text, reason="Reading the screenshot took too long.")
    except Exception:
        logger.exception("OCR of %s failed unexpectedly", file.name)
        return Extraction(ok=False, text=text, reason="The screenshot could not be read.")
    return Extraction(ok=True, data=data, confidence=confidence, text=text)


def _apply(document, extraction: Extraction) -> None:
    document.ocr_text = extraction.text
    document.extracted_at = timezone.now()
    if extraction.ok:
        document.status = OcrStatus.EXTRACTED
        document.extracted_data = extraction.data
        document.confidence = extraction.confidence
        document.failure_reason = ""
    else:
        document.status = OcrStatus.FAILED
        document.failure_reason = extraction.reason[:300]


def _store(file: FieldFile, name: str, content) -> None:
    file.save(name, content, save=False)


NOT_QUEUED = "The screenshot could not be queued for reading; enter the result by hand or upload it again."


def _extract_after_commit(task, document_id: int, fail: Callable[[int, str], None]) -> None:
    """Queue the OCR task once the document is committed. Never raises: this runs after the
    commit, inside the upload's service call, so an exception would answer 500 for a document
    that exists (and the upload's cleanup would delete its committed file). A broker outage,
    or an eager run that blew up, ends the document `failed` with a reason instead."""

    def send() -> None:
        try:
            task.delay(document_id)
        except Exception:
            logger.exception("Could not queue %s for document %s", task.name, document_id)
            try:
                fail(document_id, NOT_QUEUED)
            except Exception:
                logger.exception("Could not mark document %s failed", document_id)

    transaction.on_commit(send)


def _publish(topic: str, event_type: str, data: dict) -> None:
    transaction.on_commit(lambda: publish(topic, event_type, data))
