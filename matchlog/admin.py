from django.contrib import admin

from matchlog.models import MatchRecord, MatchScreenshot

OCR_FIELDS = ("status", "failure_reason", "extracted_data", "confidence", "ocr_text", "extracted_at", "confirmed_at")


@admin.register(MatchScreenshot)
class MatchScreenshotAdmin(admin.ModelAdmin):
    list_display = ("id", "match", "status", "uploaded_by", "created_at", "confirmed_at")
    list_filter = ("status",)
    search_fields = ("match__tournament__title", "uploaded_by__username")
    raw_id_fields = ("match", "uploaded_by", "confirmed_by")
    readonly_fields = (*OCR_FIELDS, "created_at", "updated_at")


@admin.register(MatchRecord)
class MatchRecordAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "opponent_name",
        "score_user",
        "score_opponent",
        "status",
        "share_status",
        "created_at",
    )
    list_filter = ("status", "share_status")
    search_fields = ("owner__username", "opponent_name", "opponent__username")
    raw_id_fields = ("owner", "opponent")
    readonly_fields = (*OCR_FIELDS, "shared_at", "share_answered_at", "created_at", "updated_at")
