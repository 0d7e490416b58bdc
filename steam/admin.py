from django.contrib import admin

from steam.models import DotaMatchLink, SteamAccount


@admin.register(SteamAccount)
class SteamAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "steam_id", "persona_name", "summary_fetched_at", "linked_at")
    search_fields = ("user__username", "user__email", "=steam_id", "persona_name")
    raw_id_fields = ("user",)
    # Summaries come from Steam; a link is made by the player, through the API.
    readonly_fields = ("persona_name", "avatar_url", "profile_url", "visibility", "summary_fetched_at", "linked_at")


@admin.register(DotaMatchLink)
class DotaMatchLinkAdmin(admin.ModelAdmin):
    list_display = ("match", "dota_match_id", "status", "reason", "imported_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("=dota_match_id", "=match__id")
    raw_id_fields = ("match", "requested_by", "radiant_team", "dire_team")
    readonly_fields = (
        "status", "reason", "note", "radiant_team", "dire_team", "radiant_win", "radiant_kills", "dire_kills",
        "dota_started_at", "dota_duration", "imported_at", "created_at", "updated_at",
    )  # fmt: skip
