"""PhonePe (Standard Checkout v2): OAuth tokens, orders, callbacks and refunds."""

import hashlib
import hmac
import time
import uuid

import httpx
from django.conf import settings
from django.core.cache import cache

from arena.exceptions import Invalid, NotAuthenticated
from wallet.gateways.base import (
    GatewayUnavailable,
    GatewayUpdate,
    Order,
    _bad_payload,
    _json,
    _refund_by_merchant_id,
    _texts,
)
from wallet.models import Payment, Refund


class _TokenRejected(Invalid):
    pass


class PhonePeGateway:
    """PhonePe Standard Checkout v2 over httpx, following the documented API. (The official SDK
    pins requests ≤ 2.31 and urllib3 ≤ 1.26.12 for the whole process and runs background
    threads, so we do not use it.) A callback is only a hint: what it claims is confirmed
    with the Order Status / Refund Status API before anything moves."""

    name = Payment.Gateway.PHONEPE
    # A callback only prompts an Order Status call, so a repeated one is worth acting on.
    callbacks_are_hints = True
    BASE_URLS = {
        "production": ("https://api.phonepe.com/apis/pg", "https://api.phonepe.com/apis/identity-manager"),
        "sandbox": (
            "https://api-preprod.phonepe.com/apis/pg-sandbox",
            "https://api-preprod.phonepe.com/apis/pg-sandbox",
        ),
    }
    ORDER_STATES = {"COMPLETED": Payment.State.SUCCEEDED, "FAILED": Payment.State.FAILED}
    REFUND_STATES = {"COMPLETED": Refund.State.PROCESSED, "FAILED": Refund.State.FAILED}
    TOKEN_CACHE_KEY = "phonepe:oauth-token"  # noqa: S105 (a cache key, not a secret)

    @property
    def pg_url(self) -> str:
        return settings.PHONEPE_API_BASE or self.BASE_URLS[settings.PHONEPE_ENV][0]

    def _token(self) -> str:
        cached = cache.get(self.TOKEN_CACHE_KEY)
        if cached:
            return cached
        answer = self._send(
            "POST",
            f"{settings.PHONEPE_API_BASE or self.BASE_URLS[settings.PHONEPE_ENV][1]}/v1/oauth/token",
            data={
                "client_id": settings.PHONEPE_CLIENT_ID,
                "client_version": settings.PHONEPE_CLIENT_VERSION,
                "client_secret": settings.PHONEPE_CLIENT_SECRET,
                "grant_type": "client_credentials",
            },
        )
        token = f"{answer.get('token_type') or 'O-Bearer'} {answer['access_token']}"
        # Cached until shortly before PhonePe's expires_at (epoch seconds).
        ttl = int(answer.get("expires_at", 0)) - int(time.time()) - 60
        if ttl > 0:
            cache.set(self.TOKEN_CACHE_KEY, token, ttl)
        return token

    def _send(self, method: str, url: str, **kwargs) -> dict:
        try:
            response = httpx.request(method, url, timeout=settings.GATEWAY_TIMEOUT_SECONDS, **kwargs)
        except httpx.HTTPError as error:
            raise GatewayUnavailable(f"PhonePe is unavailable: {error}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayUnavailable(f"PhonePe answered {response.status_code}.")
        try:
            answer = response.json()
        except ValueError:
            raise GatewayUnavailable(f"PhonePe answered {response.status_code} with a non-JSON body.") from None
        if response.status_code == 401:
            raise _TokenRejected(f"PhonePe refused the token: {answer.get('message', '')}", code="gateway_rejected")
        if response.status_code >= 400:
            raise Invalid(
                f"PhonePe refused the request: {answer.get('code', '')} {answer.get('message', '')}".strip(),
                code="gateway_rejected",
            )
        return answer

    def _api(self, method: str, path: str, **kwargs) -> dict:
        for attempt in (1, 2):
            try:
                return self._send(method, f"{self.pg_url}{path}", headers={"Authorization": self._token()}, **kwargs)
            except _TokenRejected:
                # A token revoked before its expiry: fetch a new one once.
                if attempt == 2:
                    raise
                cache.delete(self.TOKEN_CACHE_KEY)
        raise AssertionError("unreachable")

    def order_create(self, payment: Payment) -> Order:
        merchant_order_id = f"arena-{payment.pk}-{uuid.uuid4().hex[:8]}"
        redirect = settings.PAYMENT_RETURN_URL or f"{settings.FRONTEND_URL}/payments/{payment.pk}"
        answer = self._api(
            "POST",
            "/checkout/v2/pay",
            json={
                "merchantOrderId": merchant_order_id,
                "amount": payment.amount,
                "expireAfter": settings.PAYMENT_EXPIRE_AFTER_MINUTES * 60,
                "metaInfo": {"udf1": payment.purpose, "udf2": payment.ref},
                "paymentFlow": {
                    "type": "PG_CHECKOUT",
                    "message": f"Arena {payment.get_purpose_display()}",
                    "merchantUrls": {"redirectUrl": redirect},
                },
            },
        )
        return Order(
            order_id=merchant_order_id, checkout={"url": answer["redirectUrl"], "phonepe_order_id": answer["orderId"]}
        )

    def checkout(self, payment: Payment) -> dict:
        return {"gateway": self.name, "order_id": payment.gateway_order_id, "url": payment.checkout_data.get("url", "")}

    def webhook_verify(self, *, body: bytes, headers) -> tuple[str, dict]:
        expected = hashlib.sha256(
            f"{settings.PHONEPE_CALLBACK_USERNAME}:{settings.PHONEPE_CALLBACK_PASSWORD}".encode()
        ).hexdigest()
        given = headers.get("Authorization", "").strip()
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise NotAuthenticated("Bad callback authorization.", code="bad_signature")
        payload = _json(body)
        if not isinstance(payload.get("event"), str) or not isinstance(payload.get("payload"), dict):
            raise _bad_payload("expected an event and its payload")
        _texts(payload["payload"], "merchantOrderId", "originalMerchantOrderId", "merchantRefundId")
        # PhonePe sends no event id: an identical redelivery has an identical body.
        return hashlib.sha256(body).hexdigest(), payload

    def event_payment(self, payload: dict) -> Payment | None:
        data = payload.get("payload") or {}
        order_id = data.get("originalMerchantOrderId") or data.get("merchantOrderId") or ""
        return Payment.objects.filter(gateway=self.name, gateway_order_id=order_id).first()

    def event_update(self, payload: dict, payment: Payment) -> GatewayUpdate:
        data = payload.get("payload") or {}
        if data.get("merchantRefundId"):
            refund = _refund_by_merchant_id(data["merchantRefundId"], payment)
            return self.refund_status(payment, refund) if refund else GatewayUpdate()
        return self.order_status(payment)

    def order_status(self, payment: Payment) -> GatewayUpdate:
        answer = self._api("GET", f"/checkout/v2/order/{payment.gateway_order_id}/status", params={"details": "false"})
        if answer.get("amount") not in (None, payment.amount):
            # Never credit a payment for a different amount than we asked.
            return GatewayUpdate(payload=answer)
        details = answer.get("paymentDetails") or [{}]
        return GatewayUpdate(
            payment_state=self.ORDER_STATES.get(answer.get("state")),
            gateway_payment_id=details[-1].get("transactionId", ""),
            payload=answer,
        )

    def refund_create(self, payment: Payment, refund: Refund) -> GatewayUpdate:
        answer = self._api(
            "POST",
            "/payments/v2/refund",
            json={
                "merchantRefundId": refund.merchant_refund_id,
                "originalMerchantOrderId": payment.gateway_order_id,
                "amount": refund.amount,
            },
        )
        return GatewayUpdate(
            refund_state=self.REFUND_STATES.get(answer.get("state")),
            refund_id=refund.pk,
            gateway_refund_id=answer.get("refundId", ""),
            payload=answer,
        )

    def refund_status(self, payment: Payment, refund: Refund) -> GatewayUpdate:
        if not refund.gateway_refund_id:
            return self.refund_create(payment, refund)
        answer = self._api("GET", f"/payments/v2/refund/{refund.merchant_refund_id}/status")
        return GatewayUpdate(
            refund_state=self.REFUND_STATES.get(answer.get("state")),
            refund_id=refund.pk,
            gateway_refund_id=refund.gateway_refund_id,
            payload=answer,
        )
