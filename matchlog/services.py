"""Writes for result screenshots (tournament matches) and the personal match log.

An upload is checked and stored through Django's storage API, then a Celery task runs the
OCR engine (matchlog.ocr) and the parsers (matchlog.parsing) and moves the document from
`processing` to `extracted`, or to `failed` with a reason. Every status change is pushed
over the realtime topics after commit. Confirming a tournament screenshot posts the results
through the competitions results service, like PUT /api/matches/{id}/results does.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from arena.storage import files_delete_on_commit
from competitions.models import Match, MatchReport, Tournament
from matchlog import parsing, selectors
from matchlog.models import MatchRecord, MatchScreenshot, OcrStatus
from matchlog.ocr import OcrError, OcrResult, get_engine
from realtime.publish import publish
from realtime.services import notification_create

logger = logging.getLogger(__name__)

OCR_TEXT_LIMIT = 20_000


class StorageReadError(Exception):
    """The stored screenshot could not be fetched right now (the task retries)."""


# --- shared pipeline ---------------------------------------------------------------------------------------------


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


# --- tournament match screenshots ------------------------------------------------------------------------------


def _screenshot_announce(screenshot: MatchScreenshot) -> None:
    """`screenshot.status` on the match topic (spectators) and the uploader's own topic."""
    data = {
        "match_id": screenshot.match_id,
        "screenshot_id": screenshot.pk,
        "status": screenshot.status,
        "reason": screenshot.failure_reason,
    }
    _publish(f"match.{screenshot.match_id}", "screenshot.status", data)
    _publish(f"user.{screenshot.uploaded_by_id}", "screenshot.status", data)


def _match_for_host(match_id: int, user: User, *, lock: bool = False) -> Match:
    from competitions.selectors import match_get

    match = match_get(match_id=match_id, user=user)  # NotFound for unknown matches and others' drafts
    if lock:
        match = Match.objects.select_for_update(of=("self",)).select_related("tournament").get(pk=match.pk)
    if match.tournament.host_id != user.pk and not user.is_admin:
        raise PermissionDenied("Only this tournament's host can do this.", code="not_host")
    return match


def screenshot_upload(*, match_id: int, user: User, image: UploadedFile) -> MatchScreenshot:
    """The host uploads a results screenshot; OCR runs in a task and proposes the results."""
    from accounts.uploads import screenshot_normalize
    from matchlog.tasks import extract_match_screenshot

    match = _match_for_host(match_id, user)
    if match.tournament.status != Tournament.Status.ONGOING:
        raise Conflict("Results can only be posted while the tournament is ongoing.", code="not_ongoing")
    if match.status == Match.Status.CANCELLED:
        raise Conflict("This match was cancelled.", code="match_cancelled")
    content = screenshot_normalize(image)
    screenshot = MatchScreenshot(match=match, uploaded_by=user)
    _store(screenshot.image, f"{match.pk}-{content.name}", content)
    try:
        with transaction.atomic():
            screenshot.save()
            _screenshot_announce(screenshot)
            _extract_after_commit(
                extract_match_screenshot,
                screenshot.pk,
                lambda pk, reason: screenshot_fail(screenshot_id=pk, reason=reason),
            )
    except BaseException:
        screenshot.image.storage.delete(screenshot.image.name)
        raise
    return screenshot


def _lobby(match: Match) -> list[parsing.TeamName]:
    if match.group_id is not None:
        teams = match.group.teams.all()
    else:
        teams = [team for team in (match.home_team, match.away_team) if team is not None]
    return [parsing.TeamName(id=team.pk, name=team.name, tag=team.tag) for team in teams]


