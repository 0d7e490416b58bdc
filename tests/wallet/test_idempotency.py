"""POST /api/payments under retries and bursts: one open payment and one gateway order per
purchase whatever the concurrency, and the `Idempotency-Key` header with Stripe's semantics.
Razorpay's HTTP API is faked with `responses` (the SDK talks through requests)."""

import threading
from datetime import timedelta

import pytest
import responses
from django.db import connection
from django.utils import timezone

from tests.concurrency import race
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.wallet.test_razorpay import API, order_payload, verify
from wallet.models import IdempotencyRecord, Payment

pytestmark = pytest.mark.django_db
BODY = {"purpose": "xp_pack", "ref": "xp-100", "gateway": "razorpay"}


@pytest.fixture
def rzp(gateways):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, f"{API}/orders", callback=order_payload, content_type="application/json")
        yield mock


def orders(mock) -> int:
    return sum(call.request.url == f"{API}/orders" for call in mock.calls)


def post(api, user, body=BODY, key: str | None = None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post_json("/api/payments", body, user=user, **extra)


def test_the_same_key_and_body_replays_the_first_response(api, user, rzp):
    first = post(api, user, key="buy-7f3a1c9e")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = post(api, user, key="buy-7f3a1c9e")
    assert (again.status_code, again.content) == (201, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert (Payment.objects.count(), orders(rzp)) == (1, 1)
    # Key order and spacing do not make a body different.
    reordered = api.post(
        "/api/payments",
        '{ "gateway": "razorpay",  "ref": "xp-100", "purpose": "xp_pack" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="buy-7f3a1c9e",
        HTTP_AUTHORIZATION=first.request["HTTP_AUTHORIZATION"],
    )
    assert (reordered.status_code, reordered.content) == (201, first.content)

    # The response is the one kept, even after the payment moved on (as Stripe replays it).
    order_id = first.json()["checkout"]["order_id"]
    assert verify(api, user, order_id, "pay_IdemReplay01").json()["state"] == "succeeded"
    replay = post(api, user, key="buy-7f3a1c9e")
    assert replay.json()["state"] == "pending"
    assert replay.content == first.content


def test_the_same_key_with_another_body_is_422_and_creates_nothing(api, user, rzp):
    assert post(api, user, key="buy-00000001").status_code == 201
    other = post(api, user, {**BODY, "ref": "xp-600"}, key="buy-00000001")
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert "different request" in other.json()["detail"]
    assert list(Payment.objects.values_list("ref", flat=True)) == ["xp-100"]
    assert orders(rzp) == 1
    # Keys belong to their user: someone else's identical key is theirs alone.
    stranger = UserFactory()
    mine = post(api, stranger, {**BODY, "ref": "xp-600"}, key="buy-00000001")
    assert mine.status_code == 201
    assert Payment.objects.get(pk=mine.json()["id"]).user == stranger


def test_a_refused_request_is_replayed_but_an_outage_is_not(api, user, gateways):
    unknown = post(api, user, {**BODY, "ref": "xp-9999"}, key="buy-unknown1")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_item")
    replay = post(api, user, {**BODY, "ref": "xp-9999"}, key="buy-unknown1")
    assert (replay.status_code, replay.content, replay["Idempotent-Replayed"]) == (422, unknown.content, "true")

    with responses.RequestsMock() as down:
        down.add(responses.POST, f"{API}/orders", status=503, json={"error": {"code": "SERVER_ERROR"}})
        outage = post(api, user, key="buy-outage01")
    assert (outage.status_code, outage.json()["code"]) == (503, "gateway_unavailable")
    with responses.RequestsMock() as up:
        up.add_callback(responses.POST, f"{API}/orders", callback=order_payload)
        retried = post(api, user, key="buy-outage01")
        assert retried.status_code == 201, "a 503 is not kept: the retry with the same key runs"
        assert "Idempotent-Replayed" not in retried
    assert Payment.objects.get().state == "pending"


def test_keys_are_kept_24_hours_then_purged(api, user, rzp, settings):
    from wallet.tasks import purge_idempotency_keys

    assert post(api, user, key="buy-old-key1").status_code == 201
    assert post(api, user, key="buy-new-key1").status_code == 201
    IdempotencyRecord.objects.filter(key="buy-old-key1").update(created_at=timezone.now() - timedelta(hours=23))
    assert purge_idempotency_keys.delay().get() == 0
    assert post(api, user, {**BODY, "ref": "xp-600"}, key="buy-old-key1").status_code == 422
    IdempotencyRecord.objects.filter(key="buy-old-key1").update(created_at=timezone.now() - timedelta(hours=25))
    # Past 24 hours a key is free again, before and after the purge.
    fresh = post(api, user, {**BODY, "ref": "xp-600"}, key="buy-old-key1")
    assert fresh.status_code == 201
    assert fresh.json()["ref"] == "xp-600"
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys.delay().get() == 2
    assert not IdempotencyRecord.objects.exists()
    assert settings.CELERY_BEAT_SCHEDULE["idempotency-keys-purge"]["task"] == "wallet.tasks.purge_idempotency_keys"


def test_a_key_left_locked_by_a_dead_request_is_taken_over(api, user, rzp):
    """A process killed mid-request leaves its key locked: a retry gets 409 until the lock is
    clearly stale, then runs."""
    from wallet import idempotency

    fingerprint = idempotency.request_fingerprint(method="POST", path="/api/payments", body=BODY)
    idempotency._claim(user_id=user.pk, key="buy-crashed1", fingerprint=fingerprint)  # the request that died
    busy = post(api, user, key="buy-crashed1")
    assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_key_in_use")
    IdempotencyRecord.objects.update(locked_at=timezone.now() - timedelta(minutes=5))
    taken = post(api, user, key="buy-crashed1")
    assert taken.status_code == 201
    assert (Payment.objects.count(), orders(rzp)) == (1, 1)


def test_the_header_is_documented_in_the_openapi_operation(api):
    operation = api.get("/api/openapi.json").json()["paths"]["/api/payments"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert (header["in"], header["required"]) == ("header", False)
    assert "idempotency_key_reused" in header["description"]
    assert "Idempotency-Key" in operation["description"]
    assert {"409", "422"} <= set(operation["responses"])


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_requests_make_one_payment_and_one_order(rzp):
    user = UserFactory()
    answers = race([lambda client: post(client, user)] * 20)
    assert [a.status_code for a in answers] == [201] * 20, [a.content for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.json()["checkout"]["order_id"] for a in answers}) == 1
    assert Payment.objects.filter(state__in=["created", "pending"]).count() == 1
    assert orders(rzp) == 1


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_with_one_key_run_once(gateways):
    """The first request is held inside Razorpay's order call until the 19 others have answered:
    they must not run too (409, as Stripe answers a concurrent request with the same key)."""
    user = UserFactory()
    answered, others_done = [], threading.Event()

    def one_answered():
        answered.append(1)
        if len(answered) >= 19:
            others_done.set()

    def slow_order(request):
        others_done.wait(timeout=60)  # bounded, so a regression fails instead of hanging
        return order_payload(request)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, f"{API}/orders", callback=slow_order, content_type="application/json")
        answers = race([lambda client: post(client, user, key="burst-key-1")] * 20, on_each=one_answered)
        assert orders(mock) == 1
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 19, codes
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"idempotency_key_in_use"}
    assert Payment.objects.filter(state__in=["created", "pending"]).count() == 1
    created = next(a for a in answers if a.status_code == 201)
    replay = post(ApiClient(), user, key="burst-key-1")
    assert (replay.status_code, replay.content) == (201, created.content)


@pytest.mark.django_db(transaction=True)
def test_the_migration_expires_duplicate_open_payments_left_by_the_race():
    """Before `one_open_payment` is added, the duplicates the race already created are expired
    (the newest stays open), so the constraint can be created on a production database."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("wallet", "0005_reconcile_marks")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("accounts", "User").objects.create(username="racer", email="racer@example.com")
    OldPayment = old.get_model("wallet", "Payment")
    fields = {"user_id": user.pk, "purpose": "xp_pack", "gateway": "razorpay", "state": "pending"}
    duplicates = [OldPayment.objects.create(ref="xp-100", amount=9900, **fields).pk for _ in range(3)]
    single = OldPayment.objects.create(ref="xp-600", amount=49900, **fields).pk
    paid = OldPayment.objects.create(**{**fields, "state": "succeeded"}, ref="xp-100", amount=9900).pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    states = dict(Payment.objects.values_list("pk", "state"))
    assert [states[pk] for pk in duplicates] == ["expired", "expired", "pending"]
    assert (states[single], states[paid]) == ("pending", "succeeded")
    assert Payment.objects.get(pk=duplicates[0]).payloads[-1]["reason"] == "duplicate open payment"
