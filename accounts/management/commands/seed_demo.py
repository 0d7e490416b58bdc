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
DEMO_TOURNAMENT = "Arena Weekly BGMI (demo)"
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
        tournament = self._demo_tournament(host=User.objects.get(username="host"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created} new accounts). Log in as host@arena.local, admin@arena.local "
                f"or player1..8@arena.local with password {DEMO_PASSWORD!r}. "
                f"Watch /live/tournaments/{tournament.pk}/."
            )
        )

    def _demo_tournament(self, *, host):
        """A published BGMI tournament with both demo teams registered, made through the same
        services as the API (listing plan paid through the sandbox payment state machine)."""
        from datetime import timedelta

        from competitions import services as competitions
        from competitions.models import Tournament
        from wallet import payments

        existing = Tournament.objects.filter(host=host, title=DEMO_TOURNAMENT).first()
        if existing is not None:
            return existing
        tournament = competitions.tournament_create(
            host=host,
            game_slug="bgmi",
            mode=Tournament.Mode.TOURNAMENT,
            data={
                "title": DEMO_TOURNAMENT,
                "description": "Demo data from seed_demo.",
                "starts_at": timezone.now() + timedelta(days=7),
                "max_teams": 16,
                "group_size": 16,
                "rounds_count": 1,
                "matches_per_group": 3,
            },
        )
        payment = payments.payment_create(user=host, purpose="listing_plan", ref=str(tournament.pk))
        payments.payment_transition(payment_id=payment.pk, target="succeeded", payload={"source": "seed_demo"})
        competitions.tournament_publish(tournament_id=tournament.pk, user=host)
        for name, _, members in TEAMS:
            team = Team.objects.get(name=name)
            player_ids = list(User.objects.filter(username__in=members).values_list("id", flat=True))
            competitions.registration_create(
                tournament_id=tournament.pk,
                user=team.captain,
                team_id=team.pk,
                player_ids=player_ids,
                substitute_ids=[],
            )
        return tournament
