from django.conf import settings
from django.db import models


class ChatMessage(models.Model):
    """A message in global chat (tournament null) or a tournament lobby."""

    tournament = models.ForeignKey(
        "competitions.Tournament", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_messages"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tournament", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text[:40]}"


class ChatMute(models.Model):
    """A host silenced a player in their tournament's lobby (until `until`, or for good)."""

    tournament = models.ForeignKey("competitions.Tournament", on_delete=models.CASCADE, related_name="chat_mutes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    muted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tournament", "user"], name="one_mute_per_lobby")]

    def __str__(self) -> str:
        return f"{self.user_id} muted in {self.tournament_id}"


class Notification(models.Model):
    class Kind(models.TextChoices):
        REGISTRATION_CONFIRMED = "registration_confirmed"
        PAYMENT_SUCCEEDED = "payment_succeeded"
        PAYMENT_FAILED = "payment_failed"
        MATCH_STARTING = "match_starting"
        RESULTS_POSTED = "results_posted"
        TOURNAMENT_WINNER = "tournament_winner"
        REFUND_PROCESSED = "refund_processed"
        REFUND_FAILED = "refund_failed"
        MATCH_SHARED = "match_shared"
        MATCH_CONFIRMED = "match_confirmed"
        MATCH_DISPUTED = "match_disputed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=120)
    body = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Announcement(models.Model):
    """A host's message to a tournament's spectators: pushed live, and kept so late joiners
    and resynced clients see it (in the snapshot, and at GET .../announcements)."""

    tournament = models.ForeignKey("competitions.Tournament", on_delete=models.CASCADE, related_name="announcements")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tournament", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.tournament_id}: {self.text[:40]}"
