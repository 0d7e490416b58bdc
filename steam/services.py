"""Writes for Steam links and Dota 2 result imports.

Calls to Steam happen outside transactions (no row lock waits on the network); the rows are
written afterwards, in short transactions that re-check what the network call could not.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from arena.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied
from competitions import access
from competitions.models import Match, Tournament
from steam import client, dota, selectors
from steam.ids import steam_input_parse
from steam.models import DotaMatchLink, SteamAccount

logger = logging.getLogger(__name__)


# --- Steam accounts ---------------------------------------------------------------------------


def _summary_fields(summary: dict) -> dict:
    return {
        "persona_name": (summary.get("personaname") or "")[:100],
        "avatar_url": (summary.get("avatarfull") or summary.get("avatarmedium") or summary.get("avatar") or "")[:300],
        "profile_url": (summary.get("profileurl") or "")[:300],
        "visibility": summary.get("communityvisibilitystate"),
        "summary_fetched_at": timezone.now(),
    }


def _steam_already_linked() -> Conflict:
    return Conflict("This Steam account is already linked to another Arena player.", code="steam_already_linked")


def steam_account_link(*, user: User, steam: str) -> SteamAccount:
    """Resolve what the player typed to a SteamID64 and link it to them (replacing an earlier link)."""
    parsed = steam_input_parse(steam)
    steam_id = parsed.steam_id or client.vanity_resolve(parsed.vanity)
    summary = client.player_summaries([steam_id]).get(steam_id)
    if summary is None:
        raise client.SteamNotFound(f"Steam has no profile with the id {steam_id}.")
    try:
        with transaction.atomic():
            if SteamAccount.objects.filter(steam_id=steam_id).exclude(user=user).exists():
                raise _steam_already_linked()
            account, _ = SteamAccount.objects.update_or_create(
                user=user, defaults={"steam_id": steam_id, **_summary_fields(summary)}
            )
    except IntegrityError:
        # Another player linked it between the check and the write (the unique steam_id caught it).
        if SteamAccount.objects.filter(steam_id=steam_id).exclude(user=user).exists():
            raise _steam_already_linked() from None
        raise
    return account


def steam_account_unlink(*, user: User) -> None:
    SteamAccount.objects.filter(user=user).delete()


def steam_summaries_refresh(*, stale_after: timedelta | None = None, limit: int | None = None) -> int:
    """Re-fetch the summaries (persona name, avatar) of linked accounts not fetched for stale_after,
    oldest first, 100 per Steam call. Returns how many accounts were refreshed.

    Steam being down or the budget running out stops the run; the next run carries on.
    """
    stale_after = timedelta(seconds=settings.STEAM_SUMMARY_STALE_SECONDS) if stale_after is None else stale_after
    limit = settings.STEAM_REFRESH_MAX_PER_RUN if limit is None else limit
    cutoff = timezone.now() - stale_after
    accounts = SteamAccount.objects.filter(
        Q(summary_fetched_at__isnull=True) | Q(summary_fetched_at__lt=cutoff)
    ).order_by(F("summary_fetched_at").asc(nulls_first=True), "pk")[:limit]
    ids = list(accounts.values_list("steam_id", flat=True))
    refreshed = 0
    for start in range(0, len(ids), client.SUMMARIES_PER_CALL):
        chunk = ids[start : start + client.SUMMARIES_PER_CALL]
        try:
            summaries = client.player_summaries(chunk, fresh=True)
        except client.SteamUnavailable as exc:
            logger.warning("Steam summary refresh stopped after %s accounts: %s", refreshed, exc.message)
            break
        rows = list(SteamAccount.objects.filter(steam_id__in=chunk))
        now = timezone.now()
        for row in rows:
            summary = summaries.get(row.steam_id)
            if summary is not None:
                for field, value in _summary_fields(summary).items():
                    setattr(row, field, value)
            # An id Steam no longer knows keeps its last summary; it is not retried every run either.
            row.summary_fetched_at = now
        SteamAccount.objects.bulk_update(
            rows, ["persona_name", "avatar_url", "profile_url", "visibility", "summary_fetched_at"]
        )
        refreshed += len(rows)
    return refreshed


# --- Dota 2 imports ---------------------------------------------------------------------------


def _require_host(match: Match, user: User) -> None:
    if not access.manages(tournament=match.tournament, user=user):
        raise PermissionDenied("Only this tournament's host can do this.", code="not_host")


def dota_match_host_get(*, match_id: int, user: User) -> Match:
    """The match, if `user` hosts its tournament (or is an admin)."""
    match = Match.objects.select_related("tournament__game", "home_team", "away_team").filter(pk=match_id).first()
    if match is None:
        raise NotFound("No such match.")
    _require_host(match, user)
    return match


def _dota_match_not_linked_elsewhere(match: Match, dota_match_id: int) -> None:
    elsewhere = DotaMatchLink.objects.filter(dota_match_id=dota_match_id).exclude(match=match).first()
    if elsewhere is not None:
        raise Conflict(
            f"Dota 2 match {dota_match_id} is already linked to match {elsewhere.match_id}.",
            code="dota_match_already_linked",
        )


def dota_link_request(*, match_id: int, user: User, dota_match_id: int) -> DotaMatchLink:
    """Link a Dota 2 match to a head-to-head match and queue the import of its result.

    Linking again (the wrong game was picked, or Steam failed) replaces the link and re-imports.
    """
    from steam.tasks import import_dota_match

    with transaction.atomic():
        match = (
            Match.objects.select_for_update(of=("self",)).select_related("tournament__game").filter(pk=match_id).first()
        )
        if match is None:
            raise NotFound("No such match.")
        _require_host(match, user)
        selectors.dota_match_check(match=match)
        if match.tournament.status != Tournament.Status.ONGOING:
            raise Conflict("Results can only be imported while the tournament is ongoing.", code="not_ongoing")
        if match.status == Match.Status.CANCELLED:
            raise Conflict("This match was cancelled.", code="match_cancelled")
        _dota_match_not_linked_elsewhere(match, dota_match_id)
        try:
            with transaction.atomic():
                link, _ = DotaMatchLink.objects.update_or_create(
                    match=match,
                    defaults={
                        "dota_match_id": dota_match_id,
                        "requested_by": user,
                        "status": DotaMatchLink.Status.QUEUED,
                        "reason": "",
                        "note": "",
                        "radiant_team": None,
                        "dire_team": None,
                        "radiant_win": None,
                        "radiant_kills": None,
                        "dire_kills": None,
                        "dota_started_at": None,
                        "dota_duration": None,
                        "imported_at": None,
                    },
                )
        except IntegrityError:
            # Linked to another match between the check and the write (the unique dota_match_id caught it).
            _dota_match_not_linked_elsewhere(match, dota_match_id)
            raise
        transaction.on_commit(lambda: import_dota_match.delay(link.pk, dota_match_id))
    return link


def dota_link_delete(*, match_id: int, user: User) -> None:
    """Forget the link; a result it recorded stays (correct it through the results endpoint)."""
    match = dota_match_host_get(match_id=match_id, user=user)
    DotaMatchLink.objects.filter(match=match).delete()


def _link_fail(link_id: int, dota_match_id: int, reason: str, **fields) -> None:
    # Only a queued link fails: another delivery of the task may have imported it meanwhile,
    # and an imported link must keep saying so (its result is recorded and audited).
    updated = DotaMatchLink.objects.filter(
        pk=link_id, dota_match_id=dota_match_id, status=DotaMatchLink.Status.QUEUED
    ).update(status=DotaMatchLink.Status.FAILED, reason=reason[:300], updated_at=timezone.now(), **fields)
    if updated:
        logger.info("Dota 2 import of match %s into link %s failed: %s", dota_match_id, link_id, reason)


def dota_link_fail(*, link_id: int, dota_match_id: int, reason: str) -> None:
    _link_fail(link_id, dota_match_id, reason)


def _started_at(start_time) -> datetime | None:
    return datetime.fromtimestamp(int(start_time), tz=UTC) if start_time else None


def dota_match_import(*, link_id: int, dota_match_id: int) -> None:
    """Fetch the Dota 2 match, place the teams on Radiant and Dire through their players' linked
    Steam accounts, and record winner and kills through the competitions results service.

    A link that was re-pointed or already imported since the task was queued is left alone.
    Steam being unavailable propagates (the task retries); anything else ends in status `failed`
    with a reason the host can read.
    """
    link = (
        DotaMatchLink.objects.select_related("match__tournament", "match__home_team", "match__away_team")
        .filter(pk=link_id, dota_match_id=dota_match_id)
        .first()
    )
    if link is None or link.status != DotaMatchLink.Status.QUEUED:
        return
    try:
        result = dota.match_details_parse(client.dota_match_details(dota_match_id))
    except client.SteamNotFound as exc:
        return _link_fail(link_id, dota_match_id, exc.message)
    except dota.UnusableMatch as exc:
        return _link_fail(link_id, dota_match_id, str(exc))
    match = link.match
    home, away = selectors.dota_teams(match=match)
    facts = {
        "radiant_win": result.radiant_win,
        "radiant_kills": result.radiant_score,
        "dire_kills": result.dire_score,
        "dota_started_at": _started_at(result.start_time),
        "dota_duration": result.duration,
    }
    mapping = dota.sides_map(result.players, home, away)
    if mapping.home_side is None:
        return _link_fail(link_id, dota_match_id, mapping.reason, **facts)
    score = dota.h2h_score(result, mapping.home_side)
    radiant_team_id, dire_team_id = (home.id, away.id) if mapping.home_side == dota.RADIANT else (away.id, home.id)
    from competitions.services import match_results_record_h2h

    try:
        with transaction.atomic():
            # The match first, then the link: the order dota_link_request and the results service lock in.
            teams = (
                Match.objects.select_for_update(of=("self",))
                .filter(pk=match.pk)
                .values_list("home_team_id", "away_team_id")
                .first()
            )
            locked = DotaMatchLink.objects.select_for_update().filter(pk=link_id, dota_match_id=dota_match_id).first()
            if locked is None or locked.status != DotaMatchLink.Status.QUEUED:
                return None
            if teams != (home.id, away.id):
                # A correction upstream re-placed this match's teams while Steam was being asked.
                raise Conflict("The match's teams changed during the import; import it again.", code="teams_changed")
            match_results_record_h2h(
                match_id=match.pk, user=link.requested_by, home_score=score.home_score, away_score=score.away_score
            )
            for field, value in facts.items():
                setattr(locked, field, value)
            locked.radiant_team_id, locked.dire_team_id = radiant_team_id, dire_team_id
            locked.status, locked.reason, locked.note = DotaMatchLink.Status.IMPORTED, "", score.note
            locked.imported_at = timezone.now()
            locked.save()
    except ApplicationError as exc:
        # The match moved on since the link was made (tournament over, a later match played, …).
        return _link_fail(
            link_id, dota_match_id, exc.message, radiant_team_id=radiant_team_id, dire_team_id=dire_team_id, **facts
        )
    return None