def _parse_h2h(match: Match) -> Callable[[OcrResult], tuple[dict, dict]]:
    def parse(result: OcrResult) -> tuple[dict, dict]:
        data, confidence = parsing.parse_score_screen(result)
        home, away = match.home_team, match.away_team
        # The screen's left side is the match's home side unless the names say otherwise.
        swapped = bool(
            home
            and away
            and data["home"]["name"]
            and parsing.side_of(data["home"]["name"], home=home.name, away=away.name) == "away"
        )
        left, right = data["home"]["score"], data["away"]["score"]
        data["proposed"] = {"home_score": right if swapped else left, "away_score": left if swapped else right}
        data["swapped"] = swapped
        return data, confidence

    return parse


def screenshot_extract(*, screenshot_id: int) -> None:
    """Run OCR on a `processing` screenshot. Idempotent: anything but `processing` is left alone,
    so a redelivered task (acks_late) is a no-op."""
    screenshot = (
        MatchScreenshot.objects.select_related("match__tournament", "match__group", "match__home_team")
        .select_related("match__away_team")
        .filter(pk=screenshot_id, status=OcrStatus.PROCESSING)
        .first()
    )
    if screenshot is None:
        return
    match = screenshot.match
    if match.tournament.is_battle_royale:
        lobby = _lobby(match)

        def parse(result: OcrResult) -> tuple[dict, dict]:
            return parsing.parse_battle_royale(result, lobby)
    else:
        parse = _parse_h2h(match)
    extraction = _extract(screenshot.image, parse)
    screenshot_extraction_save(screenshot_id=screenshot_id, extraction=extraction)


@transaction.atomic
def screenshot_extraction_save(*, screenshot_id: int, extraction: Extraction) -> None:
    screenshot = MatchScreenshot.objects.select_for_update().filter(pk=screenshot_id).first()
    if screenshot is None or screenshot.status != OcrStatus.PROCESSING:
        return  # another run got there first
    _apply(screenshot, extraction)
    screenshot.save()
    _screenshot_announce(screenshot)


def screenshot_fail(*, screenshot_id: int, reason: str) -> None:
    screenshot_extraction_save(screenshot_id=screenshot_id, extraction=Extraction(ok=False, reason=reason))


def _proposed_br_entries(screenshot: MatchScreenshot) -> list[dict]:
    rows = screenshot.extracted_data.get("rows") or []
    return [{"team_id": row["team_id"], "placement": row["placement"], "kills": row["kills"]} for row in rows]


@transaction.atomic
def screenshot_confirm(
    *,
    match_id: int,
    screenshot_id: int,
    user: User,
    entries: list[dict] | None = None,
    home_score: int | None = None,
    away_score: int | None = None,
) -> MatchScreenshot:
    """The host accepts the extracted results (or edited ones): they are posted through the
    competitions results service, which checks them, updates standings and announces them."""
    from competitions import services as competitions

    match = _match_for_host(match_id, user, lock=True)
    screenshot = MatchScreenshot.objects.select_for_update().filter(pk=screenshot_id, match=match).first()
    if screenshot is None:
        raise NotFound("No such screenshot for this match.")
    if screenshot.status == OcrStatus.PROCESSING:
        raise Conflict("The screenshot is still being read.", code="still_processing")
    if screenshot.status == OcrStatus.CONFIRMED:
        raise Conflict("These results were already confirmed.", code="already_confirmed")
    if match.tournament.is_battle_royale:
        if entries is None:
            entries = _proposed_br_entries(screenshot)
            if not entries:
                raise Invalid("Nothing was extracted; send the results.", code="results_required")
        competitions.match_results_record_br(match_id=match.pk, user=user, entries=entries)
    else:
        proposed = screenshot.extracted_data.get("proposed") or {}
        home_score = proposed.get("home_score") if home_score is None else home_score
        away_score = proposed.get("away_score") if away_score is None else away_score
        if home_score is None or away_score is None:
            raise Invalid("Nothing was extracted; send home_score and away_score.", code="results_required")
        competitions.match_results_record_h2h(
            match_id=match.pk, user=user, home_score=home_score, away_score=away_score
        )
    screenshot.status = OcrStatus.CONFIRMED
    screenshot.confirmed_at = timezone.now()
    screenshot.confirmed_by = user
    screenshot.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
    _screenshot_announce(screenshot)
    return screenshot


