"""What competitions tell the outside world in real time, and the only competitions module that
imports the realtime publisher (an import-linter contract keeps it so).

The topics live here (`tournament.<id>`, `match.<id>`, `lobby.<id>`): the services say what
happened, this module decides where it goes. Everything is sent after commit (Zulip's
send_event_on_commit), so a rolled-back write never reaches a spectator.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from competitions import selectors, tasks
from competitions.models import Tournament
from realtime import services as realtime
from realtime.publish import publish
from webhooks.services import event_emit

logger = logging.getLogger(__name__)


def tournament_topic(tournament_id: int) -> str:
    return f"tournament.{tournament_id}"


def match_topic(match_id: int) -> str:
    return f"match.{match_id}"


def lobby_topic(tournament_id: int) -> str:
    """The host and the rostered players only (room details)."""
    return f"lobby.{tournament_id}"


def tournament_event_on_commit(*, tournament_id: int, event_type: str, data: dict) -> None:
    transaction.on_commit(lambda: publish(tournament_topic(tournament_id), event_type, data))


def match_event_on_commit(*, match_id: int, event_type: str, payload: dict | None = None) -> None:
    """The match topic carries the whole match as spectators see it: `payload` when the caller has
    it already, else built once after commit."""

    def announce():
        body = payload if payload is not None else selectors.match_snapshot(match_id=match_id)
        if body is not None:
            publish(match_topic(match_id), event_type, body)

    transaction.on_commit(announce)


def bracket_updated_on_commit(*, tournament_id: int, match_id: int | None = None) -> None:
    """Head to head: the matches a result (or, without `match_id`, the start) changed and the bracket rounds, built
    once after commit (selectors.bracket_update), so pages drawing the bracket follow without rereading it."""
    transaction.on_commit(
        lambda: publish(
            tournament_topic(tournament_id),
            "bracket.updated",
            selectors.bracket_update(tournament_id=tournament_id, match_id=match_id),
        )
    )


def lobby_room_on_commit(*, tournament_id: int, room: dict) -> None:
    """Room id and password, released to the lobby only."""
    transaction.on_commit(lambda: publish(lobby_topic(tournament_id), "lobby.room", room))


def lobby_event_on_commit(*, tournament_id: int, event_type: str, data: dict) -> None:
    """Lobby-only news (captains' reports and disputes): the host and the rostered players."""
    transaction.on_commit(lambda: publish(lobby_topic(tournament_id), event_type, data))


def announcement_create(*, tournament_id: int, user: User, text: str) -> dict:
    """Keep a host's announcement and send it on the tournament's topic after commit."""
    announcement = realtime.announcement_create(tournament_id=tournament_id, user=user, text=text)
    tournament_event_on_commit(tournament_id=tournament_id, event_type="announcement", data=announcement)
    return announcement


def notify(user_ids: Iterable[int], kind: str, title: str, body: str = "", data: dict | None = None) -> None:
    """A stored notification per user, pushed to its owner after commit."""
    realtime.notification_create(user_ids=user_ids, kind=kind, title=title, body=body, data=data)


def access_recheck(user_ids: Iterable[int]) -> None:
    """These users may have lost a topic (a released roster): their open sockets check again after commit."""
    realtime.access_recheck(user_ids=user_ids)


# --- standings ------------------------------------------------------------------------------


def standings_publish(*, tournament_id: int) -> None:
    """Read the overall table and announce it. The tournament row lock makes concurrent publishers
    read and send in turn, so the last message sent is the latest table."""
    with transaction.atomic():
        list(Tournament.objects.select_for_update().filter(pk=tournament_id).values_list("pk", flat=True))
        table = selectors.standings_table(tournament_id=tournament_id)
        publish(tournament_topic(tournament_id), "standings.updated", {"overall": table})
        # Coalesced like the message above: one delivery per burst, the last one exact.
        event_emit(tournament_id=tournament_id, event="standings.updated", data={"standings": table})


def _standings_keys(tournament_id: int) -> tuple[str, str]:
    return f"competitions:standings:{tournament_id}:recent", f"competitions:standings:{tournament_id}:pending"


def standings_publish_coalesced(*, tournament_id: int) -> None:
    """After each commit that moved standings. A burst of results to one tournament becomes at most
    one standings message per STANDINGS_COALESCE_SECONDS, and the last one is always exact:

    * a trailing publish is pending: it will read this commit, nothing to do;
    * nothing sent in the last window: send now (an isolated result is seen at once);
    * otherwise one trailing Celery task is queued for the end of the window. It clears its pending
      mark before it reads, so every commit is either read by it or queues the next one.

    STANDINGS_COALESCE_SECONDS = 0 sends on every commit."""
    window = settings.STANDINGS_COALESCE_SECONDS
    recent, pending = _standings_keys(tournament_id)
    now = True
    if window > 0:
        try:
            if cache.get(pending) or not cache.add(recent, 1, timeout=window):
                now = False
                if cache.add(pending, 1, timeout=window + 300):
                    tasks.publish_standings.apply_async((tournament_id,), countdown=window)
        except Exception:
            # Cache or broker unreachable: send now rather than leave spectators on an old table.
            logger.exception("Could not coalesce the standings of tournament %s", tournament_id)
            now = True
    if now:
        standings_publish(tournament_id=tournament_id)


def standings_publish_on_commit(*, tournament_id: int) -> None:
    transaction.on_commit(lambda: standings_publish_coalesced(tournament_id=tournament_id))


def standings_publish_trailing(*, tournament_id: int) -> None:
    """The trailing edge (competitions.tasks.publish_standings): clear the pending mark first, so a
    commit after this point queues another publish, then open a new window and send."""
    recent, pending = _standings_keys(tournament_id)
    cache.delete(pending)
    cache.set(recent, 1, timeout=max(1, settings.STANDINGS_COALESCE_SECONDS))
    standings_publish(tournament_id=tournament_id)
