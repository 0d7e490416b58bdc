"""Standings rows (overall, per round, per group) and career statistics of players and teams."""

from django.conf import settings
from django.db import models

from competitions.models.matches import Group, Round
from competitions.models.tournaments import Tournament


class Standing(models.Model):
    """Stored totals per team and scope, updated incrementally by the results service.

    Scope: a group (group set), a whole round (round set, group null) or overall (both null).
    """

    class Status(models.TextChoices):
        MATCH_POINT = "match_point"
        CHAMPION = "champion"
        DISQUALIFIED = "disqualified"

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="standings")
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="+")
    points = models.IntegerField(default=0)
    matches_played = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)
    placement_points = models.IntegerField(default=0)
    kills = models.PositiveIntegerField(default=0)
    draws = models.PositiveIntegerField(default=0)
    losses = models.PositiveIntegerField(default=0)
    score_for = models.PositiveIntegerField(default=0)
    score_against = models.PositiveIntegerField(default=0)
    rank = models.PositiveIntegerField(default=0)
    decided_by = models.CharField(max_length=20, blank=True)
    # Battle royale: points carried in (already in `points`) and the team's standing under the rules.
    head_start = models.IntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, blank=True)

    class Meta:
        ordering = ["rank", "team_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "team"], condition=models.Q(group__isnull=False), name="one_group_standing"
            ),
            models.UniqueConstraint(
                fields=["round", "team"],
                condition=models.Q(round__isnull=False, group__isnull=True),
                name="one_round_standing",
            ),
            models.UniqueConstraint(
                fields=["tournament", "team"],
                condition=models.Q(round__isnull=True, group__isnull=True),
                name="one_overall_standing",
            ),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id}: {self.points} pts (rank {self.rank})"


class CareerStats(models.Model):
    """Running totals for a player or a team, kept current by the results service."""

    tournaments_played = models.PositiveIntegerField(default=0)
    tournaments_won = models.PositiveIntegerField(default=0)
    matches_played = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)
    kills = models.PositiveIntegerField(default=0)
    # Battle royale only: the average placement is placement_total / placements_counted.
    placement_total = models.PositiveIntegerField(default=0)
    placements_counted = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @property
    def average_placement(self) -> float | None:
        return round(self.placement_total / self.placements_counted, 2) if self.placements_counted else None


class PlayerStats(CareerStats):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="stats"
    )

    def __str__(self) -> str:
        return f"stats of user {self.user_id}"


class TeamStats(CareerStats):
    team = models.OneToOneField("accounts.Team", primary_key=True, on_delete=models.CASCADE, related_name="stats")

    def __str__(self) -> str:
        return f"stats of team {self.team_id}"
