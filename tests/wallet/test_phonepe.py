"""PhonePe Standard Checkout v2 end to end over our HTTP API, with PhonePe's API faked by respx
(we call it through httpx). Payloads follow PhonePe's v2 API reference."""

import json
import time

import httpx
import pytest

from tests.wallet.conftest import PHONEPE_PG, phonepe_authorization, phonepe_token_payload
from wallet.models import LedgerEntry, Payment, PaymentEvent, Refund, Wallet

pytestmark = pytest.mark.django_db


def status_payload(payment: Payment, state: str, *, amount: int | None = None) -> dict:
    amount = payment.amount if amount is None else amount
    details = [
        {
            "paymentMode": "UPI_QR",
            "transactionId": "OM2403282020198651071949",
            "timestamp": int(time.time() * 1000),
            "amount": amount,
            "state": state,
            **({"errorCode": "TXN_FAILED", "detailedErrorCode": "ZM"} if state == "FAILED" else {}),
        }
    ]
    return {
        "orderId": "OMO2403282020198641071317",
        "state": state,
        "amount": amount,
        "expireAt": int(time.time() * 1000) + 1_200_000,
        "metaInfo": {"udf1": payment.purpose, "udf2": payment.ref},
        "paymentDetails": details if state != "PENDING" else [],
    }


def callback(payment: Payment, event: str = "checkout.order.completed", state: str = "COMPLETED") -> bytes:
    return json.dumps(
        {
            "type": event.upper().replace(".", "_"),
            "event": event,
            "payload": {
                "orderId": "OMO2403282020198641071317",
                "merchantId": "M22ARENA",
                "merchantOrderId": payment.gateway_order_id,
                "state": state,
                "amount": payment.amount,
                "expireAt": int(time.time() * 1000) + 1_200_000,
                "metaInfo": {"udf1": payment.purpose, "udf2": payment.ref},
                "paymentDetails": [
                    {
                        "paymentMode": "UPI_INTENT",
                        "transactionId": "OM2403282020198651071949",
                        "timestamp": int(time.time() * 1000),
                        "amount": payment.amount,
                        "state": state,
                    }
                ],
            },
        }
    ).encode()


def post_callback(api, body: bytes, authorization: str | None = None):
    extra = {"HTTP_AUTHORIZATION": authorization if authorization is not None else phonepe_authorization()}
    return api.post("/api/payments/webhooks/phonepe", body, content_type="application/json", **extra)


@pytest.fixture
def phonepe(gateways, respx_mock):
    respx_mock.post(f"{PHONEPE_PG}/v1/oauth/token").mock(return_value=httpx.Response(200, json=phonepe_token_payload()))

    def pay(request):
        body = json.loads(request.content)
        assert request.headers["Authorization"].startswith("O-Bearer ")
        return httpx.Response(
            200,
            json={
                "orderId": f"OMO{body['merchantOrderId'][-8:]}",
                "state": "PENDING",
                "expireAt": int(time.time() * 1000) + body["expireAfter"] * 1000,
                "redirectUrl": f"https://mercury-uat.phonepe.com/transact/uat_v2?token={body['merchantOrderId']}",
            },
        )

    respx_mock.post(f"{PHONEPE_PG}/checkout/v2/pay").mock(side_effect=pay)
    return respx_mock


def start(api, user, ref: str = "xp-100") -> Payment:
    created = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": ref, "gateway": "phonepe"}, user=user)
    assert created.status_code == 201, created.content
    payment = Payment.objects.get(pk=created.json()["id"])
    assert created.json()["checkout"] == {
        "gateway": "phonepe",
        "order_id": payment.gateway_order_id,
        "url": f"https://mercury-uat.phonepe.com/transact/uat_v2?token={payment.gateway_order_id}",
    }
    return payment


def order_status(respx_mock, payment: Payment, state: str, **kwargs):
    return respx_mock.get(f"{PHONEPE_PG}/checkout/v2/order/{payment.gateway_order_id}/status").mock(
        return_value=httpx.Response(200, json=status_payload(payment, state, **kwargs))
    )


def test_pay_request_and_token_cached_until_it_expires(api, user, phonepe):
    first = start(api, user)
    start(api, user, "xp-275")
    token_route = phonepe.routes[0]
    assert token_route.call_count == 1, "one OAuth token serves both orders"
    form = dict(pair.split("=") for pair in token_route.calls[0].request.content.decode().split("&"))
    assert form["grant_type"] == "client_credentials"
    assert form["client_version"] == "1"
    sent = json.loads(phonepe.routes[1].calls[0].request.content)
    assert sent["merchantOrderId"] == first.gateway_order_id
    assert sent["amount"] == 9900
    assert sent["paymentFlow"]["type"] == "PG_CHECKOUT"
    assert sent["paymentFlow"]["merchantUrls"]["redirectUrl"].endswith(f"/payments/{first.pk}")


