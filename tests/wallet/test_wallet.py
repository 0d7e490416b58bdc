import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import ApiClient
from tests.factories import UserFactory
from wallet.models import LedgerEntry, Wallet

pytestmark = pytest.mark.django_db

DAY_ONE = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _check_in(api, user, day: int):
    with time_machine.travel(DAY_ONE + timedelta(days=day - 1), tick=False):
        return api.post_json("/api/rewards/check-in", user=user)


def test_nine_check_ins_with_a_missed_day_and_a_freeze(api, user):
    awarded = []
    for day in range(1, 8):
        response = _check_in(api, user, day)
        assert response.status_code == 200, response.content
        awarded.append(response.json()["xp_awarded"])
    assert awarded == [5, 10, 15, 20, 25, 30, 35]
    assert response.json()["freeze_earned"] is True
    assert response.json()["streak_freezes"] == 1

    eighth = _check_in(api, user, 8).json()
    assert (eighth["streak"], eighth["xp_awarded"]) == (8, 5)
    assert _check_in(api, user, 8).status_code == 409  # twice the same day
    # Day 9 is missed; day 10 spends the freeze and the streak carries on.
    tenth = _check_in(api, user, 10).json()
    assert (tenth["streak"], tenth["freeze_used"], tenth["streak_freezes"], tenth["xp_awarded"]) == (9, True, 0, 10)
    assert tenth["balance"] == 140 + 5 + 10

    wallet = api.get_json("/api/wallet", user=user).json()
    assert (wallet["xp"], wallet["streak"], wallet["streak_freezes"]) == (155, 9, 0)
    ledger = api.get_json("/api/wallet/ledger?page_size=50", user=user).json()
    assert ledger["count"] == 9
    assert [entry["amount"] for entry in ledger["items"]][:2] == [10, 5]
    assert all(entry["source_kind"] == "check_in" for entry in ledger["items"])
    # Without a freeze, missing a day restarts the streak.
    restarted = _check_in(api, user, 12).json()
    assert (restarted["streak"], restarted["reset"], restarted["xp_awarded"]) == (1, True, 5)


def test_check_in_day_follows_the_users_time_zone(api):
    user = UserFactory(timezone="Asia/Kolkata")
    # 20:00 UTC is already the next day in India (UTC+5:30).
    with time_machine.travel(datetime(2026, 11, 2, 17, 0, tzinfo=UTC), tick=False):
        assert api.post_json("/api/rewards/check-in", user=user).status_code == 200
    with time_machine.travel(datetime(2026, 11, 2, 20, 0, tzinfo=UTC), tick=False):
        second = api.post_json("/api/rewards/check-in", user=user)
        assert second.status_code == 200
        assert second.json()["streak"] == 2
        assert api.get_json("/api/wallet", user=user).json()["last_check_in"] == "2026-11-03"


def test_buying_freezes_costs_xp_and_stops_at_two(api, user, admin_user):
    assert api.post_json("/api/rewards/freezes", user=user).status_code == 409  # no XP yet
    credit = api.post_json(
        f"/api/admin/users/{user.pk}/xp", {"amount": 250, "reason": "welcome bonus"}, user=admin_user
    )
    assert credit.status_code == 201
    headers = {"HTTP_IDEMPOTENCY_KEY": "buy-1"}
    first = api.post_json("/api/rewards/freezes", user=user, **headers)
    assert (first.json()["streak_freezes"], first.json()["xp"]) == (1, 150)
    retried = api.post_json("/api/rewards/freezes", user=user, **headers)
    assert (retried.json()["streak_freezes"], retried.json()["xp"]) == (1, 150), "a retry buys nothing twice"
    assert api.post_json("/api/rewards/freezes", user=user).json()["streak_freezes"] == 2
    full = api.post_json("/api/rewards/freezes", user=user)
    assert (full.status_code, full.json()["code"]) == (409, "max_freezes")
    assert Wallet.objects.get(user=user).xp_balance == 50


def test_admin_adjustments(api, user, admin_user):
    url = f"/api/admin/users/{user.pk}/xp"
    assert api.post_json(url, {"amount": 10, "reason": "nope"}, user=user).status_code == 403
    headers = {"HTTP_IDEMPOTENCY_KEY": "grant-7"}
    first = api.post_json(url, {"amount": 300, "reason": "tournament refund"}, user=admin_user, **headers)
    again = api.post_json(url, {"amount": 300, "reason": "tournament refund"}, user=admin_user, **headers)
    assert first.json()["id"] == again.json()["id"]
    assert LedgerEntry.objects.filter(user=user).count() == 1
    too_much = api.post_json(url, {"amount": -301, "reason": "clawback"}, user=admin_user)
    assert (too_much.status_code, too_much.json()["code"]) == (409, "insufficient_xp")
    assert api.post_json(url, {"amount": -300, "reason": "clawback"}, user=admin_user).json()["balance_after"] == 0
    assert api.post_json(url, {"amount": 0, "reason": "nothing"}, user=admin_user).status_code == 422
    assert api.get_json("/api/me", user=user).json()["xp"] == 0


def test_catalog_lists_server_side_prices(api):
    body = api.get_json("/api/payments/catalog").json()
    assert {p["slug"]: p["price"] for p in body["listing_plans"]} == {
        "basic": 29900,
        "featured": 49900,
        "premium": 79900,
    }
    assert {p["slug"]: (p["price"], p["xp"]) for p in body["xp_packs"]} == {
        "xp-100": (9900, 100),
        "xp-275": (24900, 275),
        "xp-600": (49900, 600),
    }


def test_reconcile_command_catches_a_drifted_balance(api, user, admin_user):
    api.post_json(f"/api/admin/users/{user.pk}/xp", {"amount": 40, "reason": "gift"}, user=admin_user)
    call_command("wallet_reconcile")
    Wallet.objects.filter(user=user).update(xp_balance=41)
    with pytest.raises(CommandError, match=str(user.pk)):
        call_command("wallet_reconcile")


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_check_ins_award_once():
    user = UserFactory()
    barrier = threading.Barrier(8)
    statuses = []

    def attempt():
        try:
            client = ApiClient()
            barrier.wait()
            statuses.append(client.post_json("/api/rewards/check-in", user=user).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 7
    assert LedgerEntry.objects.filter(user=user).count() == 1
    assert Wallet.objects.get(user=user).xp_balance == 5
