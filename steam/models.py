from django.conf import settings
from django.db import models


class SteamAccount(models.Model):
    """A player's linked Steam account and the public summary last fetched for it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="steam_account"
    )
    # SteamID64; shown as a string everywhere (it is beyond JavaScript's exact integers).
    steam_id = models.BigIntegerField(unique=True)
    persona_name = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=300, blank=True)
    profile_url = models.URLField(max_length=300, blank=True)
    # Steam's communityvisibilitystate: 1 private, 3 public.
    visibility = models.PositiveSmallIntegerField(null=True, blank=True)
    summary_fetched_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["summary_fetched_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.steam_id}"


class DotaMatchLink(models.Model):
    """A head-to-head match's result imported from a Dota 2 match, and how the import went."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        IMPORTED = "imported"
        FAILED = "failed"

    match = models.OneToOneField("competitions.Match", on_delete=models.CASCADE, related_name="dota_link")
    dota_match_id = models.BigIntegerField(unique=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=300, blank=True, help_text="why the import failed")
    note = models.CharField(max_length=300, blank=True, help_text="what the import had to decide")
    radiant_team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dire_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    radiant_win = models.BooleanField(null=True, blank=True)
    radiant_kills = models.PositiveIntegerField(null=True, blank=True)
    dire_kills = models.PositiveIntegerField(null=True, blank=True)
    dota_started_at = models.DateTimeField(null=True, blank=True)
    dota_duration = models.PositiveIntegerField(null=True, blank=True, help_text="seconds")
    imported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"match {self.match_id} ← Dota 2 match {self.dota_match_id} ({self.status})"