def test_a_callback_is_only_believed_once_order_status_confirms_it(api, user, phonepe):
    payment = start(api, user)
    status = order_status(phonepe, payment, "PENDING")
    # A forged (or early) callback claiming success, with valid credentials: PhonePe says PENDING.
    body = callback(payment)
    forged = post_callback(api, body)
    assert (forged.status_code, forged.json()) == (200, {"detail": "accepted"})
    assert status.call_count == 1
    payment.refresh_from_db()
    assert payment.state == "pending"
    assert not LedgerEntry.objects.filter(user=user).exists()

    order_status(phonepe, payment, "COMPLETED")
    # The same callback again is the same event, but the payment is still open: PhonePe is asked again.
    assert post_callback(api, body).json() == {"detail": "duplicate"}
    payment.refresh_from_db()
    assert payment.state == "succeeded"
    assert post_callback(api, body.replace(b'"UPI_INTENT"', b'"UPI_QR"')).status_code == 200
    payment.refresh_from_db()
    assert (payment.state, payment.gateway_payment_id) == ("succeeded", "OM2403282020198651071949")
    assert Wallet.objects.get(user=user).xp_balance == 100
    assert LedgerEntry.objects.filter(user=user).count() == 1


def test_wrong_or_missing_authorization_is_401_and_changes_nothing(api, user, phonepe):
    payment = start(api, user)
    status = order_status(phonepe, payment, "COMPLETED")
    body = callback(payment)
    for header in ("", phonepe_authorization(password="guess"), f"SHA256({phonepe_authorization()})"):
        answer = post_callback(api, body, authorization=header)
        assert (answer.status_code, answer.json()["code"]) == (401, "bad_signature")
    assert status.call_count == 0
    assert PaymentEvent.objects.count() == 0
    payment.refresh_from_db()
    assert payment.state == "pending"


def test_order_status_amount_must_match_and_failures_are_recorded(api, user, phonepe):
    payment = start(api, user)
    order_status(phonepe, payment, "COMPLETED", amount=100)
    post_callback(api, callback(payment))
    payment.refresh_from_db()
    assert payment.state == "pending", "never credited for an amount other than the one we asked"

    order_status(phonepe, payment, "FAILED")
    post_callback(api, callback(payment, "checkout.order.failed", "FAILED"))
    payment.refresh_from_db()
    assert payment.state == "failed"
    assert not LedgerEntry.objects.filter(user=user).exists()


def test_phonepe_down_is_503_on_create_and_retried_for_callbacks(api, user, gateways, respx_mock):
    respx_mock.post(f"{PHONEPE_PG}/v1/oauth/token").mock(side_effect=httpx.ConnectTimeout("timed out"))
    answer = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100", "gateway": "phonepe"}, user=user)
    assert (answer.status_code, answer.json()["code"]) == (503, "gateway_unavailable")
    assert "PhonePe is unavailable" in answer.json()["detail"]
    assert Payment.objects.get().state == "created"


def test_refund_is_sent_once_and_completed_through_refund_status(api, user, admin_user, phonepe):
    payment = start(api, user, "xp-275")
    order_status(phonepe, payment, "COMPLETED")
    post_callback(api, callback(payment))
    assert Wallet.objects.get(user=user).xp_balance == 275

    def refund(request):
        body = json.loads(request.content)
        assert body["originalMerchantOrderId"] == payment.gateway_order_id
        return httpx.Response(
            200, json={"refundId": "OMR7878098045517540996", "amount": body["amount"], "state": "PENDING"}
        )

    refund_route = phonepe.post(f"{PHONEPE_PG}/payments/v2/refund").mock(side_effect=refund)
    for _ in range(10):
        answer = api.post_json(
            f"/api/payments/{payment.pk}/refund", {}, user=admin_user, HTTP_IDEMPOTENCY_KEY="full-refund-0001"
        )
        assert answer.status_code == 202, answer.content
    assert refund_route.call_count == 1
    made = Refund.objects.get()
    assert json.loads(refund_route.calls[0].request.content) == {
        "merchantRefundId": f"arena-refund-{made.pk}",
        "originalMerchantOrderId": payment.gateway_order_id,
        "amount": 24900,
    }
    assert (made.state, made.gateway_refund_id, made.xp_debited) == ("pending", "OMR7878098045517540996", 275)
    assert Wallet.objects.get(user=user).xp_balance == 0

    refund_status = phonepe.get(f"{PHONEPE_PG}/payments/v2/refund/arena-refund-{made.pk}/status").mock(
        return_value=httpx.Response(
            200,
            json={
                "merchantId": "M22ARENA",
                "merchantRefundId": f"arena-refund-{made.pk}",
                "originalMerchantOrderId": payment.gateway_order_id,
                "amount": 24900,
                "state": "COMPLETED",
                "paymentDetails": [
                    {"transactionId": "OM2409251543", "paymentMode": "UPI_INTENT", "state": "COMPLETED"}
                ],
            },
        )
    )
    refund_callback = json.dumps(
        {
            "type": "PG_REFUND_COMPLETED",
            "event": "pg.refund.completed",
            "payload": {
                "merchantId": "M22ARENA",
                "merchantRefundId": f"arena-refund-{made.pk}",
                "originalMerchantOrderId": payment.gateway_order_id,
                "refundId": "OMR7878098045517540996",
                "state": "COMPLETED",
                "amount": 24900,
            },
        }
    ).encode()
    assert post_callback(api, refund_callback).status_code == 200
    assert refund_status.call_count == 1
    made.refresh_from_db()
    payment.refresh_from_db()
    assert (made.state, payment.state, payment.amount_refunded) == ("processed", "refunded", 24900)
    again = api.post_json(
        f"/api/payments/{payment.pk}/refund", {}, user=admin_user, HTTP_IDEMPOTENCY_KEY="another-key-1"
    )
    assert (again.status_code, again.json()["code"]) == (409, "not_refundable")


