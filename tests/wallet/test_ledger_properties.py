"""The XP ledger driven at the service edge (wallet.services) by a Hypothesis state machine, against a model.

Every step goes through the real services (xp_credit, xp_debit, xp_admin_adjust, check_in_perform,
streak_freeze_buy) on the real database; nothing of ours is mocked. The machine keeps its own model of the
balance, the streak (via the reference in tests/wallet/test_streaks.py) and every idempotency key it has used,
and after every step checks that the wallet row, the ledger rows and the model all agree.
"""

import io
import itertools
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from arena.exceptions import Conflict, Invalid
from tests.factories import UserFactory
from tests.wallet.test_streaks import RefState, outcome_of, ref_check_in
from wallet import catalog, services
from wallet.models import LedgerEntry, Wallet

fast = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Noon UTC: whole-day jumps move the local date by exactly one day in every zone below, DST included.
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TIMEZONES = ["UTC", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
FREEZE_PRICE = catalog.STREAK_FREEZE_PRICE_XP
MAX_FREEZES = 2

amounts = st.integers(1, 500)
# Examples share one test transaction, so every key made up here carries a process-wide counter.
_serial = itertools.count()


def _fresh(prefix: str) -> str:
    return f"test-{prefix}-{next(_serial)}"


def _reconcile() -> str:
    out = io.StringIO()
    call_command("wallet_reconcile", stdout=out)
    return out.getvalue()


class LedgerMachine(RuleBasedStateMachine):
    @initialize(tz=st.sampled_from(TIMEZONES))
    def fresh_user(self, tz):
        # Each example runs in its own savepoint, rolled back in teardown: a clean ledger for every example (and
        # wallet_reconcile, which scans every wallet, stays cheap however many examples shrinking tries).
        self.example = transaction.atomic()
        self.example.__enter__()
        self.user = UserFactory(timezone=tz)
        self.admin = UserFactory(role="admin", is_staff=True)
        self.zone = zoneinfo.ZoneInfo(tz)
        self.now = START
        self.balance = 0
        self.streak = RefState()
        self.entries: dict[str, tuple[int, int]] = {}  # idempotency key → (signed amount, entry id)
        self.freeze_requests: list[str] = []

    # --- helpers ---------------------------------------------------------------------

    def snapshot(self):
        wallet = Wallet.objects.filter(user=self.user).values_list(
            "xp_balance", "streak", "streak_freezes", "last_check_in"
        )
        rows = LedgerEntry.objects.filter(user=self.user).order_by("id").values_list("id", "amount", "balance_after")
        return list(wallet), list(rows), LedgerEntry.objects.count()

    def record(self, key: str, signed: int, entry: LedgerEntry, source_kind: str) -> None:
        assert key not in self.entries
        assert (entry.idempotency_key, entry.user_id, entry.amount) == (key, self.user.pk, signed)
        assert entry.source_kind == source_kind
        self.balance += signed
        assert entry.balance_after == self.balance
        self.entries[key] = (signed, entry.pk)

    def expect_conflict(self, code: str, call) -> None:
        """The call is refused with `code` and leaves every wallet and ledger row as it was."""
        before = self.snapshot()
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == code
        event(f"refused: {code}")
        assert self.snapshot() == before

    def replay(self, key: str) -> None:
        signed, entry_id = self.entries[key]
        move = services.xp_credit if signed > 0 else services.xp_debit
        before = self.snapshot()
        again = move(user_id=self.user.pk, amount=abs(signed), source_kind="refund", idempotency_key=key)
        assert again.pk == entry_id
        assert again.amount == signed
        assert self.snapshot() == before

    # --- rules -----------------------------------------------------------------------

    @rule(amount=amounts, reuse=st.booleans(), same_amount=st.booleans(), data=st.data())
    def credit(self, amount, reuse, same_amount, data):
        key = data.draw(st.sampled_from(sorted(self.entries))) if reuse and self.entries else _fresh("credit")
        if key in self.entries and same_amount and self.entries[key][0] > 0:
            amount = self.entries[key][0]

        def call():
            return services.xp_credit(
                user_id=self.user.pk, amount=amount, source_kind=LedgerEntry.Source.XP_PACK, idempotency_key=key
            )

        if key not in self.entries:
            self.record(key, amount, call(), LedgerEntry.Source.XP_PACK)
        elif self.entries[key][0] == amount:  # a retry: the first movement's row, and nothing moves again
            before = self.snapshot()
            assert call().pk == self.entries[key][1]
            event("credit: replayed key")
            assert self.snapshot() == before
        else:
            self.expect_conflict("idempotency_mismatch", call)

    @rule(amount=amounts)
    def debit(self, amount):
        key = _fresh("debit")

        def call():
            return services.xp_debit(
                user_id=self.user.pk, amount=amount, source_kind=LedgerEntry.Source.REFUND, idempotency_key=key
            )

        if amount > self.balance:
            self.expect_conflict("insufficient_xp", call)
        else:
            self.record(key, -amount, call(), LedgerEntry.Source.REFUND)

    @rule(days=st.sampled_from([0, 1, 1, 1, 2, 2, 3]))
    def check_in(self, days):
        """Advance the clock 0..3 days (weighted to streak-continuing gaps) and check in."""
        self.check_in_after(days)

    @rule(run=st.integers(2, 8))
    def check_in_daily(self, run):
        """A run of daily check-ins, so that 7th days (and the freezes they earn) are reached within a few steps."""
        for _ in range(run):
            self.check_in_after(1)

    def check_in_after(self, days: int) -> None:
        self.now += timedelta(days=days)
        today = self.now.astimezone(self.zone).date()
        expected = ref_check_in(self.streak, today)
        with time_machine.travel(self.now, tick=False):
            if expected is None:
                self.expect_conflict("already_checked_in", lambda: services.check_in_perform(user=self.user))
                return
            result, entry = services.check_in_perform(user=self.user)
        assert outcome_of(result) == expected
        event("check-in: " + ("freeze used" if result.freeze_used else "reset" if result.reset else "counted"))
        self.record(f"check_in:{self.user.pk}:{today.isoformat()}", expected.xp, entry, LedgerEntry.Source.CHECK_IN)
        self.streak = expected.state

    @rule(reuse=st.booleans(), data=st.data())
    def buy_freeze(self, reuse, data):
        if reuse and self.freeze_requests:
            request_id = data.draw(st.sampled_from(self.freeze_requests))
        else:
            request_id = _fresh("freeze")
            self.freeze_requests.append(request_id)
        key = f"freeze:{self.user.pk}:{request_id}"

        def call():
            return services.streak_freeze_buy(user=self.user, request_id=request_id)

        if key in self.entries:  # a retry of a purchase that went through: nothing happens again
            before = self.snapshot()
            assert call().streak_freezes == self.streak.freezes
            assert self.snapshot() == before
        elif self.streak.freezes >= MAX_FREEZES:
            self.expect_conflict("max_freezes", call)
        elif self.balance < FREEZE_PRICE:
            self.expect_conflict("insufficient_xp", call)
        else:
            wallet = call()
            event("freeze bought")
            self.streak = RefState(self.streak.streak, self.streak.freezes + 1, self.streak.last)
            assert wallet.streak_freezes == self.streak.freezes
            entry = LedgerEntry.objects.get(idempotency_key=key)
            self.record(key, -FREEZE_PRICE, entry, LedgerEntry.Source.FREEZE_PURCHASE)

    @rule(amount=st.integers(-500, 500))
    def admin_adjust(self, amount):
        request_id = _fresh("admin")

        def call():
            return services.xp_admin_adjust(
                user_id=self.user.pk, amount=amount, reason="test", admin_id=self.admin.pk, request_id=request_id
            )

        if amount == 0:
            before = self.snapshot()
            with pytest.raises(Invalid):
                call()
            assert self.snapshot() == before
        elif self.balance + amount < 0:
            self.expect_conflict("insufficient_xp", call)
        else:
            entry = call()
            assert (entry.source_id, entry.reason) == (str(self.admin.pk), "test")
            self.record(f"admin:{request_id}", amount, entry, LedgerEntry.Source.ADMIN_ADJUSTMENT)

    @rule(data=st.data())
    def replay_any_key(self, data):
        if self.entries:
            self.replay(data.draw(st.sampled_from(sorted(self.entries))))

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def balance_is_the_sum_of_the_ledger(self):
        wallet = Wallet.objects.filter(user=self.user).first()
        balance = wallet.xp_balance if wallet else 0
        rows = LedgerEntry.objects.filter(user=self.user).order_by("id")
        assert balance == sum(row.amount for row in rows) == self.balance
        assert balance >= 0
        assert {row.idempotency_key: row.amount for row in rows} == {k: s for k, (s, _) in self.entries.items()}

    @invariant()
    def every_row_carries_its_running_balance(self):
        running = 0
        for amount, balance_after in (
            LedgerEntry.objects.filter(user=self.user).order_by("id").values_list("amount", "balance_after")
        ):
            running += amount
            assert running >= 0
            assert balance_after == running

    @invariant()
    def streak_fields_match_the_model(self):
        wallet = Wallet.objects.filter(user=self.user).first()
        stored = (wallet.streak, wallet.streak_freezes, wallet.last_check_in) if wallet else (0, 0, None)
        assert stored == (self.streak.streak, self.streak.freezes, self.streak.last)

    @invariant()
    def replaying_the_latest_key_changes_nothing(self):
        if self.entries:
            self.replay(next(reversed(self.entries)))

    def teardown(self):
        if not hasattr(self, "example"):
            return
        try:
            assert "match their ledgers" in _reconcile()
        finally:
            transaction.set_rollback(True)
            self.example.__exit__(None, None, None)


@pytest.mark.django_db
def test_ledger_state_machine():
    run_state_machine_as_test(LedgerMachine, settings=fast)


# --- wallet_reconcile ------------------------------------------------------------------

activity = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["credit", "debit", "check_in", "freeze"]), amounts), max_size=20
)


