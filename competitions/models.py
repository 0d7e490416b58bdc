from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Game(models.Model):
    class Format(models.TextChoices):
        BATTLE_ROYALE = "battle_royale"
        HEAD_TO_HEAD = "head_to_head"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    format = models.CharField(max_length=20, choices=Format.choices)
    team_size = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    max_substitutes = models.PositiveSmallIntegerField(default=2)
    # Path under STATIC_URL of the banner shipped with the repo (competitions/static/): the
    # tournament's banner and thumbnail until its host uploads one.
    banner = models.CharField(max_length=200)
    points_table = models.JSONField(default=list, blank=True, help_text="battle royale: points for 1st, 2nd, …")
    kill_points = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tournament(models.Model):
    class Mode(models.TextChoices):
        TOURNAMENT = "tournament"
        SCRIM = "scrim"

    class Status(models.TextChoices):
        DRAFT = "draft"
        REGISTRATION_OPEN = "registration_open"
        ONGOING = "ongoing"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    class ListingPlan(models.TextChoices):
        BASIC = "basic"
        FEATURED = "featured"
        PREMIUM = "premium"

    class BracketFormat(models.TextChoices):
        GROUPS = "groups", "Battle-royale groups"
        ROUND_ROBIN = "round_robin"
        SINGLE_ELIMINATION = "single_elimination"
        DOUBLE_ELIMINATION = "double_elimination"
        SWISS = "swiss"

    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hosted_tournaments")
    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="tournaments")
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.TOURNAMENT)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=5000)
    rules = models.TextField(blank=True, max_length=20000)
    # Uploaded through tournament_banner_set, which writes both; empty = the game's banner.
    banner = models.ImageField(upload_to="banners/", blank=True)
    banner_thumbnail = models.ImageField(upload_to="banners/thumbnails/", blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    listing_plan = models.CharField(max_length=10, choices=ListingPlan.choices, default=ListingPlan.BASIC)
    listing_paid_at = models.DateTimeField(null=True, blank=True, help_text="set by the wallet when the plan is paid")
    format = models.CharField(max_length=20, choices=BracketFormat.choices)
    prize_pool = models.PositiveBigIntegerField(default=0, help_text="paise")
    entry_fee = models.PositiveBigIntegerField(default=0, help_text="paise; 0 = free")
    max_teams = models.PositiveSmallIntegerField()
    registration_opens_at = models.DateTimeField(null=True, blank=True)
    registration_closes_at = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField()
    check_in_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="check-in window before start; 0 = no check-in"
    )
    # Battle royale structure.
    rounds_count = models.PositiveSmallIntegerField(default=1)
    group_size = models.PositiveSmallIntegerField(default=25)
    qualify_per_group = models.PositiveSmallIntegerField(default=0)
    matches_per_group = models.PositiveSmallIntegerField(default=1)
    points_table = models.JSONField(default=list, blank=True)
    kill_points = models.PositiveSmallIntegerField(default=1)
    # Battle royale: the preset and rules beyond the table (competitions.scoring; {} = the defaults).
    scoring = models.JSONField(default=dict, blank=True)
    # Swiss: rounds to play (0 = ceil(log2 teams)).
    swiss_rounds = models.PositiveSmallIntegerField(default=0)
    third_place_match = models.BooleanField(
        default=False, help_text="single elimination: the semi-final losers play for third place"
    )
    # Captains report their own results (competitions.services.reports); the host resolves disputes.
    captain_reporting = models.BooleanField(default=False)
    winner = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    runner_up = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    third_place = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reminder_24h_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_1h_sent_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "starts_at"]), models.Index(fields=["game", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_battle_royale(self) -> bool:
        return self.format == self.BracketFormat.GROUPS

    @property
    def registration_open_now(self) -> bool:
        """Published, not started, and inside the registration window (if one is set)."""
        now = timezone.now()
        return (
            self.status == self.Status.REGISTRATION_OPEN
            and (self.registration_opens_at is None or self.registration_opens_at <= now)
            and (self.registration_closes_at is None or now <= self.registration_closes_at)
        )


class Registration(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment"
        CONFIRMED = "confirmed"
        WITHDRAWN = "withdrawn"
        DROPPED = "dropped", "Dropped (no check-in)"
        DISQUALIFIED = "disqualified"

    ACTIVE = (Status.PENDING_PAYMENT, Status.CONFIRMED)

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="registrations")
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="registrations")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    seed = models.PositiveSmallIntegerField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    disqualified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tournament", "team"],
                condition=models.Q(status__in=["pending_payment", "confirmed"]),
                name="one_active_registration_per_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} → {self.tournament} ({self.status})"


class RegistrationPlayer(models.Model):
    """A rostered player. Rows exist only while the registration is active, so the
    unique constraint means one team per player per tournament."""

    tournament = models.ForeignKey(Tournament, on_delete=models.CASCADE, related_name="+")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="players")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tournament_rosters")
    is_substitute = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tournament", "user"], name="one_roster_per_player")]

    def __str__(self) -> str:
        return f"{self.user_id} in registration {self.registration_id}"


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
