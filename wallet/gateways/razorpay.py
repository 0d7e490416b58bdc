"""Razorpay: orders, checkout verification, webhooks and refunds."""

import hashlib

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError

from arena.exceptions import ApplicationError, Invalid, NotAuthenticated
from wallet.gateways.base import (
    GatewayUnavailable,
    GatewayUpdate,
    Order,
    _bad_payload,
    _hmac_sha256,
    _json,
    _same,
    _texts,
)
from wallet.models import Payment, Refund


class RazorpayGateway:
    """Razorpay through its official SDK: orders (receipt = our payment id), checkout signature
    verification, webhooks signed over the raw body, refunds with an idempotency key."""

    name = Payment.Gateway.RAZORPAY
    callbacks_are_hints = False
    PAYMENT_STATES = {"captured": Payment.State.SUCCEEDED, "failed": Payment.State.FAILED}
    REFUND_STATES = {"processed": Refund.State.PROCESSED, "failed": Refund.State.FAILED}

    @property
    def client(self) -> razorpay.Client:
        client = razorpay.Client(
            auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET), base_url=settings.RAZORPAY_API_BASE
        )
        client.set_app_details({"title": "Arena", "version": "1.0"})
        return client

    def _call(self, fn, *args, **kwargs):
        """SDK errors: 4xx are our mistake (a bug, or a request the provider refuses); transport
        failures and 5xx are the provider's and worth retrying."""
        try:
            return fn(*args, timeout=settings.GATEWAY_TIMEOUT_SECONDS, **kwargs)
        except (requests.RequestException, ServerError, GatewayError) as error:
            raise GatewayUnavailable(f"Razorpay is unavailable: {error}") from error
        except BadRequestError as error:
            raise Invalid(f"Razorpay refused the request: {error}", code="gateway_rejected") from error

    def order_create(self, payment: Payment) -> Order:
        order = self._call(
            self.client.order.create,
            {
                "amount": payment.amount,
                "currency": payment.currency,
                "receipt": str(payment.pk),
                "notes": {"purpose": payment.purpose, "ref": payment.ref},
            },
        )
        return Order(order_id=order["id"])

    def checkout(self, payment: Payment) -> dict:
        """The options for Razorpay's Checkout.js; its handler posts the result to /api/payments/razorpay/verify."""
        return {
            "gateway": self.name,
            "order_id": payment.gateway_order_id,
            "key_id": settings.RAZORPAY_KEY_ID,
            "amount": payment.amount,
            "currency": payment.currency,
            "name": "Arena",
            "description": f"{payment.get_purpose_display()} {payment.ref}",
        }

    def checkout_verify(self, *, payment: Payment, razorpay_payment_id: str, signature: str) -> GatewayUpdate:
        """The checkout handler's signature is HMAC-SHA256(order_id|payment_id, key secret); the
        order id is the one we stored, so a signature for another order never matches."""
        message = f"{payment.gateway_order_id}|{razorpay_payment_id}".encode()
        if not _same(_hmac_sha256(settings.RAZORPAY_KEY_SECRET, message), signature):
            raise ApplicationError("The payment signature does not match this order.", code="bad_signature")
        return GatewayUpdate(
            payment_state=Payment.State.SUCCEEDED,
            gateway_payment_id=razorpay_payment_id,
            payload={"source": "checkout", "razorpay_payment_id": razorpay_payment_id},
        )

    def webhook_verify(self, *, body: bytes, headers) -> tuple[str, dict]:
        signature = headers.get("X-Razorpay-Signature", "")
        if not signature or not _same(_hmac_sha256(settings.RAZORPAY_WEBHOOK_SECRET, body), signature):
            raise NotAuthenticated("Bad signature.", code="bad_signature")
        payload = self._event_checked(_json(body))
        # Razorpay retries a delivery with the same x-razorpay-event-id.
        event_id = headers.get("X-Razorpay-Event-Id") or hashlib.sha256(body).hexdigest()
        return event_id, payload

    @staticmethod
    def _event_checked(payload: dict) -> dict:
        """Razorpay's documented shape: {"event": str, "payload": {"payment"|"order"|"refund": {"entity": {...}}}}."""
        entities = payload.get("payload")
        if not isinstance(payload.get("event"), str) or not isinstance(entities, dict) or not entities:
            raise _bad_payload("expected an event and its payload")
        for name, wrapper in entities.items():
            if not isinstance(wrapper, dict) or not isinstance(wrapper.get("entity"), dict):
                raise _bad_payload(f"payload.{name} has no entity")
            _texts(wrapper["entity"], "id", "order_id", "payment_id", "status")
        return payload

    def event_payment(self, payload: dict) -> Payment | None:
        entities = payload.get("payload") or {}
        if "refund" in entities:
            payment_id = entities["refund"]["entity"].get("payment_id", "")
            return Payment.objects.filter(gateway=self.name, gateway_payment_id=payment_id).first()
        order_id = (entities.get("payment") or {}).get("entity", {}).get("order_id") or (
            (entities.get("order") or {}).get("entity", {}).get("id")
        )
        return Payment.objects.filter(gateway=self.name, gateway_order_id=order_id or "").first()

    def event_update(self, payload: dict, payment: Payment) -> GatewayUpdate:
        entities = payload.get("payload") or {}
        if "refund" in entities:
            return self._refund_update(entities["refund"]["entity"], payload)
        entity = (entities.get("payment") or {}).get("entity", {})
        if payload.get("event") == "order.paid":
            return GatewayUpdate(
                payment_state=Payment.State.SUCCEEDED, gateway_payment_id=entity.get("id", ""), payload=payload
            )
        return GatewayUpdate(
            payment_state=self.PAYMENT_STATES.get(entity.get("status")),
            gateway_payment_id=entity.get("id", ""),
            payload=payload,
        )

    def order_status(self, payment: Payment) -> GatewayUpdate:
        attempts = self._call(self.client.order.payments, payment.gateway_order_id)["items"]
        captured = [item for item in attempts if item.get("status") == "captured"]
        if captured:
            return GatewayUpdate(
                payment_state=Payment.State.SUCCEEDED, gateway_payment_id=captured[0]["id"], payload=captured[0]
            )
        if attempts and all(item.get("status") == "failed" for item in attempts):
            return GatewayUpdate(payment_state=Payment.State.FAILED, payload=attempts[-1])
        return GatewayUpdate()

    def refund_create(self, payment: Payment, refund: Refund) -> GatewayUpdate:
        entity = self._call(
            self.client.payment.refund,
            payment.gateway_payment_id,
            {
                "amount": refund.amount,
                "speed": "normal",
                "receipt": refund.merchant_refund_id,
                "notes": {"arena_refund_id": str(refund.pk), "reason": refund.reason[:250]},
            },
            headers={"X-Refund-Idempotency": refund.merchant_refund_id},
        )
        return self._refund_update(entity, entity)

    def refund_status(self, payment: Payment, refund: Refund) -> GatewayUpdate:
        if not refund.gateway_refund_id:
            return self.refund_create(payment, refund)
        entity = self._call(self.client.refund.fetch, refund.gateway_refund_id)
        return self._refund_update(entity, entity)

    def _refund_update(self, entity: dict, payload: dict) -> GatewayUpdate:
        notes = entity.get("notes") or {}
        refund_pk = notes.get("arena_refund_id") if isinstance(notes, dict) else None
        return GatewayUpdate(
            refund_state=self.REFUND_STATES.get(entity.get("status")),
            refund_id=int(refund_pk) if str(refund_pk or "").isdigit() else None,
            gateway_refund_id=entity.get("id", ""),
            payload=payload,
        )
