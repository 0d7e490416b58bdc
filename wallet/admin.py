from django.contrib import admin

from wallet.models import LedgerEntry, Payment, PaymentEvent, Refund, Wallet


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("user", "xp_balance", "streak", "streak_freezes", "updated_at")
    search_fields = ("user__username", "user__email")
    ordering = ("-xp_balance",)
    raw_id_fields = ("user",)
    # Balances move only through the wallet services, never by hand.
    readonly_fields = ("xp_balance", "streak", "streak_freezes", "updated_at")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money and XP rows change only through the wallet services (API, webhooks, reconciler),
    so the admin shows them but never edits them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "amount", "source_kind", "source_id", "balance_after", "reason")
    list_filter = ("source_kind",)
    search_fields = ("user__username", "user__email", "idempotency_key", "source_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)


class ReconcileFailingFilter(admin.SimpleListFilter):
    """Rows the reconciler could not settle on its last attempt (see `reconcile_error`)."""

    title = "reconciler"
    parameter_name = "reconcile"

    def lookups(self, request, model_admin):
        return [("failing", "failing")]

    def queryset(self, request, queryset):
        return queryset.filter(reconcile_failures__gt=0) if self.value() == "failing" else queryset


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = (
        "created_at", "amount", "state", "reason", "gateway_refund_id", "xp_debited", "failure_reason",
        "reconcile_failures", "reconcile_error",
    )  # fmt: skip
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "user",
        "purpose",
        "ref",
        "amount_display",
        "gateway",
        "state",
        "amount_refunded",
        "reconcile_failures",
    )
    list_filter = ("state", "gateway", "purpose", ReconcileFailingFilter)
    search_fields = ("=id", "user__username", "user__email", "gateway_order_id", "gateway_payment_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    inlines = [RefundInline]
    actions = ["reconcile_now"]

    @admin.action(description="Ask the gateway about the selected open payments now")
    def reconcile_now(self, request, queryset):
        from arena.exceptions import ApplicationError
        from wallet.payments import OPEN, payment_check

        for payment in queryset.filter(state__in=OPEN):
            try:
                payment_check(payment_id=payment.pk)
            except ApplicationError as error:  # the gateway is down, or refuses this order
                self.message_user(request, f"Payment {payment.pk}: {error}", level="warning")


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "gateway", "event_id", "payment", "processed_at", "reconcile_failures")
    list_filter = ("gateway", ReconcileFailingFilter)
    search_fields = ("event_id",)
    raw_id_fields = ("payment",)
