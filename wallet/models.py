from django.conf import settings
from django.db import models


class Wallet(models.Model):
    """A user's XP account row. Only wallet.services changes it, under a row lock, together
    with the LedgerEntry that explains the change."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet")
    xp_balance = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(default=0)
    streak_freezes = models.PositiveSmallIntegerField(default=0)
    last_check_in = models.DateField(null=True, blank=True, help_text="in the user's time zone")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-xp_balance"], name="wallet_xp_desc")]
        constraints = [models.CheckConstraint(condition=models.Q(xp_balance__gte=0), name="xp_never_negative")]

    def __str__(self) -> str:
        return f"{self.user} · {self.xp_balance} XP"


class LedgerEntry(models.Model):
    """One XP movement. Append-only: rows are never updated or deleted."""

    class Source(models.TextChoices):
        CHECK_IN = "check_in"
        XP_PACK = "xp_pack"
        TOURNAMENT_PRIZE = "tournament_prize"
        FREEZE_PURCHASE = "freeze_purchase"
        ADMIN_ADJUSTMENT = "admin_adjustment"
        REFUND = "refund"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_entries")
    amount = models.IntegerField()
    source_kind = models.CharField(max_length=20, choices=Source.choices)
    source_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=150, unique=True)
    reason = models.CharField(max_length=300, blank=True)
    balance_after = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.amount:+d} XP ({self.source_kind})"
