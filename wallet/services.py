"""The only way XP moves: xp_credit and xp_debit, each a ledger row plus the balance it
leaves, written under the wallet's row lock in one transaction."""

from django.db import transaction

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound
from wallet import catalog, streaks
from wallet.models import LedgerEntry, Wallet
from wallet.selectors import local_today


def _wallet_locked(user_id: int) -> Wallet:
    # Create the row if needed without racing: a concurrent creator simply wins.
    Wallet.objects.bulk_create([Wallet(user_id=user_id)], ignore_conflicts=True)
    return Wallet.objects.select_for_update().get(user_id=user_id)


def _move(
    *, user_id: int, amount: int, source_kind: str, source_id: str, idempotency_key: str, reason: str
) -> LedgerEntry:
    if amount == 0:
        raise Invalid("An XP movement cannot be zero.", code="zero_amount")
    wallet = _wallet_locked(user_id)
    # Checked under the lock: a retried or concurrent duplicate sees the first one's row.
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.user_id, existing.amount) != (user_id, amount):
            raise Conflict("This idempotency key was used for a different movement.", code="idempotency_mismatch")
        return existing
    if wallet.xp_balance + amount < 0:
        raise Conflict(f"Not enough XP: {wallet.xp_balance} available, {-amount} needed.", code="insufficient_xp")
    wallet.xp_balance += amount
    wallet.save(update_fields=["xp_balance", "updated_at"])
    return LedgerEntry.objects.create(
        user_id=user_id,
        amount=amount,
        source_kind=source_kind,
        source_id=str(source_id),
        idempotency_key=idempotency_key,
        reason=reason,
        balance_after=wallet.xp_balance,
    )


@transaction.atomic
def xp_credit(
    *, user_id: int, amount: int, source_kind: str, source_id: str | int = "", idempotency_key: str, reason: str = ""
) -> LedgerEntry:
    if amount <= 0:
        raise Invalid("A credit must be positive.", code="invalid_amount")
    return _move(
        user_id=user_id, amount=amount, source_kind=source_kind, source_id=str(source_id),
        idempotency_key=idempotency_key, reason=reason,
    )  # fmt: skip


@transaction.atomic
def xp_debit(
    *, user_id: int, amount: int, source_kind: str, source_id: str | int = "", idempotency_key: str, reason: str = ""
) -> LedgerEntry:
    if amount <= 0:
        raise Invalid("A debit must be positive.", code="invalid_amount")
    return _move(
        user_id=user_id, amount=-amount, source_kind=source_kind, source_id=str(source_id),
        idempotency_key=idempotency_key, reason=reason,
    )  # fmt: skip


@transaction.atomic
def xp_admin_adjust(*, user_id: int, amount: int, reason: str, admin_id: int, request_id: str) -> LedgerEntry:
    """An admin's correction, with a reason; `request_id` makes a retried request harmless."""
    if not User.objects.filter(pk=user_id).exists():
        # A wallet for a missing user would only fail at COMMIT, on its foreign key.
        raise NotFound("No such user.")
    move = xp_credit if amount > 0 else xp_debit
    return move(
        user_id=user_id, amount=abs(amount), source_kind=LedgerEntry.Source.ADMIN_ADJUSTMENT, source_id=admin_id,
        idempotency_key=f"admin:{request_id}", reason=reason,
    )  # fmt: skip


@transaction.atomic
def check_in_perform(*, user) -> tuple[streaks.CheckInResult, LedgerEntry]:
    wallet = _wallet_locked(user.pk)
    today = local_today(user)
    state = streaks.StreakState(streak=wallet.streak, freezes=wallet.streak_freezes, last_check_in=wallet.last_check_in)
    try:
        result = streaks.check_in(state, today)
    except streaks.AlreadyCheckedIn:
        raise Conflict(
            f"You already checked in today ({today.isoformat()}, {user.timezone}).", code="already_checked_in"
        ) from None
    wallet.streak = result.state.streak
    wallet.streak_freezes = result.state.freezes
    wallet.last_check_in = result.state.last_check_in
    wallet.save(update_fields=["streak", "streak_freezes", "last_check_in", "updated_at"])
    entry = xp_credit(
        user_id=user.pk,
        amount=result.xp,
        source_kind=LedgerEntry.Source.CHECK_IN,
        source_id=today.isoformat(),
        idempotency_key=f"check_in:{user.pk}:{today.isoformat()}",
        reason=f"Day {result.state.streak} of your streak",
    )
    return result, entry


@transaction.atomic
def streak_freeze_buy(*, user, request_id: str) -> Wallet:
    wallet = _wallet_locked(user.pk)
    key = f"freeze:{user.pk}:{request_id}"
    if LedgerEntry.objects.filter(idempotency_key=key).exists():
        return wallet  # a retry of a purchase that already went through
    if wallet.streak_freezes >= streaks.MAX_FREEZES:
        raise Conflict(f"You already hold the maximum of {streaks.MAX_FREEZES} freezes.", code="max_freezes")
    xp_debit(
        user_id=user.pk,
        amount=catalog.STREAK_FREEZE_PRICE_XP,
        source_kind=LedgerEntry.Source.FREEZE_PURCHASE,
        idempotency_key=key,
        reason="Streak freeze",
    )
    wallet.refresh_from_db()
    wallet.streak_freezes += 1
    wallet.save(update_fields=["streak_freezes", "updated_at"])
    return wallet


@transaction.atomic
def tournament_prizes_award(*, tournament_id: int, placings: list[tuple[int, list[int]]]) -> list[LedgerEntry]:
    """XP for the podium's rostered players: placings = [(place, [user ids]), ...]."""
    entries = []
    for place, user_ids in placings:
        amount = catalog.TOURNAMENT_PRIZE_XP.get(place)
        if not amount:
            continue
        for user_id in user_ids:
            entries.append(
                xp_credit(
                    user_id=user_id,
                    amount=amount,
                    source_kind=LedgerEntry.Source.TOURNAMENT_PRIZE,
                    source_id=tournament_id,
                    idempotency_key=f"prize:{tournament_id}:{user_id}",
                    reason=f"Place {place}",
                )
            )
    return entries
