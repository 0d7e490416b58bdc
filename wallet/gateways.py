"""Payment gateways behind one interface. Each adapter turns our Payment/Refund into the
provider's calls and the provider's answers into a `GatewayUpdate`; the state machine in
wallet.payments decides what happens. Only the adapters know a provider's wire format."""

import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field

import httpx
import razorpay
import requests
from django.conf import settings
from django.core.cache import cache
from razorpay.errors import BadRequestError, GatewayError, ServerError

from arena.exceptions import ApplicationError, Invalid, NotAuthenticated, ServiceUnavailable
from wallet.models import Payment, Refund


class GatewayUnavailable(ServiceUnavailable):
    """The provider could not be reached or failed on its side: safe to retry later."""

    default_code = "gateway_unavailable"


class _TokenRejected(Invalid):
    pass


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


GATEWAYS = {gateway.name: gateway for gateway in (SandboxGateway(), RazorpayGateway(), PhonePeGateway())}


def gateway_get(name: str):
    return GATEWAYS[name]
