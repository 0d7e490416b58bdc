"""Outgoing webhooks: who hears about what, and getting it to them.

Deliveries are rows written in the transaction of the change they announce, and sent after
commit; an endpoint that fails is tried again with exponential backoff (30 s, 1 min, 2 min …
capped at an hour) for WEBHOOKS_RETRY_HOURS, then the delivery is marked failed. The beat job
`retry_due_webhooks` sends whatever is due, so a lost task only delays a delivery.
"""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from arena.exceptions import Conflict, Invalid, NotFound
from webhooks import discord, net
from webhooks.models import Delivery, Subscription

DISCORD_PREFIXES = ("https://discord.com/api/webhooks/", "https://discordapp.com/api/webhooks/")


def subscription_create(*, tournament_id: int, url: str, events: list[str], kind: str) -> Subscription:
    unknown = sorted(set(events) - set(Subscription.Event.values))
    if not events or unknown:
        raise Invalid(
            f"Choose events among {', '.join(Subscription.Event.values)}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "."),
            code="webhook_events_invalid",
        )
    if kind == Subscription.Kind.DISCORD and not url.startswith(DISCORD_PREFIXES):
        raise Invalid(
            "A Discord webhook URL starts with https://discord.com/api/webhooks/.", code="webhook_url_refused"
        )
    try:
        net.resolve(url)
    except net.UnsafeURL as exc:
        raise Invalid(str(exc), code="webhook_url_refused") from exc
    with transaction.atomic():
        # Two racing creations may both pass the count; the limit bounds growth, not an exact total.
        if Subscription.objects.filter(tournament_id=tournament_id).count() >= settings.WEBHOOKS_MAX_PER_TOURNAMENT:
            raise Conflict(
                f"A tournament has at most {settings.WEBHOOKS_MAX_PER_TOURNAMENT} webhooks.", code="webhook_limit"
            )
        subscription = Subscription(tournament_id=tournament_id, url=url, events=sorted(set(events)), kind=kind)
        subscription.full_clean()
        subscription.save()
        _forget_events_on_commit(tournament_id)
    return subscription


def subscription_get(*, tournament_id: int, subscription_id: int) -> Subscription:
    subscription = Subscription.objects.filter(tournament_id=tournament_id, pk=subscription_id).first()
    if subscription is None:
        raise NotFound("No such webhook.", code="not_found")
    return subscription


@transaction.atomic
def subscription_delete(*, tournament_id: int, subscription_id: int) -> None:
    subscription_get(tournament_id=tournament_id, subscription_id=subscription_id).delete()
    _forget_events_on_commit(tournament_id)


def _events_key(tournament_id: int) -> str:
    return f"webhooks:events:{tournament_id}"


def _subscribed_events(tournament_id: int) -> set[str]:
    """What the tournament's endpoints listen to, cached so that announcing a change nobody
    subscribed to costs no query (a results PUT announces two)."""
    events = cache.get(_events_key(tournament_id))
    if events is None:
        events = sorted({e for s in Subscription.objects.filter(tournament_id=tournament_id) for e in s.events})
        cache.set(_events_key(tournament_id), events, timeout=3600)
    return set(events)


def _forget_events_on_commit(tournament_id: int) -> None:
    transaction.on_commit(lambda: cache.delete(_events_key(tournament_id)))
    cache.delete(_events_key(tournament_id))


def event_emit(*, tournament_id: int, event: str, data: dict) -> None:
    """Call inside the transaction of the change: one delivery per endpoint that asked for
    `event`, sent once the change is committed (and never if it rolls back)."""
    if event not in _subscribed_events(tournament_id):
        return
    subscriptions = [s for s in Subscription.objects.filter(tournament_id=tournament_id) if event in s.events]
    if not subscriptions:
        return
    event_id = uuid.uuid4()
    payload = json.loads(
        json.dumps(
            {
                "id": str(event_id),
                "type": event,
                "created_at": timezone.now(),
                "tournament_id": tournament_id,
                "data": data,
            },
            cls=DjangoJSONEncoder,
        )
    )
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(subscription=s, event_id=event_id, event=event, payload=payload, next_attempt_at=now)
        for s in subscriptions
    )
    _send_on_commit([d.pk for d in deliveries])


def _send_on_commit(delivery_ids: list[int]) -> None:
    from webhooks.tasks import deliver_webhook

    def send() -> None:
        for delivery_id in delivery_ids:
            deliver_webhook.delay(delivery_id)

    # robust: a broker outage must not fail the change; the beat job sends what is due.
    transaction.on_commit(send, robust=True)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">` — the Arena-Signature header."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** (attempts - 1), 3600))


def delivery_attempt(*, delivery_id: int) -> None:
    """One attempt, if the delivery is still pending and due; the row stays locked meanwhile so
    the beat job and a queued task never send the same delivery twice at once."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True)
            .select_related("subscription__tournament")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if delivery is None:
            return
        subscription = delivery.subscription
        if subscription.kind == Subscription.Kind.DISCORD:
            body = discord.message(event=delivery.event, payload=delivery.payload, title=subscription.tournament.title)
        else:
            body = delivery.payload
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "User-Agent": "Arena-Webhooks/1.0",
            "Arena-Event": delivery.event,
            "Arena-Event-Id": str(delivery.event_id),
            "Arena-Delivery": str(delivery.pk),
            "Arena-Signature": signature(secret=subscription.secret, timestamp=int(time.time()), body=raw),
        }
        status, error = None, ""
        try:
            status = net.post(subscription.url, body=raw, headers=headers)
            if not 200 <= status < 300:
                error = f"The endpoint answered {status}."
        except net.UnsafeURL as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_status_code = status
        delivery.last_error = error[:300]
        if not error:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = Delivery.Status.SUCCEEDED, now, None
        elif now - delivery.created_at >= timedelta(hours=settings.WEBHOOKS_RETRY_HOURS):
            delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
        else:
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
        delivery.save()


def deliveries_retry_due(*, limit: int = 500) -> int:
    """Queue every pending delivery whose time has come (the beat job)."""
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    from webhooks.tasks import deliver_webhook

    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@transaction.atomic
def delivery_replay(*, tournament_id: int, delivery_id: int) -> Delivery:
    """The same event (same id, same payload) sent again as a new delivery."""
    original = Delivery.objects.filter(pk=delivery_id, subscription__tournament_id=tournament_id).first()
    if original is None:
        raise NotFound("No such delivery.", code="not_found")
    replay = Delivery.objects.create(
        subscription_id=original.subscription_id,
        event_id=original.event_id,
        event=original.event,
        payload=original.payload,
        next_attempt_at=timezone.now(),
    )
    _send_on_commit([replay.pk])
    return replay
