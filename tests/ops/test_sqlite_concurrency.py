"""The embedded default (SQLite) under concurrent writers: a real server process on a SQLite file,
8 captains registering at once for 6 free places. Writers queue for the lock instead of failing."""

import asyncio

import httpx

from tests.e2e.cluster import start_server, stop
from tests.ops.conftest import shell

PLACES, CAPTAINS = 6, 8
SETUP = f"""
import json
from datetime import timedelta
from django.conf import settings
from django.utils import timezone
from ninja_jwt.tokens import RefreshToken
from accounts.models import TeamMembership
from competitions import services
from competitions.models import Tournament
from tests.factories import TeamFactory, UserFactory
from wallet import payments

settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 33 accounts, quickly
host = UserFactory(role="host", host_status="approved")
tournament = services.tournament_create(
    host=host, game_slug="bgmi", mode=Tournament.Mode.TOURNAMENT,
    data={{"title": "SQLite Cup", "starts_at": timezone.now() + timedelta(days=2), "max_teams": {PLACES},
          "group_size": {PLACES}, "rounds_count": 1, "matches_per_group": 1}},
)
listing = payments.payment_create(user=host, purpose="listing_plan", ref=str(tournament.pk))
payments.payment_transition(payment_id=listing.pk, target="succeeded", payload={{"source": "test"}})
services.tournament_publish(tournament_id=tournament.pk, user=host)
teams = []
for _ in range({CAPTAINS}):
    team = TeamFactory()
    for _ in range(3):
        TeamMembership.objects.create(team=team, user=UserFactory())
    teams.append({{
        "team_id": team.pk,
        "player_ids": list(team.memberships.order_by("joined_at", "id").values_list("user_id", flat=True)),
        "token": str(RefreshToken.for_user(team.captain).access_token),
    }})
print(json.dumps({{"tournament": tournament.pk, "teams": teams}}))
"""
COUNT = """
import json
from competitions.models import Registration, RegistrationPlayer
registrations = Registration.objects.filter(tournament_id=%d)
print(json.dumps({
    "active": registrations.filter(status__in=Registration.ACTIVE).count(),
    "confirmed_teams": sorted(registrations.filter(status="confirmed").values_list("team_id", flat=True)),
    "players": RegistrationPlayer.objects.filter(tournament_id=%d).count(),
}))
"""


def test_eight_captains_at_once_fill_the_free_places_without_a_500(sqlite_url):
    env = {"DATABASE_URL": sqlite_url}
    setup = shell(SETUP, env)
    tid = setup["tournament"]

    async def register_all(base: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"/api/tournaments/{tid}/registrations",
                        json={"team_id": team["team_id"], "player_ids": team["player_ids"]},
                        headers={"Authorization": f"Bearer {team['token']}"},
                    )
                    for team in setup["teams"]
                )
            )

    process, base = start_server(env, inherit=False)
    try:
        responses = asyncio.run(register_all(f"http://{base}"))
    finally:
        stop(process)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] * PLACES + [409] * (CAPTAINS - PLACES), [r.text for r in responses]
    refused = [response.json() for response in responses if response.status_code == 409]
    assert {body["code"] for body in refused} == {"tournament_full"}
    accepted = sorted(response.json()["team"]["id"] for response in responses if response.status_code == 201)
    stored = shell(COUNT % (tid, tid), env)
    assert stored["active"] == PLACES
    assert stored["confirmed_teams"] == accepted
    assert stored["players"] == PLACES * 4
