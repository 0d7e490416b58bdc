"""Gateway callbacks and checkout signatures with hostile input: a non-ASCII signature (hmac.compare_digest
raised TypeError on non-ASCII str: a 500, anonymously on the public webhooks) and correctly signed bodies
that are not the documented shape. Each is a clear 4xx JSON error, and nothing is stored or applied."""

import json

import pytest

from tests.wallet.conftest import RAZORPAY_WEBHOOK_SECRET, phonepe_authorization
from tests.wallet.test_payments import _signed
from tests.wallet.test_razorpay import post_webhook, rzp, start, webhook_event  # noqa: F401 (rzp: a fixture)
from wallet.models import Payment, PaymentEvent

pytestmark = pytest.mark.django_db

NON_ASCII = ["é" * 64, "\u2603", "ü" + "0" * 63]


def _error(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code, response.json()


@pytest.mark.parametrize("signature", NON_ASCII)
def test_a_non_ascii_razorpay_webhook_signature_is_401(api, gateways, signature):
    body = json.dumps(webhook_event("payment.captured", "order_unknown")).encode()
    response = api.post(
        "/api/payments/webhooks/razorpay", body, content_type="application/json", HTTP_X_RAZORPAY_SIGNATURE=signature
    )
    _error(response, 401, "bad_signature")
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize("signature", NON_ASCII)
def test_a_non_ascii_sandbox_webhook_signature_is_401(api, signature):
    body, _ = _signed({"event_id": "evt_1", "order_id": "sandbox_order_1", "status": "captured"})
    response = api.post(
        "/api/payments/webhooks/sandbox", body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    _error(response, 401, "bad_signature")
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize("signature", NON_ASCII)
def test_a_non_ascii_checkout_signature_is_400_and_the_payment_stays_open(api, user, rzp, signature):  # noqa: F811
    payment = start(api, user)
    body = {
        "razorpay_order_id": payment["checkout"]["order_id"],
        "razorpay_payment_id": "pay_29QQoUBi66xm2f",
        "razorpay_signature": signature,
    }
    _error(api.post_json("/api/payments/razorpay/verify", body, user=user), 400, "bad_signature")
    assert Payment.objects.get(pk=payment["id"]).state == "pending"


RAZORPAY_MALFORMED = [
    {"payload": "x"},
    {"event": "payment.captured"},
    {"event": "payment.captured", "payload": "x"},
    {"event": "payment.captured", "payload": {}},
    {"event": 7, "payload": {"payment": {"entity": {"id": "pay_1", "order_id": "order_1", "status": "captured"}}}},
    {"event": "payment.captured", "payload": {"payment": "x"}},
    {"event": "payment.captured", "payload": {"payment": {"entity": ["x"]}}},
    {"event": "payment.captured", "payload": {"payment": {"entity": {"order_id": {"id": 1}, "status": "captured"}}}},
    {"event": "payment.captured", "payload": {"payment": {"entity": {"order_id": "order_1", "status": ["captured"]}}}},
    {"event": "refund.processed", "payload": {"refund": {"entity": "x"}}},
    [],
    "payment.captured",
]


@pytest.mark.parametrize("event", RAZORPAY_MALFORMED, ids=[json.dumps(e)[:60] for e in RAZORPAY_MALFORMED])
def test_a_signed_razorpay_webhook_of_the_wrong_shape_is_400_and_not_applied(api, user, rzp, event):  # noqa: F811
    payment = start(api, user)
    body = json.dumps(event).encode()

    # Signed as Razorpay signs: HMAC-SHA256 hex of the raw body with the webhook secret.
    _error(post_webhook(api, body, secret=RAZORPAY_WEBHOOK_SECRET), 400, "bad_payload")

    assert not PaymentEvent.objects.exists()
    assert Payment.objects.get(pk=payment["id"]).state == "pending"


def test_a_signed_razorpay_webhook_that_is_not_json_is_400(api, gateways):
    _error(post_webhook(api, b"payment.captured"), 400, "bad_payload")
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize(
    "event",
    [{"payload": "x"}, {"event": "checkout.order.completed"}, {"event": "x", "payload": {"merchantOrderId": ["a"]}}],
    ids=["payload-string", "no-payload", "order-id-list"],
)
def test_an_authorized_phonepe_callback_of_the_wrong_shape_is_400(api, gateways, event):
    response = api.post(
        "/api/payments/webhooks/phonepe",
        json.dumps(event).encode(),
        content_type="application/json",
        HTTP_AUTHORIZATION=phonepe_authorization(),
    )
    _error(response, 400, "bad_payload")
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize(
    "event",
    [{"order_id": "sandbox_order_1"}, {"event_id": "e1", "order_id": ["x"]}, {"event_id": "e1", "status": {"a": 1}}],
    ids=["no-event-id", "order-id-list", "status-object"],
)
def test_a_signed_sandbox_callback_of_the_wrong_shape_is_400(api, event):
    body, signature = _signed(event)
    response = api.post(
        "/api/payments/webhooks/sandbox", body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )
    _error(response, 400, "bad_payload")
    assert not PaymentEvent.objects.exists()