# --- personal match log --------------------------------------------------------------------------------------------


def _record_announce(record: MatchRecord) -> None:
    data = {"record_id": record.pk, "status": record.status, "reason": record.failure_reason}
    _publish(f"user.{record.owner_id}", "match_record.status", data)


def _record_locked(record_id: int, user: User) -> MatchRecord:
    """The record, locked, if `user` may see it (owner or the opponent it was shared with); else 404."""
    record = (
        MatchRecord.objects.select_for_update(of=("self",))
        .select_related("owner", "opponent")
        .filter(Q(owner=user) | Q(opponent=user), pk=record_id)
        .first()
    )
    if record is None:
        raise NotFound("No such match record.")
    return record


def _require_record_owner(record: MatchRecord, user: User) -> None:
    if record.owner_id != user.pk:
        raise PermissionDenied("Only the player who logged this match can do this.", code="not_owner")


def match_record_create(*, owner: User, screenshot: UploadedFile, opponent_name: str) -> MatchRecord:
    from accounts.uploads import screenshot_normalize
    from matchlog.tasks import extract_match_record

    opponent_name = opponent_name.strip()
    if not opponent_name:
        raise Invalid("opponent_name is required.", code="opponent_name_required")
    content = screenshot_normalize(screenshot)
    record = MatchRecord(owner=owner, opponent_name=opponent_name)
    _store(record.screenshot, f"{owner.pk}-{content.name}", content)
    try:
        with transaction.atomic():
            record.full_clean(exclude=["screenshot"])
            record.save()
            _record_announce(record)
            _extract_after_commit(
                extract_match_record, record.pk, lambda pk, reason: match_record_fail(record_id=pk, reason=reason)
            )
    except BaseException:
        record.screenshot.storage.delete(record.screenshot.name)
        raise
    return record


def _orient(data: dict, confidence: dict, opponent_name: str) -> tuple[dict, dict]:
    """Propose the user's and the opponent's goals and stats: the user is the side whose name
    does not match the opponent's (the left side when the names do not tell)."""
    opponent_side = parsing.side_of(opponent_name, home=data["home"]["name"], away=data["away"]["name"])
    user_side = "away" if opponent_side == "home" else "home"
    other = "away" if user_side == "home" else "home"
    data["user_side"] = user_side
    data["user_side_from_names"] = opponent_side is not None
    data["proposed"] = {
        "score_user": data[user_side]["score"],
        "score_opponent": data[other]["score"],
        "stats": {key: {"user": value[user_side], "opponent": value[other]} for key, value in data["stats"].items()},
    }
    confidence["proposed"] = {
        "score_user": confidence[user_side]["score"],
        "score_opponent": confidence[other]["score"],
        "stats": dict(confidence["stats"]),
    }
    return data, confidence


def match_record_extract(*, record_id: int) -> None:
    """Idempotent like screenshot_extract: only a `processing` record is read."""
    record = MatchRecord.objects.filter(pk=record_id, status=OcrStatus.PROCESSING).first()
    if record is None:
        return

    def parse(result: OcrResult) -> tuple[dict, dict]:
        return _orient(*parsing.parse_score_screen(result), record.opponent_name)

    match_record_extraction_save(record_id=record_id, extraction=_extract(record.screenshot, parse))


@transaction.atomic
def match_record_extraction_save(*, record_id: int, extraction: Extraction) -> None:
    record = MatchRecord.objects.select_for_update().filter(pk=record_id).first()
    if record is None or record.status != OcrStatus.PROCESSING:
        return
    _apply(record, extraction)
    record.save()
    _record_announce(record)


def match_record_fail(*, record_id: int, reason: str) -> None:
    match_record_extraction_save(record_id=record_id, extraction=Extraction(ok=False, reason=reason))


