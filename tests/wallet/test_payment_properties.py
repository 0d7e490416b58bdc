"""XP and money together, driven by a Hypothesis state machine through the real services:
credits, debits (spending), check-ins, XP pack purchases through the sandbox gateway's signed
callbacks (duplicates and late failures included) and full or partial refunds (retries
included). Invariants after every step: balance = sum of ledger entries, never negative;
for every payment refunded ≤ paid and equal to its processed refunds; a pack never takes
back more XP than it gave."""

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import TestCase
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from arena.exceptions import ApplicationError
from tests.factories import UserFactory
from wallet import catalog, payments, refunds, services
from wallet.models import LedgerEntry, Payment, Refund, Wallet

START = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
_serial = itertools.count()


def _key(prefix: str) -> str:
    return f"{prefix}-{next(_serial):06d}"


def _committed(call):
    """Run `call` and then its on-commit work (the webhook's task, the refund submission), as a
    commit would; the example's savepoint never commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call()


def _callback(payment: Payment, outcome: str) -> None:
    body = payments.sandbox_callback_body(payment=payment, outcome=outcome)
    headers = {"X-Sandbox-Signature": payments.sandbox_signature(body)}
    _committed(lambda: payments.webhook_receive(gateway="sandbox", body=body, headers=headers))
    return body, headers


class PaymentsMachine(RuleBasedStateMachine):
    paid = Bundle("paid")

    @initialize()
    def fresh_user(self):
        self.example = transaction.atomic()
        self.example.__enter__()
        self.user = UserFactory()
        self.admin = UserFactory(role="admin", is_staff=True)
        self.balance = 0
        self.now = START
        self.refunded: dict[int, int] = {}  # payment id → paise refunded (model)
        self.taken_back: dict[int, int] = {}  # payment id → XP taken back (model)
        self.refund_keys: dict[str, int] = {}  # idempotency key → refund id

    def _refused(self, call, *codes: str) -> bool:
        before = (Wallet.objects.filter(user=self.user).values_list("xp_balance").first(), LedgerEntry.objects.count())
        refunds_before = Refund.objects.count()
        try:
            call()
        except ApplicationError as error:
            refused = error.code
        else:
            return False
        assert refused in codes, refused
        event(f"refused: {refused}")
        after = Wallet.objects.filter(user=self.user).values_list("xp_balance").first(), LedgerEntry.objects.count()
        assert after == before
        assert Refund.objects.count() == refunds_before
        return True

    @rule(amount=st.integers(1, 400))
    def credit(self, amount):
        services.xp_credit(
            user_id=self.user.pk, amount=amount, source_kind="admin_adjustment", idempotency_key=_key("c")
        )
        self.balance += amount

    @rule(amount=st.integers(1, 400))
    def spend(self, amount):
        def call():
            services.xp_debit(
                user_id=self.user.pk, amount=amount, source_kind="freeze_purchase", idempotency_key=_key("d")
            )

        if not self._refused(call, "insufficient_xp"):
            self.balance -= amount

    @rule()
    def check_in(self):
        self.now += timedelta(days=1)
        with time_machine.travel(self.now, tick=False):
            _, entry = services.check_in_perform(user=self.user)
        self.balance += entry.amount

    @rule(target=paid, pack=st.sampled_from(sorted(catalog.XP_PACKS)), duplicate=st.booleans(), late_fail=st.booleans())
    def buy(self, pack, duplicate, late_fail):
        payment = payments.payment_create(user=self.user, purpose="xp_pack", ref=pack)
        body, headers = _callback(payment, "succeed")
        if duplicate:
            _committed(lambda: payments.webhook_receive(gateway="sandbox", body=body, headers=headers))
        if late_fail:
            _callback(payment, "fail")
        payment.refresh_from_db()
        assert payment.state == "succeeded"
        self.balance += catalog.XP_PACKS[pack].xp
        self.refunded[payment.pk] = 0
        self.taken_back[payment.pk] = 0
        return payment.pk

    @rule(payment_id=paid, share=st.integers(1, 100), full=st.booleans(), retry=st.booleans())
    def refund(self, payment_id, share, full, retry):
        payment = Payment.objects.get(pk=payment_id)
        remaining = payment.amount - self.refunded[payment_id]
        amount = None if full else max(1, payment.amount * share // 100)
        key = _key("r")

        def call():
            return _committed(
                lambda: refunds.payment_refund(
                    payment_id=payment_id, actor=self.admin, idempotency_key=key, amount=amount
                )
            )

        pack_xp = catalog.XP_PACKS[payment.ref].xp
        wanted = remaining if amount is None else amount
        xp = math.ceil(pack_xp * (self.refunded[payment_id] + wanted) / payment.amount) - self.taken_back[payment_id]
        if remaining == 0:
            assert self._refused(call, "not_refundable", "already_refunded")
            return
        if wanted > remaining:
            assert self._refused(call, "refund_too_large")
            return
        if xp > self.balance:
            assert self._refused(call, "xp_already_spent")
            return
        made = call()
        made.refresh_from_db()
        assert (made.state, made.amount, made.xp_debited) == ("processed", wanted, xp)
        self.refunded[payment_id] += wanted
        self.taken_back[payment_id] += xp
        self.balance -= xp
        self.refund_keys[key] = made.pk
        if retry:
            assert call().pk == made.pk
            event("refund: retried")

    @invariant()
    def balance_is_the_sum_of_the_ledger_and_never_negative(self):
        if not hasattr(self, "user"):
            return
        wallet = Wallet.objects.filter(user=self.user).first()
        balance = wallet.xp_balance if wallet else 0
        assert balance == sum(LedgerEntry.objects.filter(user=self.user).values_list("amount", flat=True))
        assert balance == self.balance >= 0

    @invariant()
    def refunds_never_exceed_what_was_paid(self):
        if not hasattr(self, "user"):
            return
        for payment in Payment.objects.filter(user=self.user).prefetch_related("refunds"):
            processed = sum(r.amount for r in payment.refunds.all() if r.state == "processed")
            assert payment.amount_refunded == processed == self.refunded[payment.pk] <= payment.amount
            expected = {0: "succeeded", payment.amount: "refunded"}.get(processed, "partially_refunded")
            assert payment.state == expected
            assert sum(r.xp_debited for r in payment.refunds.all()) == self.taken_back[payment.pk]
            assert self.taken_back[payment.pk] <= catalog.XP_PACKS[payment.ref].xp
            credited = LedgerEntry.objects.filter(source_kind="xp_pack", source_id=str(payment.pk))
            assert credited.count() == 1, "a pack is credited exactly once"

    def teardown(self):
        if hasattr(self, "example"):
            transaction.set_rollback(True)
            self.example.__exit__(None, None, None)


@pytest.mark.django_db
def test_payments_state_machine():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        PaymentsMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
