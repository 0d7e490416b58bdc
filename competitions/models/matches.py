"""Rounds, their groups (battle-royale lobbies), matches, their results and the result audit."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from competitions.models.tournaments import Tournament


class Round(models.Model):
    class Status(models.TextChoices):
        ONGOING = "ongoing"
        COMPLETED = "completed"

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ONGOING)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["tournament", "number"], name="unique_round_number")]

    def __str__(self) -> str:
        return f"{self.tournament} · round {self.number}"


class Group(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=10)
    teams = models.ManyToManyField("accounts.Team", related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="unique_group_name")]

    def __str__(self) -> str:
        return f"{self.round} · group {self.name}"


class Match(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        ONGOING = "ongoing"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="matches")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="matches")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="matches")
    number = models.PositiveSmallIntegerField(help_text="order within the tournament")
    # Head to head: the bracket key (e.g. "W1-2"), which bracket and which of its rounds, and its two sides.
    key = models.CharField(max_length=12, blank=True)
    bracket = models.CharField(max_length=12, blank=True, help_text="winners, losers, grand_final, third_place, ...")
    bracket_round = models.PositiveSmallIntegerField(null=True, blank=True, help_text="round within its bracket")
    home_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    away_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    home_score = models.PositiveIntegerField(null=True, blank=True)
    away_score = models.PositiveIntegerField(null=True, blank=True)
    winner = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Head to head: who forfeited (the scores are then null); "both" is a double forfeit, which nobody wins.
    forfeit = models.CharField(max_length=4, blank=True, choices=[("home", "home"), ("away", "away"), ("both", "both")])
    is_bye = models.BooleanField(default=False)
    # Where the winner and the loser go next (a match and its side), so clients draw the bracket from pointers.
    winner_to_match = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    winner_to_side = models.CharField(max_length=4, blank=True, choices=[("home", "home"), ("away", "away")])
    loser_to_match = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    loser_to_side = models.CharField(max_length=4, blank=True, choices=[("home", "home"), ("away", "away")])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    map_name = models.CharField(max_length=60, blank=True)
    room_id = models.CharField(max_length=60, blank=True)
    room_password = models.CharField(max_length=60, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(fields=["tournament", "number"], name="unique_match_number"),
            models.UniqueConstraint(
                fields=["tournament", "key"], condition=~models.Q(key=""), name="unique_bracket_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tournament} · match {self.number}"


class MatchResult(models.Model):
    """One team's battle-royale result in one match."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="results")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    placement = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    kills = models.PositiveSmallIntegerField()
    # {user_id: kills} when the host reports who got the kills.
    player_kills = models.JSONField(default=dict, blank=True)
    placement_points = models.PositiveIntegerField()
    points = models.PositiveIntegerField()

    class Meta:
        ordering = ["placement"]
        constraints = [
            models.UniqueConstraint(fields=["match", "team"], name="one_result_per_team"),
            models.UniqueConstraint(fields=["match", "placement"], name="unique_placement"),
        ]

    def __str__(self) -> str:
        return f"match {self.match_id}: team {self.team_id} #{self.placement}"


class ResultAudit(models.Model):
    """Who changed a match's results, when, and from what to what."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="audits")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    before = models.JSONField(null=True)
    after = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the after-commit task that moves career stats and notifies the players by this change
    # (after minus before), in the same transaction: a retried task finds it set and does nothing.
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"match {self.match_id} edited by {self.actor_id}"
