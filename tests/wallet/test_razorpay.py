"""Razorpay end to end over our HTTP API, with Razorpay's own HTTP API faked by `responses`
(the official SDK talks through requests). Payloads follow Razorpay's API reference."""

import json
import time
from datetime import timedelta

import pytest
import razorpay
import responses
from django.core import mail
from django.utils import timezone

from tests.concurrency import race
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.wallet.conftest import RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET, razorpay_signature
from wallet.models import LedgerEntry, Payment, PaymentEvent, Refund, Wallet

pytestmark = pytest.mark.django_db
API = "https://api.razorpay.com/v1"


def order_payload(request) -> tuple[int, dict, str]:
    body = json.loads(request.body)
    order = {
        "id": f"order_{body['receipt'].zfill(6)}Xa9QmB",
        "entity": "order",
        "amount": body["amount"],
        "amount_paid": 0,
        "amount_due": body["amount"],
        "currency": body["currency"],
        "receipt": body["receipt"],
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": body.get("notes", {}),
        "created_at": int(time.time()),
    }
    return 200, {}, json.dumps(order)


def payment_entity(order_id: str, *, status: str = "captured", amount: int = 9900, pay_id: str = "pay_DESlfW9H8K9uqM"):
    return {
        "id": pay_id,
        "entity": "payment",
        "amount": amount,
        "currency": "INR",
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "upi",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status == "captured",
        "description": "XP pack",
        "vpa": "gaurav.kumar@exampleupi",
        "email": "gaurav.kumar@example.com",
        "contact": "+919876543210",
        "notes": [],
        "fee": 198,
        "tax": 30,
        "error_code": None if status == "captured" else "BAD_REQUEST_ERROR",
        "error_description": None if status == "captured" else "Payment failed due to incorrect UPI PIN",
        "created_at": 1567674599,
    }


def webhook_event(event: str, order_id: str, **entity) -> dict:
    status = {"payment.captured": "captured", "payment.failed": "failed", "order.paid": "captured"}[event]
    payload = {"payment": {"entity": payment_entity(order_id, status=status, **entity)}}
    if event == "order.paid":
        payload["order"] = {"entity": {"id": order_id, "entity": "order", "status": "paid", "amount_paid": 9900}}
    return {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": event,
        "contains": list(payload),
        "payload": payload,
        "created_at": int(time.time()),
    }


def refund_entity(payment_id: str, amount: int, *, refund_pk: int, status: str = "processed") -> dict:
    return {
        "id": f"rfnd_FP8QHiV938ha{refund_pk:02d}",
        "entity": "refund",
        "amount": amount,
        "receipt": f"arena-refund-{refund_pk}",
        "currency": "INR",
        "payment_id": payment_id,
        "notes": {"arena_refund_id": str(refund_pk)},
        "acquirer_data": {"arn": None},
        "created_at": int(time.time()),
        "batch_id": None,
        "status": status,
        "speed_processed": "normal",
        "speed_requested": "normal",
    }


def post_webhook(client, body: bytes, *, secret: str = RAZORPAY_WEBHOOK_SECRET, event_id: str = "EvtF8o0Zz0Aa1"):
    return client.post(
        "/api/payments/webhooks/razorpay",
        body,
        content_type="application/json",
        HTTP_X_RAZORPAY_SIGNATURE=razorpay_signature(body.decode(), secret),
        HTTP_X_RAZORPAY_EVENT_ID=event_id,
    )


@pytest.fixture
def rzp(gateways):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, f"{API}/orders", callback=order_payload, content_type="application/json")
        yield mock


def start(api, user, ref: str = "xp-100") -> dict:
    created = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": ref, "gateway": "razorpay"}, user=user)
    assert created.status_code == 201, created.content
    return created.json()


def verify(api, user, order_id: str, pay_id: str, *, signed_order: str | None = None):
    signature = razorpay_signature(f"{signed_order or order_id}|{pay_id}", RAZORPAY_KEY_SECRET)
    body = {"razorpay_order_id": order_id, "razorpay_payment_id": pay_id, "razorpay_signature": signature}
    return api.post_json("/api/payments/razorpay/verify", body, user=user)


