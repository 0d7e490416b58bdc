from django.contrib import admin

from webhooks.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("id", "tournament", "kind", "url", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("tournament",)
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "subscription", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
