"""Result screenshots read by OCR: a host's tournament-match screenshots and players' personal match log."""

from django.conf import settings
from django.db import models

from accounts.models import private_storage


class OcrStatus(models.TextChoices):
    PROCESSING = "processing"
    EXTRACTED = "extracted"
    FAILED = "failed"
    CONFIRMED = "confirmed"


class ScreenshotDocument(models.Model):
    """A stored screenshot and what OCR read from it: `processing` → `extracted` (or `failed`
    with a reason), then `confirmed` once its owner accepts (possibly edited) results."""

    status = models.CharField(max_length=12, choices=OcrStatus.choices, default=OcrStatus.PROCESSING)
    failure_reason = models.CharField(max_length=300, blank=True)
    # Structured results as proposed by OCR; see matchlog/parsing/ (battle_royale.py, score_screen.py) for the shapes.
    extracted_data = models.JSONField(default=dict, blank=True)
    # The same shape as extracted_data, with a 0..1 confidence per field.
    confidence = models.JSONField(default=dict, blank=True)
    ocr_text = models.TextField(blank=True, help_text="the raw text the OCR engine read, for review")
    extracted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class MatchScreenshot(ScreenshotDocument):
    """A host's screenshot of a tournament match's results; confirming it posts the results
    through the competitions results service."""

    match = models.ForeignKey("competitions.Match", on_delete=models.CASCADE, related_name="screenshots")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    image = models.FileField(upload_to="match-screenshots/", storage=private_storage)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["match", "-created_at"])]

    def __str__(self) -> str:
        return f"screenshot {self.pk} of match {self.match_id} ({self.status})"


class MatchRecord(ScreenshotDocument):
    """One match in a player's personal log (eFootball style: goals and stats), optionally
    shared with the opponent, who confirms or disputes it."""

    class ShareStatus(models.TextChoices):
        NONE = "none"
        PENDING = "pending"
        CONFIRMED = "confirmed"
        DISPUTED = "disputed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_records")
    opponent_name = models.CharField(max_length=60)
    # The opponent's account, once the record is shared with them.
    opponent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="shared_match_records"
    )
    screenshot = models.FileField(upload_to="match-log/", storage=private_storage)
    score_user = models.PositiveSmallIntegerField(null=True, blank=True)
    score_opponent = models.PositiveSmallIntegerField(null=True, blank=True)
    # {"possession": {"user": 55, "opponent": 45}, "shots": {...}, ...}
    stats = models.JSONField(default=dict, blank=True)
    share_status = models.CharField(max_length=10, choices=ShareStatus.choices, default=ShareStatus.NONE)
    shared_at = models.DateTimeField(null=True, blank=True)
    share_answered_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The stats summary: one aggregate over an owner's confirmed records.
            models.Index(fields=["owner", "status"], name="matchrecord_owner_status"),
            models.Index(fields=["owner", "-created_at"], name="matchrecord_owner_recent"),
            # Records shared with a user: their list, and their side of the summary.
            models.Index(fields=["opponent", "share_status"], name="matchrecord_opponent_share"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="confirmed", score_user__isnull=False, score_opponent__isnull=False)
                | ~models.Q(status="confirmed"),
                name="matchrecord_confirmed_has_score",
            ),
            models.CheckConstraint(
                condition=~models.Q(opponent=models.F("owner")), name="matchrecord_not_shared_with_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} vs {self.opponent_name} ({self.status})"