def _act(user, kind: str, amount: int, now: datetime) -> None:
    try:
        if kind == "credit":
            services.xp_credit(
                user_id=user.pk, amount=amount, source_kind=LedgerEntry.Source.XP_PACK, idempotency_key=_fresh("rc")
            )
        elif kind == "debit":
            services.xp_debit(
                user_id=user.pk, amount=amount, source_kind=LedgerEntry.Source.REFUND, idempotency_key=_fresh("rd")
            )
        elif kind == "check_in":
            with time_machine.travel(now, tick=False):
                services.check_in_perform(user=user)
        else:
            services.streak_freeze_buy(user=user, request_id=_fresh("rf"))
    except Conflict:
        pass  # refused movements are part of random activity too


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=activity, victim=st.integers(0, 2), data=st.data())
def test_wallet_reconcile_after_random_activity_and_after_corruption(steps, victim, data):
    users = [UserFactory() for _ in range(3)]
    for index, (who, kind, amount) in enumerate(steps):
        _act(users[who], kind, amount, START + timedelta(days=index))
    assert "match their ledgers" in _reconcile()

    target = users[victim]
    Wallet.objects.bulk_create([Wallet(user=target)], ignore_conflicts=True)  # the victim may never have moved XP
    honest = Wallet.objects.get(user=target).xp_balance
    drawn = data.draw(st.integers(0, 10**6), label="corrupted balance")
    wrong = drawn if drawn < honest else drawn + 1  # anything but the honest balance
    Wallet.objects.filter(user=target).update(xp_balance=wrong)
    with pytest.raises(CommandError, match=rf"1 wallet\(s\) disagree with their ledger: users \[{target.pk}\]"):
        _reconcile()

    # Later examples share this transaction: put it right, and the check passes again.
    Wallet.objects.filter(user=target).update(xp_balance=honest)
    assert "match their ledgers" in _reconcile()


@pytest.mark.django_db
def test_wallet_reconcile_flags_ledger_entries_without_a_wallet():
    user = UserFactory()
    services.xp_credit(user_id=user.pk, amount=50, source_kind=LedgerEntry.Source.XP_PACK, idempotency_key="orphan")
    assert "match their ledgers" in _reconcile()
    Wallet.objects.filter(user=user).delete()
    with pytest.raises(CommandError, match=rf"users \[{user.pk}\]"):
        _reconcile()
