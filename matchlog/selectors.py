"""Reads for the personal match log and tournament result screenshots."""

from typing import Literal

from django.db.models import Avg, Case, Count, F, FloatField, IntegerField, Q, QuerySet, Sum, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from accounts.models import User
from arena.exceptions import NotFound, PermissionDenied
from competitions import access
from matchlog.models import MatchRecord, MatchScreenshot, OcrStatus

# Stats averaged per match in the summary (when a record has them).
SUMMARY_STATS = ("possession", "shots", "shots_on_target", "passes")


def match_record_list(*, user: User, role: Literal["all", "own", "shared"] = "all") -> QuerySet[MatchRecord]:
    """The user's own records and the ones shared with them, newest first."""
    visible = {"own": Q(owner=user), "shared": Q(opponent=user), "all": Q(owner=user) | Q(opponent=user)}[role]
    return MatchRecord.objects.filter(visible).select_related("owner", "opponent")


def match_record_get(*, record_id: int, user: User) -> MatchRecord:
    record = match_record_list(user=user).filter(pk=record_id).first()
    if record is None:
        raise NotFound("No such match record.")
    return record


def _mine(user: User, mine, theirs):
    """A column seen from `user`'s side: `mine` on records they own, `theirs` on records shared with them."""
    return Case(When(owner=user, then=mine), default=theirs)


def match_stats_summary(*, user: User) -> dict:
    """Totals over the user's confirmed records, plus records shared with them that they confirmed
    (seen from their side). One aggregate query, whatever the number of records."""
    counted = MatchRecord.objects.filter(
        Q(owner=user, status=OcrStatus.CONFIRMED)
        | Q(opponent=user, status=OcrStatus.CONFIRMED, share_status=MatchRecord.ShareStatus.CONFIRMED)
    )
    goals_for = _mine(user, F("score_user"), F("score_opponent"))
    goals_against = _mine(user, F("score_opponent"), F("score_user"))
    stat_averages = {
        f"avg_{key}": Avg(
            Cast(_mine(user, KT(f"stats__{key}__user"), KT(f"stats__{key}__opponent")), output_field=FloatField())
        )
        for key in SUMMARY_STATS
    }
    won = Q(owner=user, score_user__gt=F("score_opponent")) | (~Q(owner=user) & Q(score_opponent__gt=F("score_user")))
    totals = counted.aggregate(
        matches=Count("pk"),
        wins=Count("pk", filter=won),
        draws=Count("pk", filter=Q(score_user=F("score_opponent"))),
        goals_for=Sum(goals_for, output_field=IntegerField()),
        goals_against=Sum(goals_against, output_field=IntegerField()),
        **stat_averages,
    )
    matches = totals["matches"]
    wins, draws = totals["wins"], totals["draws"]
    scored, conceded = totals["goals_for"] or 0, totals["goals_against"] or 0

    def per_match(value) -> float | None:
        return round(value / matches, 2) if matches else None

    return {
        "matches": matches,
        "wins": wins,
        "draws": draws,
        "losses": matches - wins - draws,
        "goals_for": scored,
        "goals_against": conceded,
        "goal_difference": scored - conceded,
        "win_rate": per_match(wins),
        "averages": {
            "goals_for": per_match(scored),
            "goals_against": per_match(conceded),
            **{
                key: round(totals[f"avg_{key}"], 2) if totals[f"avg_{key}"] is not None else None
                for key in SUMMARY_STATS
            },
        },
    }


# --- tournament match screenshots -------------------------------------------------------------------------------


def _hosted_match(match_id: int, user: User):
    from competitions.selectors import match_get

    match = match_get(match_id=match_id, user=user)
    if not access.manages(tournament=match.tournament, user=user):
        raise PermissionDenied("Only this tournament's host can see its screenshots.", code="not_host")
    return match


def screenshot_list(*, match_id: int, user: User) -> QuerySet[MatchScreenshot]:
    return MatchScreenshot.objects.filter(match=_hosted_match(match_id, user)).select_related("uploaded_by")


def screenshot_get(*, match_id: int, screenshot_id: int, user: User) -> MatchScreenshot:
    screenshot = screenshot_list(match_id=match_id, user=user).filter(pk=screenshot_id).first()
    if screenshot is None:
        raise NotFound("No such screenshot for this match.")
    return screenshot


def report_screenshot_get(*, match_id: int, screenshot_id: int, user: User) -> MatchScreenshot:
    """A captain's report screenshot, for the captain who uploaded it and the match's host."""
    from competitions.selectors import match_get

    match = match_get(match_id=match_id, user=user)
    screenshot = (
        MatchScreenshot.objects.filter(match=match, pk=screenshot_id).select_related("uploaded_by", "match").first()
    )
    if screenshot is None:
        raise NotFound("No such screenshot for this match.")
    if screenshot.uploaded_by_id != user.pk and not access.manages(tournament=match.tournament, user=user):
        raise PermissionDenied("Only its uploader and the host can see this screenshot.", code="not_uploader")
    return screenshot


def report_prefill(*, screenshot: MatchScreenshot, team_id: int) -> dict:
    """What the screenshot says of the reporting team: battle royale {placement, kills} from its row,
    head to head {home_score, away_score} (in the match's home/away order). Fields OCR could not read
    are left out."""
    data = screenshot.extracted_data or {}
    if screenshot.status not in (OcrStatus.EXTRACTED, OcrStatus.CONFIRMED):
        return {}
    if "rows" in data:
        row = next((row for row in data.get("rows") or [] if row.get("team_id") == team_id), None)
        if row is None:
            return {}
        return {key: row[key] for key in ("placement", "kills") if row.get(key) is not None}
    proposed = data.get("proposed") or {}
    return {key: proposed[key] for key in ("home_score", "away_score") if proposed.get(key) is not None}


def report_screenshot_prefill(*, screenshot: MatchScreenshot) -> dict:
    """report_prefill for the team its uploader captains in the match ({} when none)."""
    from arena.exceptions import ApplicationError
    from competitions.services.reports import captained_team

    try:
        team = captained_team(match=screenshot.match, user=screenshot.uploaded_by)
    except ApplicationError:
        return {}
    return report_prefill(screenshot=screenshot, team_id=team)
