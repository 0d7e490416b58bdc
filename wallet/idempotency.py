"""Idempotency keys for requests that create something (Stripe's semantics), kept in PostgreSQL.

The first request with a key claims it (a row, unique per user and key, committed before the
work starts) and runs; its response (status and body) is kept for KEY_TTL. Later:
- same key, same request, finished → the kept response, replayed byte for byte;
- same key, same request, still running → 409 `idempotency_key_in_use` (retry later);
- same key, different request → 422 `idempotency_key_reused`.
Responses with a 5xx status (e.g. 503 while a gateway is down) and unexpected errors are not
kept: the key is released, so retrying with the same key runs the request again. (Stripe keeps
those too; a retry is what a client is meant to do after an outage.) A key whose request died
without finishing (a killed process) is taken over after LOCK_TIMEOUT."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from arena.exceptions import Conflict, Invalid
from wallet.models import IdempotencyRecord

KEY_TTL = timedelta(hours=24)


def lock_timeout() -> timedelta:
    """Longer than any request holding a key can run (a gateway call is its slowest part)."""
    return timedelta(seconds=max(60.0, 4 * settings.GATEWAY_TIMEOUT_SECONDS))


@dataclass(frozen=True)
class KeptResponse:
    status: int
    body: str
    replayed: bool


def request_fingerprint(*, method: str, path: str, body: object) -> str:
    """What makes two requests "the same": method, path and the JSON body with keys sorted."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent(*, user_id: int, key: str, fingerprint: str, run: Callable[[], tuple[int, str]]) -> KeptResponse:
    """Run `run` (→ status, body) at most once per (user, key) at a time; replay what it returned."""
    record = _claim(user_id=user_id, key=key, fingerprint=fingerprint)
    if record.status_code is not None:
        return KeptResponse(record.status_code, record.response_body, replayed=True)
    try:
        status, body = run()
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if status >= 500:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
    else:
        IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status, response_body=body, locked_at=None)
    return KeptResponse(status, body, replayed=False)


def _claim(*, user_id: int, key: str, fingerprint: str) -> IdempotencyRecord:
    now = timezone.now()
    # A key past its 24 hours is free again, even before the hourly purge removes it.
    IdempotencyRecord.objects.filter(user_id=user_id, key=key, created_at__lt=now - KEY_TTL).delete()
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user_id=user_id, key=key, fingerprint=fingerprint, locked_at=now)
    except IntegrityError:
        pass  # the key is taken (by a finished request, or one still running)
    record = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if record is None:  # released by a failed first request just now
        raise Conflict("A request with this Idempotency-Key just failed; retry.", code="idempotency_key_in_use")
    if record.fingerprint != fingerprint:
        raise Invalid(
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
            code="idempotency_key_reused",
        )
    if record.status_code is not None:
        return record
    # The first request died without finishing: take its key over (one taker wins).
    stale = record.locked_at is not None and record.locked_at < now - lock_timeout()
    if stale and IdempotencyRecord.objects.filter(pk=record.pk, locked_at=record.locked_at, status_code=None).update(
        locked_at=now
    ):
        record.locked_at = now
        return record
    raise Conflict(
        "A request with this Idempotency-Key is still being processed; retry in a moment.",
        code="idempotency_key_in_use",
    )


def idempotency_keys_purge(*, now=None) -> int:
    """Forget keys older than 24 hours (Celery beat, hourly)."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - KEY_TTL).delete()
    return deleted
