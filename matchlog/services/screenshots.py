"""Tournament match screenshots: the host uploads one, OCR proposes the results, confirming posts
them through the competitions results service (like PUT /api/matches/{id}/results)."""

from collections.abc import Callable

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from competitions import access, events
from competitions.models import Match, Tournament
from matchlog import parsing
from matchlog.models import MatchScreenshot, OcrStatus
from matchlog.ocr import OcrResult
from matchlog.services.pipeline import Extraction, _apply, _extract, _extract_after_commit, _publish, _store
from realtime.notifications import inbox_topic


def _screenshot_announce(screenshot: MatchScreenshot) -> None:
    """`screenshot.status` on the match topic (spectators) and the uploader's own topic."""
    data = {
        "match_id": screenshot.match_id,
        "screenshot_id": screenshot.pk,
        "status": screenshot.status,
        "reason": screenshot.failure_reason,
    }
    _publish(events.match_topic(screenshot.match_id), "screenshot.status", data)
    _publish(inbox_topic(screenshot.uploaded_by_id), "screenshot.status", data)


def _match_for_host(match_id: int, user: User, *, lock: bool = False) -> Match:
    from competitions.selectors import match_get

    match = match_get(match_id=match_id, user=user)  # NotFound for unknown matches and others' drafts
    if lock:
        match = Match.objects.select_for_update(of=("self",)).select_related("tournament").get(pk=match.pk)
    if not access.manages(tournament=match.tournament, user=user):
        raise PermissionDenied("Only this tournament's host can do this.", code="not_host")
    return match


def screenshot_upload(*, match_id: int, user: User, image: UploadedFile) -> MatchScreenshot:
    """The host uploads a results screenshot; OCR runs in a task and proposes the results."""
    match = _match_for_host(match_id, user)
    if match.tournament.status != Tournament.Status.ONGOING:
        raise Conflict("Results can only be posted while the tournament is ongoing.", code="not_ongoing")
    if match.status == Match.Status.CANCELLED:
        raise Conflict("This match was cancelled.", code="match_cancelled")
    return screenshot_store(match=match, user=user, image=image)


def screenshot_store(*, match: Match, user: User, image: UploadedFile) -> MatchScreenshot:
    """Normalise and store a match screenshot, announce it, and queue its OCR after commit (the stored
    file goes again if the row is not saved). Shared by the host's and the captains' uploads."""
    from accounts.uploads import screenshot_normalize
    from matchlog.tasks import extract_match_screenshot

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
