import hashlib
import hmac
import json
import threading

import pytest
from django.conf import settings
from django.db import connection

from competitions.models import Registration
from realtime.models import Notification
from tests.competitions.conftest import create_published, make_team, pay, register, roster, tournament_body
from tests.conftest import ApiClient
from tests.factories import UserFactory
from wallet.models import LedgerEntry, Payment, PaymentEvent, Wallet

pytestmark = pytest.mark.django_db


def _signed(payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, hmac.new(settings.SANDBOX_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def _webhook(client, body: bytes, signature: str):
    return client.post(
        "/api/payments/webhooks/sandbox", body, content_type="application/json", HTTP_X_SANDBOX_SIGNATURE=signature
    )


def _callback(payment: dict, *, status: str = "captured", event_id: str = "evt_1") -> dict:
    return {
        "event_id": event_id,
        "order_id": Payment.objects.get(pk=payment["id"]).gateway_order_id,
        "payment_id": "sandbox_pay_abc",
        "status": status,
        "amount": payment["amount"],
    }


def test_buying_an_xp_pack_through_the_sandbox_checkout(api, user):
    created = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100", "amount": 1}, user=user)
    assert created.status_code == 201, created.content
    payment = created.json()
    assert (payment["amount"], payment["state"]) == (9900, "pending"), "the server decides the amount"
    assert (
        api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=user).json()["id"] == payment["id"]
    )

    assert payment["checkout"]["url"].startswith(f"http://127.0.0.1:8000/payments/sandbox/{payment['id']}/?sig=")
    page = api.get(payment["checkout"]["url"])
    assert page.status_code == 200
    assert b"Succeed" in page.content
    assert b"99.00" in page.content
    done = api.post(payment["checkout"]["url"], {"outcome": "succeed"})
    assert done.status_code == 200
    assert b"Callback sent" in done.content

    paid = api.get_json(f"/api/payments/{payment['id']}", user=user).json()
    assert (paid["state"], paid["checkout"]) == ("succeeded", None)
    assert api.get_json("/api/wallet", user=user).json()["xp"] == 100
    assert LedgerEntry.objects.get(user=user).source_kind == "xp_pack"
    assert Notification.objects.filter(user=user, kind="payment_succeeded").count() == 1
    assert api.get_json(f"/api/payments/{payment['id']}", user=UserFactory()).status_code == 404


def test_paid_registration_is_confirmed_by_the_payment(api):
    host = UserFactory(role="host", host_status="approved")
    tournament = create_published(api, host, entry_fee=5000, rounds_count=1, qualify_per_group=0)
    team = make_team(4)
    registration = register(api, tournament["id"], team).json()
    assert registration["status"] == "pending_payment"
    member = team.memberships.exclude(user=team.captain).first().user
    assert (
        api.post_json("/api/payments", {"purpose": "registration", "ref": str(registration["id"])}, user=member)
    ).status_code == 403
    payment = pay(api, team.captain, "registration", registration["id"])
    assert (payment["amount"], payment["state"]) == (5000, "succeeded")
    assert Registration.objects.get(pk=registration["id"]).status == "confirmed"
    again = api.post_json(
        "/api/payments", {"purpose": "registration", "ref": str(registration["id"])}, user=team.captain
    )
    assert (again.status_code, again.json()["code"]) == (409, "nothing_to_pay")
    assert set(roster(team)) <= set(
        Notification.objects.filter(kind="registration_confirmed").values_list("user_id", flat=True)
    )


def test_publishing_needs_the_listing_plan_paid(api):
    host = UserFactory(role="host", host_status="approved")
    draft = api.post_json("/api/tournaments", tournament_body(listing_plan="featured"), user=host).json()
    blocked = api.post_json(f"/api/tournaments/{draft['id']}/publish", user=host)
    assert (blocked.status_code, blocked.json()["code"]) == (409, "listing_plan_unpaid")
    other = UserFactory(role="host", host_status="approved")
    assert (
        api.post_json("/api/payments", {"purpose": "listing_plan", "ref": str(draft["id"])}, user=other).status_code
        == 403
    )
    failed = pay(api, host, "listing_plan", draft["id"], outcome="fail")
    assert failed["state"] == "failed"
    assert api.post_json(f"/api/tournaments/{draft['id']}/publish", user=host).status_code == 409
    paid = pay(api, host, "listing_plan", draft["id"])
    assert (paid["amount"], paid["state"]) == (49900, "succeeded")
    assert api.patch_json(f"/api/tournaments/{draft['id']}", {"listing_plan": "premium"}, user=host).status_code == 409
    assert api.post_json(f"/api/tournaments/{draft['id']}/publish", user=host).status_code == 200


def test_webhooks_are_verified_deduplicated_and_never_go_backwards(api, user):
    payment = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-275"}, user=user).json()
    body, signature = _signed(_callback(payment))
    tampered = body.replace(b"captured", b"CAPTURED")
    assert _webhook(api, tampered, signature).status_code == 401
    assert _webhook(api, body, "0" * 64).status_code == 401
    assert _webhook(api, body, "").status_code == 401
    assert Payment.objects.get(pk=payment["id"]).state == "pending"
    assert not PaymentEvent.objects.exists()

    assert _webhook(api, body, signature).json() == {"detail": "accepted"}
    assert _webhook(api, body, signature).json() == {"detail": "duplicate"}
    late_failure, late_signature = _signed(_callback(payment, status="failed", event_id="evt_2"))
    assert _webhook(api, late_failure, late_signature).status_code == 200
    stored = Payment.objects.get(pk=payment["id"])
    assert stored.state == "succeeded"
    assert len(stored.payloads) == 2
    assert Wallet.objects.get(user=user).xp_balance == 275
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert (
        _webhook(
            api,
            b"{not json",
            hmac.new(settings.SANDBOX_WEBHOOK_SECRET.encode(), b"{not json", hashlib.sha256).hexdigest(),
        ).status_code
        == 400
    )


def test_unknown_items_and_gateways_are_422(api, user):
    assert api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-1000000"}, user=user).status_code == 422
    assert api.post_json("/api/payments", {"purpose": "listing_plan", "ref": "abc"}, user=user).status_code == 422
    assert (
        api.post_json(
            "/api/payments", {"purpose": "xp_pack", "ref": "xp-100", "gateway": "razorpay"}, user=user
        ).status_code
        == 422
    )
    unverified = UserFactory(email_verified_at=None)
    assert api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=unverified).status_code == 403


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_webhooks_fulfil_once():
    user = UserFactory()
    payment = ApiClient().post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-600"}, user=user).json()
    body, signature = _signed(_callback(payment, event_id="evt_burst"))
    barrier = threading.Barrier(50)
    statuses = []

    def deliver():
        try:
            client = ApiClient()
            barrier.wait()
            statuses.append(_webhook(client, body, signature).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 50
    assert PaymentEvent.objects.count() == 1
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert Wallet.objects.get(user=user).xp_balance == 600
    assert Payment.objects.get(pk=payment["id"]).state == "succeeded"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_distinct_callbacks_racing_for_one_payment_fulfil_once():
    """Different event ids for the same capture (e.g. a retry with a new id, the reconciler):
    the payment row lock lets only the first transition fulfil."""
    user = UserFactory()
    payment = ApiClient().post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=user).json()
    bodies = [_signed(_callback(payment, event_id=f"evt_{n}")) for n in range(20)]
    barrier = threading.Barrier(20)

    def deliver(body, signature):
        try:
            client = ApiClient()
            barrier.wait()
            assert _webhook(client, body, signature).status_code == 200
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=pair) for pair in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert PaymentEvent.objects.count() == 20
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert Wallet.objects.get(user=user).xp_balance == 100


