"""Games, tournaments and their registrations (the teams and rostered players)."""

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
