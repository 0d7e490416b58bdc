"""The sandbox gateway: a local stand-in for development and tests."""

import hashlib
import hmac
import uuid

from django.conf import settings

from arena.exceptions import NotAuthenticated
from wallet.gateways.base import (
    GatewayUpdate,
    Order,
    _bad_payload,
    _json,
    _same,
    _texts,
)
from wallet.models import Payment, Refund


class SandboxGateway:
    """A local stand-in (development only): orders are ours, callbacks come from the
    checkout page under /payments/sandbox/, refunds complete at once."""

    name = Payment.Gateway.SANDBOX
    callbacks_are_hints = False

    def order_create(self, payment: Payment) -> Order:
        return Order(order_id=f"sandbox_order_{payment.pk}_{uuid.uuid4().hex[:12]}")

    def checkout(self, payment: Payment) -> dict:
        from wallet.payments import sandbox_checkout_url

        return {"gateway": self.name, "order_id": payment.gateway_order_id, "url": sandbox_checkout_url(payment)}

    def signature(self, body: bytes) -> str:
        return hmac.new(settings.SANDBOX_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()

    def webhook_verify(self, *, body: bytes, headers) -> tuple[str, dict]:
        signature = headers.get("X-Sandbox-Signature", "")
        if not signature or not _same(self.signature(body), signature):
            raise NotAuthenticated("Bad signature.", code="bad_signature")
        payload = _json(body)
        if "event_id" not in payload:
            raise _bad_payload("no event_id")
        _texts(payload, "order_id", "payment_id", "status")
        return str(payload["event_id"]), payload

    def event_payment(self, payload: dict) -> Payment | None:
        return Payment.objects.filter(gateway=self.name, gateway_order_id=str(payload.get("order_id", ""))).first()

    def event_update(self, payload: dict, payment: Payment) -> GatewayUpdate:
        state = {"captured": Payment.State.SUCCEEDED, "failed": Payment.State.FAILED}.get(payload.get("status"))
        return GatewayUpdate(
            payment_state=state, gateway_payment_id=str(payload.get("payment_id", "")), payload=payload
        )

    def order_status(self, payment: Payment) -> GatewayUpdate:
        # The sandbox keeps no state of its own: only its callbacks move a payment.
        return GatewayUpdate()

    def refund_create(self, payment: Payment, refund: Refund) -> GatewayUpdate:
        return GatewayUpdate(
            refund_state=Refund.State.PROCESSED,
            refund_id=refund.pk,
            gateway_refund_id=f"sandbox_rfnd_{refund.pk}",
            payload={"refund": refund.merchant_refund_id, "amount": refund.amount, "status": "processed"},
        )

    def refund_status(self, payment: Payment, refund: Refund) -> GatewayUpdate:
        return self.refund_create(payment, refund)
