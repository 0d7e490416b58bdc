"""Refund rules over HTTP with the sandbox gateway (which completes refunds at once)."""

import threading

import pytest
from django.core import mail
from django.db import connection

from competitions.models import Registration
from realtime.models import Notification
from tests.competitions.conftest import create_published, make_team, pay, register
from tests.conftest import ApiClient
from tests.factories import UserFactory
from wallet.models import LedgerEntry, Payment, Refund, Wallet

pytestmark = pytest.mark.django_db


def refund(api, payment_id: int, user, key: str, **body):
    return api.post_json(f"/api/payments/{payment_id}/refund", body, user=user, HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def paid_registration(api):
    host = UserFactory(role="host", host_status="approved")
    tournament = create_published(api, host, entry_fee=5000, rounds_count=1, qualify_per_group=0)
    team = make_team(4)
    registration = register(api, tournament["id"], team).json()
    payment = pay(api, team.captain, "registration", registration["id"])
    assert payment["state"] == "succeeded"
    return {"host": host, "tournament": tournament, "team": team, "registration": registration, "payment": payment}


def test_withdrawing_a_paid_registration_refunds_the_entry_fee(api, paid_registration):
    t, r, team = paid_registration["tournament"], paid_registration["registration"], paid_registration["team"]
    mail.outbox.clear()
    assert api.delete_json(f"/api/tournaments/{t['id']}/registrations/{r['id']}", user=team.captain).status_code == 204
    payment = api.get_json(f"/api/payments/{paid_registration['payment']['id']}", user=team.captain).json()
    assert (payment["state"], payment["amount_refunded"]) == ("refunded", 5000)
    assert Registration.objects.get(pk=r["id"]).status == "withdrawn"
    assert [m.subject for m in mail.outbox] == ["Refund of ₹50.00 on its way"]
    assert Notification.objects.filter(user=team.captain, kind="refund_processed").count() == 1


def test_cancelling_a_tournament_refunds_every_paid_team(api, paid_registration):
    host, t = paid_registration["host"], paid_registration["tournament"]
    second = make_team(4)
    second_payment = pay(api, second.captain, "registration", register(api, t["id"], second).json()["id"])
    assert api.delete_json(f"/api/tournaments/{t['id']}", user=host).status_code == 204
    ids = [paid_registration["payment"]["id"], second_payment["id"]]
    assert list(Payment.objects.filter(pk__in=ids).values_list("state", flat=True)) == ["refunded"] * 2
    assert Refund.objects.filter(payment_id__in=ids, state="processed").count() == 2


def test_the_host_refunds_part_of_an_entry_fee_within_what_was_paid(api, paid_registration):
    host, payment_id = paid_registration["host"], paid_registration["payment"]["id"]
    captain = paid_registration["team"].captain
    other_host = UserFactory(role="host", host_status="approved")
    assert refund(api, payment_id, other_host, "key-000001", amount=100).status_code == 404
    denied = refund(api, payment_id, captain, "key-000001", amount=100)
    assert (denied.status_code, denied.json()["code"]) == (403, "not_allowed")
    assert refund(api, payment_id, host, "short").status_code == 422, "idempotency keys are at least 8 characters"
    no_key = api.post_json(f"/api/payments/{payment_id}/refund", {"amount": 100}, user=host)
    assert no_key.status_code == 422

    first = refund(api, payment_id, host, "key-000001", amount=2000, reason="Late check-in penalty waived")
    assert first.status_code == 202, first.content
    too_much = refund(api, payment_id, host, "key-000002", amount=3001)
    assert (too_much.status_code, too_much.json()["code"]) == (422, "refund_too_large")
    mismatch = refund(api, payment_id, host, "key-000001", amount=2500)
    assert (mismatch.status_code, mismatch.json()["code"]) == (409, "idempotency_mismatch")
    payment = api.get_json(f"/api/payments/{payment_id}", user=captain).json()
    assert (payment["state"], payment["amount_refunded"]) == ("partially_refunded", 2000)

    rest = refund(api, payment_id, host, "key-000003")
    assert (rest.status_code, rest.json()["amount"]) == (202, 3000)
    payment = api.get_json(f"/api/payments/{payment_id}", user=captain).json()
    assert (payment["state"], payment["amount_refunded"]) == ("refunded", 5000)
    assert refund(api, payment_id, host, "key-000004").json()["code"] == "not_refundable"
    assert [r["amount"] for r in api.get_json(f"/api/payments/{payment_id}/refunds", user=captain).json()] == [
        3000,
        2000,
    ]


def test_an_xp_pack_refund_takes_back_its_xp_or_is_refused_if_spent(api, user, admin_user):
    payment = pay(api, user, "xp_pack", "xp-275")
    assert Wallet.objects.get(user=user).xp_balance == 275
    # A third of the price takes back a third of the XP, rounded up; the rest takes back the remainder.
    assert refund(api, payment["id"], admin_user, "pack-refund-1", amount=8300).status_code == 202
    assert Wallet.objects.get(user=user).xp_balance == 275 - 92
    api.post_json(f"/api/admin/users/{user.pk}/xp", {"amount": -150, "reason": "spent in the shop"}, user=admin_user)
    assert Wallet.objects.get(user=user).xp_balance == 33

    before = (Refund.objects.count(), LedgerEntry.objects.count())
    spent = refund(api, payment["id"], admin_user, "pack-refund-2")
    assert (spent.status_code, spent.json()["code"]) == (409, "xp_already_spent")
    assert "183 XP" in spent.json()["detail"]
    assert (Refund.objects.count(), LedgerEntry.objects.count()) == before, "nothing half-written"
    assert Payment.objects.get(pk=payment["id"]).amount_refunded == 8300

    api.post_json(f"/api/admin/users/{user.pk}/xp", {"amount": 150, "reason": "goodwill"}, user=admin_user)
    assert refund(api, payment["id"], admin_user, "pack-refund-2").status_code == 202
    assert Wallet.objects.get(user=user).xp_balance == 0
    assert sum(Refund.objects.values_list("xp_debited", flat=True)) == 275
    assert Payment.objects.get(pk=payment["id"]).state == "refunded"


def test_money_arriving_for_a_withdrawn_registration_goes_back(api):
    host = UserFactory(role="host", host_status="approved")
    tournament = create_published(api, host, entry_fee=5000, rounds_count=1, qualify_per_group=0)
    team = make_team(4)
    registration = register(api, tournament["id"], team).json()
    created = api.post_json(
        "/api/payments", {"purpose": "registration", "ref": str(registration["id"])}, user=team.captain
    )
    assert api.delete_json(
        f"/api/tournaments/{tournament['id']}/registrations/{registration['id']}", user=team.captain
    ).status_code == 204  # fmt: skip
    api.post(created.json()["checkout"]["url"], {"outcome": "succeed"})
    payment = Payment.objects.get(pk=created.json()["id"])
    assert (payment.state, payment.amount_refunded) == ("refunded", 5000)
    assert Registration.objects.get(pk=registration["id"]).status == "withdrawn"


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_what_was_paid():
    user, admin = UserFactory(), UserFactory(role="admin", is_staff=True)
    payment = pay(ApiClient(), user, "xp_pack", "xp-600")
    barrier = threading.Barrier(10)
    statuses = []

    def attempt(n: int):
        try:
            client = ApiClient()
            barrier.wait()
            statuses.append(refund(client, payment["id"], admin, f"race-refund-{n:03d}", amount=20000).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 202] + [422] * 8
    stored = Payment.objects.get(pk=payment["id"])
    assert (stored.amount_refunded, stored.state) == (40000, "partially_refunded")
    assert stored.amount_refunded <= stored.amount
    assert Wallet.objects.get(user=user).xp_balance == 600 - 481  # 241 then 240: the shares add up exactly
