import zoneinfo
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from arena.exceptions import NotFound
from wallet import access, streaks
from wallet.models import LedgerEntry, Payment, Wallet


def local_today(user) -> date:
    """Today in the user's profile time zone: check-ins count local days."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(user.timezone or "UTC")).date()


def wallet_summary(*, user) -> dict:
    wallet = Wallet.objects.filter(user=user).first() or Wallet(user=user)
    today = local_today(user)
    checked_in_today = wallet.last_check_in == today
    if checked_in_today:
        next_xp = None
    else:
        try:
            state = streaks.StreakState(wallet.streak, wallet.streak_freezes, wallet.last_check_in)
            next_xp = streaks.check_in(state, today).xp
        except streaks.AlreadyCheckedIn:
            next_xp = None
    return {
        "xp": wallet.xp_balance,
        "streak": wallet.streak,
        "streak_freezes": wallet.streak_freezes,
        "last_check_in": wallet.last_check_in,
        "checked_in_today": checked_in_today,
        "next_check_in_xp": next_xp,
    }


def ledger_list(*, user) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(user=user)


def payment_list(*, user) -> QuerySet[Payment]:
    return access.visible_payments(user=user)


def payment_get(*, user, payment_id: int) -> Payment:
    payment = payment_list(user=user).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No such payment.")
    return payment