def test_an_order_is_created_with_our_payment_id_as_receipt_and_checkout_options(api, user, rzp):
    payment = start(api, user)
    sent = json.loads(rzp.calls[0].request.body)
    assert sent == {
        "amount": 9900,
        "currency": "INR",
        "receipt": str(payment["id"]),
        "notes": {"purpose": "xp_pack", "ref": "xp-100"},
    }
    assert rzp.calls[0].request.headers["Authorization"].startswith("Basic ")
    checkout = payment["checkout"]
    assert checkout["order_id"] == Payment.objects.get(pk=payment["id"]).gateway_order_id
    assert (checkout["gateway"], checkout["key_id"], checkout["amount"]) == ("razorpay", RAZORPAY_KEY_ID, 9900)
    # The SDK itself accepts the signature our test helper computes.
    assert razorpay.Client(auth=(RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET)).utility.verify_payment_signature(
        {
            "razorpay_order_id": checkout["order_id"],
            "razorpay_payment_id": "pay_x",
            "razorpay_signature": razorpay_signature(f"{checkout['order_id']}|pay_x", RAZORPAY_KEY_SECRET),
        }
    )
    assert start(api, user)["id"] == payment["id"], "an open payment for the same pack is reused"
    assert len(rzp.calls) == 1


def test_checkout_verification_fulfils_once_and_rejects_forgeries(api, user, rzp):
    payment = start(api, user)
    order_id = payment["checkout"]["order_id"]
    other_order = start(api, user, "xp-275")["checkout"]["order_id"]

    forged = verify(api, user, order_id, "pay_29QQoUBi66xm2f", signed_order=other_order)
    assert (forged.status_code, forged.json()["code"]) == (400, "bad_signature")
    tampered = api.post_json(
        "/api/payments/razorpay/verify",
        {"razorpay_order_id": order_id, "razorpay_payment_id": "pay_29QQoUBi66xm2f", "razorpay_signature": "0" * 64},
        user=user,
    )
    assert tampered.status_code == 400
    assert Payment.objects.get(pk=payment["id"]).state == "pending"
    assert verify(api, UserFactory(), order_id, "pay_29QQoUBi66xm2f").status_code == 404

    done = verify(api, user, order_id, "pay_29QQoUBi66xm2f")
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["checkout"]) == ("succeeded", None)
    assert verify(api, user, order_id, "pay_29QQoUBi66xm2f").json()["state"] == "succeeded"
    assert api.get_json("/api/wallet", user=user).json()["xp"] == 100
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert Payment.objects.get(pk=payment["id"]).gateway_payment_id == "pay_29QQoUBi66xm2f"
    assert [m.subject for m in mail.outbox] == ["Your Arena receipt: ₹99.00"]
    assert f"ARENA-{payment['id']}" in mail.outbox[0].body


def test_webhooks_are_verified_over_the_raw_body_and_deduplicated(api, user, rzp):
    payment = start(api, user)
    order_id = payment["checkout"]["order_id"]
    body = json.dumps(webhook_event("payment.captured", order_id)).encode()

    tampered = body.replace(b'"amount": 9900', b'"amount": 1')
    assert tampered != body
    signature = razorpay_signature(body.decode(), RAZORPAY_WEBHOOK_SECRET)
    bad = api.post(
        "/api/payments/webhooks/razorpay", tampered, content_type="application/json",
        HTTP_X_RAZORPAY_SIGNATURE=signature, HTTP_X_RAZORPAY_EVENT_ID="EvtA",
    )  # fmt: skip
    assert (bad.status_code, bad.json()["code"]) == (401, "bad_signature")
    assert post_webhook(api, body, secret="someone-elses-secret").status_code == 401
    unsigned = api.post("/api/payments/webhooks/razorpay", body, content_type="application/json")
    assert unsigned.status_code == 401
    assert PaymentEvent.objects.count() == 0
    assert Payment.objects.get(pk=payment["id"]).state == "pending"

    first = post_webhook(api, body)
    assert (first.status_code, first.json()) == (200, {"detail": "accepted"})
    again = post_webhook(api, body)
    assert (again.status_code, again.json()) == (200, {"detail": "duplicate"})
    assert Payment.objects.get(pk=payment["id"]).state == "succeeded"
    assert Wallet.objects.get(user=user).xp_balance == 100

    late_failure = json.dumps(webhook_event("payment.failed", order_id, pay_id="pay_late")).encode()
    assert post_webhook(api, late_failure, event_id="EvtLateFail").status_code == 200
    assert Payment.objects.get(pk=payment["id"]).state == "succeeded", "a late failure never undoes a success"
    assert LedgerEntry.objects.filter(user=user).count() == 1


