from django.contrib import admin

from wallet.models import Wallet


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("user", "xp_balance", "streak", "streak_freezes", "updated_at")
    search_fields = ("user__username", "user__email")
    ordering = ("-xp_balance",)
    raw_id_fields = ("user",)
    # Balances move only through the wallet services, never by hand.
    readonly_fields = ("xp_balance", "streak", "streak_freezes", "updated_at")