STAT_VALUE_MAX = 100_000


def _clean_stats(stats: dict) -> dict:
    errors = []
    cleaned = {}
    for key, value in stats.items():
        if not parsing.STAT_KEY.match(key):
            errors.append(f"{key!r}: stat names are lowercase letters, digits and underscores")
            continue
        if not isinstance(value, dict) or set(value) != {"user", "opponent"}:
            errors.append(f"{key}: give {{user, opponent}}")
            continue
        pair = {}
        for side in ("user", "opponent"):
            number = value[side]
            limit = 100 if key in parsing.PERCENT_STATS else STAT_VALUE_MAX
            if isinstance(number, bool) or not isinstance(number, int | float) or not 0 <= number <= limit:
                errors.append(f"{key}.{side}: a number from 0 to {limit}")
            else:
                pair[side] = int(number) if float(number).is_integer() else round(float(number), 2)
        cleaned[key] = pair
    if errors:
        raise Invalid("Invalid stats: " + "; ".join(errors) + ".", code="invalid_stats")
    return cleaned


@transaction.atomic
def match_record_confirm(
    *,
    record_id: int,
    user: User,
    score_user: int | None = None,
    score_opponent: int | None = None,
    stats: dict | None = None,
    opponent_name: str | None = None,
) -> MatchRecord:
    """The owner confirms the result: the values sent, or for those left out what OCR proposed
    (on a record not confirmed yet) or what was confirmed before (an edit keeps what it does not
    send). Changing a record its opponent already answered asks the opponent again."""
    record = _record_locked(record_id, user)
    _require_record_owner(record, user)
    if record.status == OcrStatus.CONFIRMED:
        proposed = {"score_user": record.score_user, "score_opponent": record.score_opponent, "stats": record.stats}
    else:
        proposed = record.extracted_data.get("proposed") or {}
    score_user = proposed.get("score_user") if score_user is None else score_user
    score_opponent = proposed.get("score_opponent") if score_opponent is None else score_opponent
    if score_user is None or score_opponent is None:
        raise Invalid("No score was extracted; send score_user and score_opponent.", code="score_required")
    if stats is None:
        stats = proposed.get("stats") or {}
    stats = _clean_stats(stats)
    changed = (record.score_user, record.score_opponent, record.stats) != (score_user, score_opponent, stats)
    record.score_user, record.score_opponent, record.stats = score_user, score_opponent, stats
    if opponent_name is not None and opponent_name.strip():
        record.opponent_name = opponent_name.strip()
    record.status = OcrStatus.CONFIRMED
    if changed or record.confirmed_at is None:
        record.confirmed_at = timezone.now()
    if changed and record.share_status in (MatchRecord.ShareStatus.CONFIRMED, MatchRecord.ShareStatus.DISPUTED):
        record.share_status = MatchRecord.ShareStatus.PENDING
        record.share_answered_at = None
        record.dispute_reason = ""
        _notify_shared(record, updated=True)
    record.full_clean(exclude=["screenshot"])
    record.save()
    _record_announce(record)
    return record


@transaction.atomic
def match_record_delete(*, record_id: int, user: User) -> None:
    record = _record_locked(record_id, user)
    _require_record_owner(record, user)
    files_delete_on_commit(record.screenshot.storage, record.screenshot.name)
    record.delete()


def _notify_shared(record: MatchRecord, *, updated: bool = False) -> None:
    what = "changed their record of a match" if updated else "logged a match"
    notification_create(
        user_ids=[record.opponent_id],
        kind="match_shared",
        title=f"{record.owner.username} {what} against you: {record.score_user}–{record.score_opponent}",
        body="Confirm it or dispute it.",
        data={"record_id": record.pk, "owner": record.owner.username},
    )