def test_the_sandbox_page_needs_the_payers_signed_link(api, user):
    """Knowing a payment id is not enough to succeed (or fail) someone else's payment."""
    payment = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=user).json()
    bare = f"/payments/sandbox/{payment['id']}/"
    assert api.get(bare).status_code == 403
    assert api.post(bare, {"outcome": "succeed"}).status_code == 403
    other = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=UserFactory()).json()
    borrowed = other["checkout"]["url"].split("?")[1]  # a valid signature, for another payment
    assert api.post(f"{bare}?{borrowed}", {"outcome": "succeed"}).status_code == 403
    assert api.get_json(f"/api/payments/{payment['id']}", user=user).json()["state"] == "pending"


def test_sandbox_outcomes_as_json_for_mobile_apps_and_ci(api, user):
    payment = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=user).json()
    url = f"/api/payments/{payment['id']}/sandbox-outcome"
    assert api.post_json(url, {"outcome": "succeed"}, user=UserFactory()).status_code == 404  # not the payer
    assert api.post_json(url, {"outcome": "maybe"}, user=user).status_code == 422
    done = api.post_json(url, {"outcome": "succeed"}, user=user)
    assert done.status_code == 200, done.content
    assert done.json()["id"] == payment["id"]
    # The callback is processed as a real gateway's is (after its commit).
    assert api.get_json(f"/api/payments/{payment['id']}", user=user).json()["state"] == "succeeded"
    assert api.get_json("/api/wallet", user=user).json()["xp"] == 100
