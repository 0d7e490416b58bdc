"""What every payment gateway adapter shares: the update it reports, its errors, callback parsing."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from arena.exceptions import ApplicationError, ServiceUnavailable
from wallet.models import Payment, Refund


class GatewayUnavailable(ServiceUnavailable):
    """The provider could not be reached or failed on its side: safe to retry later."""

    default_code = "gateway_unavailable"


@dataclass(frozen=True)
class Order:
    order_id: str
    checkout: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayUpdate:
    """What the provider says about a payment or a refund. `None` fields say nothing."""

    payment_state: str | None = None  # a Payment.State
    gateway_payment_id: str = ""
    refund_state: str | None = None  # a Refund.State
    refund_id: int | None = None  # our Refund pk
    gateway_refund_id: str = ""
    payload: dict = field(default_factory=dict)


def _hmac_sha256(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time, as bytes: hmac.compare_digest raises TypeError on a non-ASCII str."""
    return hmac.compare_digest(expected.encode(), given.encode())


def _bad_payload(why: str) -> ApplicationError:
    return ApplicationError(f"Malformed callback: {why}.", code="bad_payload")


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except ValueError:
        raise _bad_payload("not JSON") from None
    if not isinstance(payload, dict):
        raise _bad_payload("expected a JSON object")
    return payload


def _texts(mapping: dict, *names: str) -> None:
    """The ids and states a callback is matched and applied by are strings (or absent, or null)."""
    for name in names:
        if not isinstance(mapping.get(name), str | None):
            raise _bad_payload(f"{name} must be a string")


def _refund_by_merchant_id(merchant_refund_id: str, payment: Payment) -> Refund | None:
    """The refund behind a `Refund.merchant_refund_id`, if it belongs to `payment`."""
    prefix = "arena-refund-"
    pk = merchant_refund_id.removeprefix(prefix)
    if not (merchant_refund_id.startswith(prefix) and pk.isdigit()):
        return None
    return Refund.objects.filter(pk=int(pk), payment=payment).first()
