import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

USERNAME_VALIDATOR = RegexValidator(r"^[A-Za-z0-9_]{3,30}$", "Usernames are 3–30 letters, digits or underscores.")
SOCIAL_PLATFORMS = ("twitter", "youtube", "twitch", "instagram", "discord", "facebook", "website")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {value!r}.")


def private_storage():
    return storages["private"]


class ArenaUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Emails are unique regardless of case, so logins match regardless of case.
        return self.get(email__iexact=username)

    def create_superuser(self, username=None, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        PLAYER = "player"
        HOST = "host"
        ADMIN = "admin"

    class HostStatus(models.TextChoices):
        NONE = "none"
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    username = models.CharField(max_length=30, unique=True, validators=[USERNAME_VALIDATOR])
    email = models.EmailField(unique=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PLAYER)
    host_status = models.CharField(max_length=10, choices=HostStatus.choices, default=HostStatus.NONE)
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=500, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True)
    social_links = models.JSONField(default=dict, blank=True)
    game_ids = models.JSONField(default=dict, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects = ArenaUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_verified_host(self) -> bool:
        return (
            self.role in (self.Role.HOST, self.Role.ADMIN)
            and self.host_status == self.HostStatus.APPROVED
            and self.is_email_verified
        )


class HostApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="host_applications")
    message = models.CharField(max_length=1000, blank=True)
    # Identity documents never go to public media.
    identity_document = models.FileField(upload_to="host-documents/", storage=private_storage, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="pending"), name="one_pending_host_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.status})"


class Team(models.Model):
    name = models.CharField(max_length=50)
    tag = models.CharField(
        max_length=6, validators=[RegexValidator(r"^[A-Za-z0-9]{2,6}$", "Tags are 2–6 letters or digits.")]
    )
    description = models.CharField(max_length=500, blank=True)
    captain = models.ForeignKey(User, on_delete=models.PROTECT, related_name="captained_teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="team_name_ci_unique")]

    def __str__(self) -> str:
        return f"[{self.tag}] {self.name}"


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class TeamJoinRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_join_requests")
    message = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"], condition=models.Q(status="pending"), name="one_pending_join_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.team} ({self.status})"


class SocialAccount(models.Model):
    """A Google, Discord or GitHub identity that logs in as `user` (accounts/oauth.py)."""

    class Provider(models.TextChoices):
        GOOGLE = "google", "Google"
        DISCORD = "discord", "Discord"
        GITHUB = "github", "GitHub"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="social_accounts")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    # The provider's stable account id (Google `sub`, Discord and GitHub `id`), never the email.
    uid = models.CharField(max_length=255)
    # As the provider last reported them; the user's own email may differ.
    handle = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    email_verified = models.BooleanField(default=False)
    # The provider's last profile response, as returned.
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "uid"], name="social_account_provider_uid_unique"),
            models.UniqueConstraint(fields=["user", "provider"], name="one_social_account_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.user} via {self.get_provider_display()} ({self.uid})"
