"""Short-lived, single-use WebSocket tickets: browsers cannot set headers on a WebSocket."""

import secrets

from django.conf import settings
from django.core.cache import cache


def _key(ticket: str) -> str:
    return f"arena:rt:ticket:{ticket}"


def ticket_issue(*, user_id: int) -> str:
    ticket = secrets.token_urlsafe(32)
    cache.set(_key(ticket), user_id, timeout=settings.REALTIME_TICKET_SECONDS)
    return ticket


async def ticket_redeem(ticket: str) -> int | None:
    """The user id, once: of two connections racing with one ticket only the one whose
    delete removed the key gets it."""
    if not ticket or len(ticket) > 100:
        return None
    user_id = await cache.aget(_key(ticket))
    if user_id is None or not await cache.adelete(_key(ticket)):
        return None
    return user_id