def test_a_failed_payment_can_still_succeed_later(api, user, rzp):
    order_id = start(api, user)["checkout"]["order_id"]
    failed = json.dumps(webhook_event("payment.failed", order_id, pay_id="pay_fail1")).encode()
    post_webhook(api, failed, event_id="Evt1")
    assert Payment.objects.get().state == "failed"
    paid = json.dumps(webhook_event("order.paid", order_id, pay_id="pay_ok2")).encode()
    post_webhook(api, paid, event_id="Evt2")
    assert (Payment.objects.get().state, Wallet.objects.get(user=user).xp_balance) == ("succeeded", 100)


def test_refund_retried_ten_times_is_one_refund_and_the_webhook_completes_it(api, user, admin_user, rzp):
    payment = start(api, user, "xp-600")
    order_id = payment["checkout"]["order_id"]
    assert verify(api, user, order_id, "pay_RefundMe00001").status_code == 200
    refund_pk = {}

    def refund_reply(request):
        body = json.loads(request.body)
        pk = int(body["notes"]["arena_refund_id"])
        refund_pk["pk"] = pk
        assert request.headers["X-Refund-Idempotency"] == f"arena-refund-{pk}"
        return 200, {}, json.dumps(refund_entity("pay_RefundMe00001", body["amount"], refund_pk=pk, status="pending"))

    rzp.add_callback(responses.POST, f"{API}/payments/pay_RefundMe00001/refund", callback=refund_reply)
    answers = [
        api.post_json(
            f"/api/payments/{payment['id']}/refund",
            {"amount": 24950, "reason": "Bought by mistake"},
            user=admin_user,
            HTTP_IDEMPOTENCY_KEY="refund-req-7f3a",
        )
        for _ in range(10)
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert Refund.objects.count() == 1
    refund_calls = [c for c in rzp.calls if c.request.url.endswith("/refund")]
    assert len(refund_calls) == 1
    assert json.loads(refund_calls[0].request.body)["amount"] == 24950
    # Half the price → half the XP back (300 of 600), taken at once.
    assert Wallet.objects.get(user=user).xp_balance == 300
    refund = Refund.objects.get()
    assert (refund.state, refund.gateway_refund_id, refund.xp_debited) == (
        "pending",
        f"rfnd_FP8QHiV938ha{refund.pk:02d}",
        300,
    )

    processed = {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": "refund.processed",
        "contains": ["refund", "payment"],
        "payload": {
            "refund": {"entity": refund_entity("pay_RefundMe00001", 24950, refund_pk=refund.pk)},
            "payment": {"entity": payment_entity(order_id, amount=49900, pay_id="pay_RefundMe00001")},
        },
        "created_at": int(time.time()),
    }
    post_webhook(api, json.dumps(processed).encode(), event_id="EvtRefund1")
    paid = api.get_json(f"/api/payments/{payment['id']}", user=user).json()
    assert (paid["state"], paid["amount_refunded"]) == ("partially_refunded", 24950)
    listed = api.get_json(f"/api/payments/{payment['id']}/refunds", user=user).json()
    assert [(r["state"], r["amount"], r["xp_debited"]) for r in listed] == [("processed", 24950, 300)]
    assert mail.outbox[-1].subject == "Refund of ₹249.50 on its way"


def test_gateway_outage_is_503_and_the_next_attempt_creates_the_order(api, user, gateways):
    with responses.RequestsMock() as down:
        down.add(
            responses.POST, f"{API}/orders", status=503, json={"error": {"code": "SERVER_ERROR", "description": "x"}}
        )
        answer = api.post_json(
            "/api/payments", {"purpose": "xp_pack", "ref": "xp-100", "gateway": "razorpay"}, user=user
        )
    assert (answer.status_code, answer.json()["code"]) == (503, "gateway_unavailable")
    assert Payment.objects.get().state == "created"
    with responses.RequestsMock() as up:
        up.add_callback(responses.POST, f"{API}/orders", callback=order_payload)
        again = start(api, user)
    assert again["state"] == "pending"
    assert Payment.objects.count() == 1


def test_the_reconciler_settles_lost_webhooks_and_expires_abandoned_payments(api, user, rzp, settings):
    from wallet.tasks import reconcile_payments

    captured = start(api, user)
    abandoned = start(api, user, "xp-275")
    fresh = start(api, user, "xp-600")
    Payment.objects.filter(pk=captured["id"]).update(created_at=timezone.now() - timedelta(minutes=15))
    Payment.objects.filter(pk=abandoned["id"]).update(created_at=timezone.now() - timedelta(hours=2))
    for payment, items in (
        (captured, [payment_entity(captured["checkout"]["order_id"], status="failed", pay_id="pay_a"),
                    payment_entity(captured["checkout"]["order_id"], pay_id="pay_b")]),
        (abandoned, []),
    ):  # fmt: skip
        rzp.add(
            responses.GET,
            f"{API}/orders/{payment['checkout']['order_id']}/payments",
            json={"entity": "collection", "count": len(items), "items": items},
        )
    counts = reconcile_payments.delay().get()
    assert (counts["checked"], counts["expired"]) == (2, 1)
    states = dict(Payment.objects.values_list("id", "state"))
    assert states == {captured["id"]: "succeeded", abandoned["id"]: "expired", fresh["id"]: "pending"}
    assert Payment.objects.get(pk=captured["id"]).gateway_payment_id == "pay_b"
    assert Wallet.objects.get(user=user).xp_balance == 100
    assert reconcile_payments.delay().get()["checked"] == 0, "settled payments are not asked about again"


NO_SUCH_ID = {
    "error": {
        "code": "BAD_REQUEST_ERROR",
        "description": "The id provided does not exist",
        "source": "business",
        "step": "payment_initiation",
        "reason": "input_validation_failed",
        "metadata": {},
        "field": "id",
    }
}


def test_a_payment_and_a_refund_razorpay_refuses_do_not_stop_the_reconciler(api, user, admin_user, rzp, caplog):
    """The reconciler went oldest first and caught only outages: one order Razorpay answers 400 for
    stopped every pass at the same payment, and nothing after it was ever settled, expired or refunded."""
    from wallet.tasks import reconcile_payments

    refused, captured, abandoned = start(api, user), start(api, user, "xp-275"), start(api, user, "xp-600")
    ages = {
        refused["id"]: timedelta(hours=3),
        captured["id"]: timedelta(minutes=15),
        abandoned["id"]: timedelta(hours=2),
    }
    for pk, age in ages.items():
        Payment.objects.filter(pk=pk).update(created_at=timezone.now() - age)
    rzp.add(responses.GET, f"{API}/orders/{refused['checkout']['order_id']}/payments", status=400, json=NO_SUCH_ID)
    rzp.add(
        responses.GET,
        f"{API}/orders/{captured['checkout']['order_id']}/payments",
        json={"entity": "collection", "count": 1, "items": [payment_entity(captured["checkout"]["order_id"])]},
    )
    rzp.add(
        responses.GET,
        f"{API}/orders/{abandoned['checkout']['order_id']}/payments",
        json={"entity": "collection", "count": 0, "items": []},
    )
    # Two paid packs of another buyer, refunded while Razorpay refused both refunds; one is accepted later.
    buyer = UserFactory()
    accepted = set()

    def refund_reply(request):
        pay_id = request.url.split("/payments/")[1].split("/")[0]
        if pay_id not in accepted:
            return 400, {}, json.dumps(NO_SUCH_ID)
        body = json.loads(request.body)
        entity = refund_entity(pay_id, body["amount"], refund_pk=int(body["notes"]["arena_refund_id"]))
        return 200, {}, json.dumps(entity)

    refunds = {}
    for pack, pay_id in (("xp-100", "pay_RefusedRfnd01"), ("xp-275", "pay_AcceptedRfnd1")):
        payment = start(api, buyer, pack)
        assert verify(api, buyer, payment["checkout"]["order_id"], pay_id).status_code == 200
        rzp.add_callback(responses.POST, f"{API}/payments/{pay_id}/refund", callback=refund_reply)
        answer = api.post_json(
            f"/api/payments/{payment['id']}/refund", {}, user=admin_user, HTTP_IDEMPOTENCY_KEY=f"rec-{pay_id}"
        )
        assert answer.status_code == 202, answer.content
        refunds[pay_id] = answer.json()["id"]
    assert set(Refund.objects.values_list("state", flat=True)) == {"pending"}
    Refund.objects.update(updated_at=timezone.now() - timedelta(minutes=15))
    accepted.add("pay_AcceptedRfnd1")

    counts = reconcile_payments.delay().get()  # raises here if the task does

    assert (counts["checked"], counts["failed"], counts["expired"]) == (3, 1, 1)
    assert (counts["refunds_checked"], counts["refunds_failed"]) == (2, 1)
    states = dict(Payment.objects.filter(user=user).values_list("id", "state"))
    assert states == {refused["id"]: "pending", captured["id"]: "succeeded", abandoned["id"]: "expired"}
    assert Wallet.objects.get(user=user).xp_balance == 275
    marked = Payment.objects.get(pk=refused["id"])
    assert marked.reconcile_failures == 1
    assert "The id provided does not exist" in marked.reconcile_error
    assert marked.reconcile_failed_at is not None
    assert Payment.objects.filter(reconcile_failures__gt=0).count() == 1
    assert Refund.objects.get(pk=refunds["pay_AcceptedRfnd1"]).state == "processed"
    refused_refund = Refund.objects.get(pk=refunds["pay_RefusedRfnd01"])
    assert (refused_refund.state, refused_refund.reconcile_failures) == ("pending", 1)
    assert "does not exist" in refused_refund.reconcile_error
    logged = [r.getMessage() for r in caplog.records if r.name == "wallet.reconcile"]
    assert f"reconcile: payment {refused['id']} failed" in logged
    assert f"reconcile: refund {refused_refund.pk} failed" in logged

    # Next pass: the refused payment is asked again (last), its count grows; the admin lists it.
    assert reconcile_payments.delay().get()["failed"] == 1
    assert Payment.objects.get(pk=refused["id"]).reconcile_failures == 2
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    api.force_login(superuser)
    listed = api.get("/admin/wallet/payment/?reconcile=failing")
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1
    detail = api.get(f"/admin/wallet/payment/{refused['id']}/change/")
    assert b"The id provided does not exist" in detail.content
    # Once Razorpay answers for it again, the mark is cleared.
    rzp.replace(
        responses.GET,
        f"{API}/orders/{refused['checkout']['order_id']}/payments",
        json={"entity": "collection", "count": 0, "items": []},
    )
    reconcile_payments.delay().get()
    cleared = Payment.objects.get(pk=refused["id"])
    assert (cleared.state, cleared.reconcile_failures, cleared.reconcile_error) == ("expired", 0, "")


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_razorpay_webhooks_fulfil_once(rzp):
    user = UserFactory()
    order_id = start(ApiClient(), user, "xp-600")["checkout"]["order_id"]
    body = json.dumps(webhook_event("payment.captured", order_id, amount=49900)).encode()
    statuses = race([lambda client: post_webhook(client, body, event_id="EvtBurst").status_code] * 50)
    assert sorted(statuses) == [200] * 50
    assert PaymentEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert Wallet.objects.get(user=user).xp_balance == 600


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_checkout_verify_racing_the_webhook_fulfils_once(rzp):
    user = UserFactory()
    order_id = start(ApiClient(), user)["checkout"]["order_id"]
    body = json.dumps(webhook_event("payment.captured", order_id, pay_id="pay_Race0001")).encode()
    calls = [lambda client: verify(client, user, order_id, "pay_Race0001").status_code] * 10 + [
        lambda client, n=n: post_webhook(client, body, event_id=f"EvtRace{n}").status_code for n in range(10)
    ]
    assert sorted(race(calls)) == [200] * 20
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert Wallet.objects.get(user=user).xp_balance == 100
    assert len(mail.outbox) == 1
