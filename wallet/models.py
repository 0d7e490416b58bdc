from django.conf import settings
from django.db import models


class Wallet(models.Model):
    """A user's XP account row: the balance the ledger keeps in step (wallet issue)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wallet")
    xp_balance = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(default=0)
    streak_freezes = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["-xp_balance"], name="wallet_xp_desc")]

    def __str__(self) -> str:
        return f"{self.user} · {self.xp_balance} XP"
