"""One reconciler step per row, isolated: whatever one payment, refund or stored event raises
(a gateway refusing an id, a malformed payload, our own bug) is logged with the row's id, marked
on the row (visible in the admin) and counted, and the pass goes on with the next row."""

import logging
from collections.abc import Callable

from django.db.models import F, Model
from django.utils import timezone

from wallet.gateways import GatewayUnavailable

logger = logging.getLogger("wallet.reconcile")


def reconcile_step(row: Model, work: Callable[[], object]) -> str:
    """Run `work` for `row`: "ok", "unavailable" (the gateway is down: retried next pass) or
    "failed" (anything else). The marks are written with UPDATE, so `updated_at` (which the
    refund pass selects on) is left alone."""
    model, name = type(row), type(row)._meta.model_name
    try:
        work()
    except Exception as error:
        outcome = "unavailable" if isinstance(error, GatewayUnavailable) else "failed"
        if outcome == "failed":
            logger.exception("reconcile: %s %s failed", name, row.pk)
        else:
            logger.warning("reconcile: %s %s: %s", name, row.pk, error)
        model.objects.filter(pk=row.pk).update(
            reconcile_failures=F("reconcile_failures") + 1,
            reconcile_error=f"{type(error).__name__}: {error}"[:300],
            reconcile_failed_at=timezone.now(),
        )
        return outcome
    if row.reconcile_failures:
        model.objects.filter(pk=row.pk).update(reconcile_failures=0, reconcile_error="", reconcile_failed_at=None)
    return "ok"
