"""The benchmark's data, made through the same services as the API (idempotent by title).

`python -m bench.data` prints {"live": <tournament id>, "list": <published tournaments>} as JSON.
Call only after common.django_setup().
"""

import json
import random
from datetime import timedelta

TEAMS = 16
PLAYERS = 4  # BGMI's team size: 64 rostered players
LIVE_TITLE = "Bench live cup"
LIST_TOURNAMENTS = 20


def _user(username: str, **extra):
    from django.utils import timezone

    from accounts.models import User

    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.local", "email_verified_at": timezone.now(), **extra}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def host():
    from accounts.models import User

    return _user("bench-host", role=User.Role.HOST, host_status=User.HostStatus.APPROVED)


def teams(prefix: str) -> list:
    """16 teams of 4; names as long as real ones so a standings message is ~2.3 KB."""
    from accounts.models import Team, TeamMembership

    made = []
    for n in range(1, TEAMS + 1):
        players = [_user(f"{prefix}-t{n:02d}-p{p}") for p in range(1, PLAYERS + 1)]
        team, _ = Team.objects.get_or_create(
            name=f"{prefix.title()} Esports Squad {n:02d}",
            defaults={"tag": f"{prefix[:2].upper()}{n:02d}", "captain": players[0]},
        )
        for player in players:
            TeamMembership.objects.get_or_create(team=team, user=player)
        made.append((team, [p.pk for p in players]))
    return made


def published(title: str, *, matches_per_group: int = 3):
    """A published 16-team BGMI tournament, one lobby of 16, listing plan paid through the sandbox."""
    from django.utils import timezone

    from competitions import services
    from competitions.models import Tournament
    from wallet import payments

    owner = host()
    existing = Tournament.objects.filter(host=owner, title=title).first()
    if existing is not None:
        return existing
    tournament = services.tournament_create(
        host=owner,
        game_slug="bgmi",
        mode=Tournament.Mode.TOURNAMENT,
        data={
            "title": title,
            "description": "Made by bench/data.py.",
            "starts_at": timezone.now() + timedelta(days=7),
            "max_teams": TEAMS,
            "group_size": TEAMS,
            "rounds_count": 1,
            "matches_per_group": matches_per_group,
        },
    )
    payment = payments.payment_create(user=owner, purpose="listing_plan", ref=str(tournament.pk))
    payments.payment_transition(payment_id=payment.pk, target="succeeded", payload={"source": "bench"})
    return services.tournament_publish(tournament_id=tournament.pk, user=owner)


def started(title: str, prefix: str, *, matches_per_group: int = 3):
    """Published, 16 teams registered, started; returns the tournament."""
    from accounts.models import Team
    from competitions import services
    from competitions.models import Tournament

    tournament = published(title, matches_per_group=matches_per_group)
    if tournament.status != Tournament.Status.REGISTRATION_OPEN:
        return tournament
    for team, player_ids in teams(prefix):
        captain = Team.objects.get(pk=team.pk).captain
        services.registration_create(
            tournament_id=tournament.pk, user=captain, team_id=team.pk, player_ids=player_ids, substitute_ids=[]
        )
    return services.tournament_start(tournament_id=tournament.pk, user=host())


def results(match) -> list[dict]:
    """A plausible result for every team of the match's lobby."""
    lobby = list(match.group.teams.values_list("id", flat=True))
    rng = random.Random(match.pk)
    rng.shuffle(lobby)
    return [{"team_id": team_id, "placement": i, "kills": rng.randint(0, 12)} for i, team_id in enumerate(lobby, 1)]


def live_tournament():
    """What spectators watch: two of its three matches have results, so standings carry numbers."""
    from competitions import services
    from competitions.models import Match

    tournament = started(LIVE_TITLE, "live")
    for match in Match.objects.filter(tournament=tournament).select_related("group").order_by("number")[:2]:
        if match.status != Match.Status.COMPLETED:
            services.match_results_record_br(match_id=match.pk, user=host(), entries=results(match))
    return tournament


def list_tournaments() -> int:
    for n in range(LIST_TOURNAMENTS):
        published(f"Bench weekly {n:02d}", matches_per_group=1)
    return LIST_TOURNAMENTS


def main() -> None:
    from bench.common import django_setup

    django_setup()
    live = live_tournament()
    print(json.dumps({"live": live.pk, "list": list_tournaments()}))


if __name__ == "__main__":
    main()