def test_a_callback_that_cannot_be_checked_now_is_finished_by_the_reconciler(api, user, phonepe):
    from datetime import timedelta

    from django.utils import timezone

    from wallet.tasks import reconcile_payments

    payment = start(api, user)
    down = phonepe.get(f"{PHONEPE_PG}/checkout/v2/order/{payment.gateway_order_id}/status").mock(
        return_value=httpx.Response(503, json={"code": "INTERNAL_SERVER_ERROR", "message": "try later"})
    )
    answer = post_callback(api, callback(payment))
    assert (answer.status_code, answer.json()) == (200, {"detail": "accepted"}), "the gateway still gets its 2xx"
    assert down.call_count >= 1
    event = PaymentEvent.objects.get()
    assert event.processed_at is None
    payment.refresh_from_db()
    assert payment.state == "pending"

    order_status(phonepe, payment, "COMPLETED")
    PaymentEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    counts = reconcile_payments.delay().get()
    assert counts["events"] == 1
    payment.refresh_from_db()
    assert (payment.state, Wallet.objects.get(user=user).xp_balance) == ("succeeded", 100)
    assert reconcile_payments.delay().get()["events"] == 0


def test_a_stored_callback_phonepe_refuses_to_check_does_not_stop_the_others(api, user, phonepe, caplog):
    """Stored callbacks were processed in one loop that caught only outages: a 400 for one of them
    stopped the reconciler before the rest (and before every refund) on each pass."""
    from datetime import timedelta

    from django.utils import timezone

    from wallet.tasks import reconcile_payments

    refused, paid = start(api, user), start(api, user, "xp-275")
    down = httpx.Response(503, json={"code": "INTERNAL_SERVER_ERROR", "message": "try later"})
    refused_status = phonepe.get(f"{PHONEPE_PG}/checkout/v2/order/{refused.gateway_order_id}/status").mock(
        return_value=down
    )
    paid_status = phonepe.get(f"{PHONEPE_PG}/checkout/v2/order/{paid.gateway_order_id}/status").mock(return_value=down)
    for payment in (refused, paid):
        assert post_callback(api, callback(payment)).status_code == 200
    assert PaymentEvent.objects.filter(processed_at__isnull=True).count() == 2
    PaymentEvent.objects.filter(payment=refused).update(received_at=timezone.now() - timedelta(minutes=30))
    PaymentEvent.objects.filter(payment=paid).update(received_at=timezone.now() - timedelta(minutes=5))
    refused_status.mock(
        return_value=httpx.Response(400, json={"success": False, "code": "BAD_REQUEST", "message": "Invalid order"})
    )
    paid_status.mock(return_value=httpx.Response(200, json=status_payload(paid, "COMPLETED")))

    counts = reconcile_payments.delay().get()

    assert (counts["events"], counts["events_failed"]) == (1, 1)
    paid.refresh_from_db()
    assert (paid.state, Wallet.objects.get(user=user).xp_balance) == ("succeeded", 275)
    stuck = PaymentEvent.objects.get(payment=refused)
    assert stuck.processed_at is None
    assert stuck.reconcile_failures == 1
    assert "BAD_REQUEST Invalid order" in stuck.reconcile_error
    assert f"reconcile: paymentevent {stuck.pk} failed" in [r.getMessage() for r in caplog.records]


def test_a_revoked_token_is_replaced_once(api, user, phonepe):
    payment = start(api, user)
    status = phonepe.get(f"{PHONEPE_PG}/checkout/v2/order/{payment.gateway_order_id}/status").mock(
        side_effect=[
            httpx.Response(401, json={"code": "AUTHORIZATION_FAILED", "message": "token expired"}),
            httpx.Response(200, json=status_payload(payment, "COMPLETED")),
        ]
    )
    post_callback(api, callback(payment))
    assert status.call_count == 2
    assert phonepe.routes[0].call_count == 2, "a fresh OAuth token after the 401"
    payment.refresh_from_db()
    assert payment.state == "succeeded"
