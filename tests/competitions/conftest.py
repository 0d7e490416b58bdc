from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import TeamMembership
from tests.factories import TeamFactory, UserFactory


@pytest.fixture
def host(db):
    return UserFactory(role="host", host_status="approved")


def make_team(size: int):
    """A team whose captain plus size-1 members form a full roster."""
    team = TeamFactory()
    for _ in range(size - 1):
        TeamMembership.objects.create(team=team, user=UserFactory())
    return team


def roster(team) -> list[int]:
    return list(team.memberships.order_by("joined_at", "id").values_list("user_id", flat=True))


def tournament_body(**overrides) -> dict:
    body = {
        "game": "bgmi",
        "title": "Weekend Cup",
        "starts_at": (timezone.now() + timedelta(days=2)).isoformat(),
        "max_teams": 16,
        "group_size": 8,
        "rounds_count": 2,
        "qualify_per_group": 4,
        "matches_per_group": 2,
    }
    body.update(overrides)
    return body


def create_published(api, host, **overrides) -> dict:
    response = api.post_json("/api/tournaments", tournament_body(**overrides), user=host)
    assert response.status_code == 201, response.content
    tournament = response.json()
    pay(api, host, "listing_plan", tournament["id"])
    published = api.post_json(f"/api/tournaments/{tournament['id']}/publish", user=host)
    assert published.status_code == 200, published.content
    return published.json()


def register(api, tournament_id: int, team, *, path: str = "tournaments"):
    return api.post_json(
        f"/api/{path}/{tournament_id}/registrations",
        {"team_id": team.pk, "player_ids": roster(team)},
        user=team.captain,
    )


def pay(api, user, purpose: str, ref, *, outcome: str = "succeed") -> dict:
    """Pay through the sandbox gateway: create the payment, click the outcome on its checkout page."""
    payment = api.post_json("/api/payments", {"purpose": purpose, "ref": str(ref)}, user=user)
    assert payment.status_code == 201, payment.content
    page = api.post(payment.json()["checkout"]["url"], {"outcome": outcome})
    assert page.status_code == 200
    return api.get_json(f"/api/payments/{payment.json()['id']}", user=user).json()
