import secrets
import uuid

from django.db import models


def _secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


class Subscription(models.Model):
    """A host's endpoint for one tournament's events."""

    class Kind(models.TextChoices):
        GENERIC = "generic", "Signed JSON"
        DISCORD = "discord", "Discord webhook"

    class Event(models.TextChoices):
        REGISTRATION_CONFIRMED = "registration.confirmed"
        REGISTRATION_WITHDRAWN = "registration.withdrawn"
        MATCH_RESULTS_POSTED = "match.results_posted"
        STANDINGS_UPDATED = "standings.updated"
        ROUND_ADVANCED = "round.advanced"
        TOURNAMENT_COMPLETED = "tournament.completed"
        DISPUTE_OPENED = "dispute.opened"

    tournament = models.ForeignKey("competitions.Tournament", on_delete=models.CASCADE, related_name="webhooks")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.GENERIC)
    url = models.URLField(max_length=500)
    events = models.JSONField(help_text="event types this endpoint receives")
    secret = models.CharField(max_length=80, default=_secret, help_text="signs every delivery (HMAC-SHA256)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.url}"


class Delivery(models.Model):
    """One event sent to one subscription, with its attempts; replays are new deliveries."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed", "failed (gave up)"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4, help_text="the same for a replay of the same event")
    event = models.CharField(max_length=40, choices=Subscription.Event.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