@transaction.atomic
def match_record_share(*, record_id: int, user: User, username: str) -> MatchRecord:
    record = _record_locked(record_id, user)
    _require_record_owner(record, user)
    if record.status != OcrStatus.CONFIRMED:
        raise Conflict("Confirm the score before sharing the record.", code="not_confirmed")
    opponent = User.objects.filter(username__iexact=username.strip(), is_active=True).first()
    if opponent is None:
        raise Invalid(f"No user called {username!r}.", code="unknown_user")
    if opponent.pk == user.pk:
        raise Invalid("Share the record with your opponent, not yourself.", code="share_with_self")
    if record.share_status == MatchRecord.ShareStatus.CONFIRMED:
        raise Conflict(f"{record.opponent.username} already confirmed this record.", code="already_confirmed")
    if record.opponent_id == opponent.pk and record.share_status == MatchRecord.ShareStatus.PENDING:
        return record
    record.opponent = opponent
    record.share_status = MatchRecord.ShareStatus.PENDING
    record.shared_at = timezone.now()
    record.share_answered_at = None
    record.dispute_reason = ""
    record.save(
        update_fields=["opponent", "share_status", "shared_at", "share_answered_at", "dispute_reason", "updated_at"]
    )
    _notify_shared(record)
    return record


@transaction.atomic
def match_record_answer(*, record_id: int, user: User, agree: bool, reason: str = "") -> MatchRecord:
    """The opponent a record was shared with confirms it or disputes it."""
    record = _record_locked(record_id, user)
    if record.opponent_id != user.pk:
        raise PermissionDenied("Only the opponent this record was shared with can answer it.", code="not_opponent")
    if record.share_status != MatchRecord.ShareStatus.PENDING:
        raise Conflict(f"This record is already {record.share_status}.", code="already_answered")
    record.share_status = MatchRecord.ShareStatus.CONFIRMED if agree else MatchRecord.ShareStatus.DISPUTED
    record.share_answered_at = timezone.now()
    record.dispute_reason = "" if agree else reason.strip()[:500]
    record.save(update_fields=["share_status", "share_answered_at", "dispute_reason", "updated_at"])
    verb = "confirmed" if agree else "disputed"
    notification_create(
        user_ids=[record.owner_id],
        kind=f"match_{verb}",
        title=f"{user.username} {verb} your match record ({record.score_user}–{record.score_opponent})",
        body=record.dispute_reason,
        data={"record_id": record.pk, "opponent": user.username},
    )
    return record


# --- captains' report screenshots ------------------------------------------------------------------------------


def report_screenshot_upload(*, match_id: int, user: User, image: UploadedFile) -> MatchScreenshot:
    """A captain's proof for their report (tournaments with captain reporting): stored and read by OCR
    like a host's screenshot; its extraction prefills the report (report_prefill). Confirming it as
    results stays the host's call."""
    from accounts.uploads import screenshot_normalize
    from competitions.services import match_for_captain
    from matchlog.tasks import extract_match_screenshot

    match, _ = match_for_captain(match_id=match_id, user=user)
    if match.status == Match.Status.COMPLETED:
        raise Conflict("This match's result is recorded; dispute it if it is wrong.", code="already_confirmed")
    content = screenshot_normalize(image)
    screenshot = MatchScreenshot(match=match, uploaded_by=user)
    _store(screenshot.image, f"{match.pk}-{content.name}", content)
    try:
        with transaction.atomic():
            screenshot.save()
            _screenshot_announce(screenshot)
            _extract_after_commit(
                extract_match_screenshot,
                screenshot.pk,
                lambda pk, reason: screenshot_fail(screenshot_id=pk, reason=reason),
            )
    except BaseException:
        screenshot.image.storage.delete(screenshot.image.name)
        raise
    return screenshot


def report_submit(*, match_id: int, user: User, screenshot_id: int | None = None, **values) -> MatchReport:
    """A captain's report, with an optional screenshot of theirs as proof: the fields they leave out
    are taken from what OCR read on it. Judged by competitions.services.reports.match_report_submit."""
    from competitions.services import match_for_captain, match_report_submit

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
