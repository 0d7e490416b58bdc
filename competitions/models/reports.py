"""Captains' reports of a match's result and the disputes the host resolves (services: reports, disputes)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from competitions.models.matches import Match
from competitions.models.tournaments import Tournament


class MatchReport(models.Model):
    """A captain's claim of their team's result in one match (competitions.services.reports): battle royale,
    the team's placement and kills; head to head, the whole score. One per team and match; reporting
    again replaces it until the match is confirmed."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="reports")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placement = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    kills = models.PositiveSmallIntegerField(null=True, blank=True)
    home_score = models.PositiveIntegerField(null=True, blank=True)
    away_score = models.PositiveIntegerField(null=True, blank=True)
    # The proof: a screenshot uploaded through matchlog (which owns OCR), read to prefill the report.
    screenshot = models.ForeignKey(
        "matchlog.MatchScreenshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["match_id", "id"]
        constraints = [models.UniqueConstraint(fields=["match", "team"], name="one_report_per_team")]

    def __str__(self) -> str:
        return f"report of team {self.team_id} for match {self.match_id}"


class Dispute(models.Model):
    """Reports that cannot confirm a match (a mismatch, or a captain's explicit dispute), waiting for
    the host. `reports` freezes the reports as they stood when it opened; the resolution fields are
    the audit trail of who decided what, and when."""

    class Status(models.TextChoices):
        OPEN = "open"
        RESOLVED = "resolved"

    class Resolution(models.TextChoices):
        REPORT = "report", "Picked a report"
        ENTERED = "entered", "Host entered the result"
        DISMISSED = "dismissed", "Kept the recorded result"

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="disputes")
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="disputes")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # null: opened by the reports themselves (a mismatch); else the captain who disputed.
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    reports = models.JSONField(default=list, help_text="the match's reports when the dispute opened")
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    chosen_report = models.ForeignKey(MatchReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    result = models.JSONField(null=True, blank=True, help_text="the result the host recorded (or kept)")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["tournament", "status", "-opened_at"], name="dispute_tournament_status")]
        constraints = [
            # One open dispute per match: later complaints join it (the host sees every report anyway).
            models.UniqueConstraint(fields=["match"], condition=models.Q(status="open"), name="one_open_dispute")
        ]

    def __str__(self) -> str:
        return f"dispute {self.pk} on match {self.match_id} ({self.status})"
