"""The personal match log: a player's own result screenshots, read by OCR, confirmed, shared with
the opponent (who confirms or disputes)."""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from arena.storage import files_delete_on_commit
from matchlog import parsing
from matchlog.models import MatchRecord, OcrStatus
from matchlog.ocr import OcrResult
from matchlog.services.pipeline import Extraction, _apply, _extract, _extract_after_commit, _publish, _store
from realtime.notifications import inbox_topic
from realtime.services import notification_create


def _record_announce(record: MatchRecord) -> None:
    data = {"record_id": record.pk, "status": record.status, "reason": record.failure_reason}
    _publish(inbox_topic(record.owner_id), "match_record.status", data)


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
