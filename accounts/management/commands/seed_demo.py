"""Demo data for `make run`: safe to run any number of times."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, TeamMembership, User

DEMO_PASSWORD = "arena-demo-pass"  # noqa: S105 - documented demo credential for local runs only

USERS = [
    # username, email, role, host_status, display name
    ("admin", "admin@arena.local", User.Role.ADMIN, User.HostStatus.APPROVED, "Arena Admin"),
    ("host", "host@arena.local", User.Role.HOST, User.HostStatus.APPROVED, "Verified Host"),
    *[
        (f"player{n}", f"player{n}@arena.local", User.Role.PLAYER, User.HostStatus.NONE, f"Player {n}")
        for n in range(1, 9)
    ],
]
TEAMS = [
    ("Team Soul", "SOUL", ["player1", "player2", "player3", "player4"]),
    ("GodLike Esports", "GDLK", ["player5", "player6", "player7", "player8"]),
]


class Command(BaseCommand):
    help = "Create demo accounts (admin, a verified host, players) and two teams, if missing."

    @transaction.atomic
    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with a published password; never in production.")
        created = 0
        for username, email, role, host_status, display_name in USERS:
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": email,
                    "role": role,
                    "host_status": host_status,
                    "display_name": display_name,
                    "email_verified_at": timezone.now(),
                    "is_staff": role == User.Role.ADMIN,
                    "is_superuser": role == User.Role.ADMIN,
                },
            )
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                created += 1
        for name, tag, members in TEAMS:
            users = {user.username: user for user in User.objects.filter(username__in=members)}
            team, _ = Team.objects.get_or_create(name=name, defaults={"tag": tag, "captain": users[members[0]]})
            for username in members:
                TeamMembership.objects.get_or_create(team=team, user=users[username])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created} new accounts). Log in as host@arena.local, admin@arena.local "
                f"or player1..8@arena.local with password {DEMO_PASSWORD!r}."
            )
        )
