import pytest
from django.core.management import call_command

from accounts.models import Team, TeamMembership, User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_usable(api):
    call_command("seed_demo")
    counts = (User.objects.count(), Team.objects.count(), TeamMembership.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Team.objects.count(), TeamMembership.objects.count()) == counts == (10, 2, 8)
    host = User.objects.get(username="host")
    assert host.is_verified_host
    listed = api.get_json("/api/tournaments").json()
    assert listed["count"] == 1
    assert (listed["items"][0]["status"], listed["items"][0]["registered_teams"]) == ("registration_open", 2)
    login = api.post_json("/api/auth/login", {"email": "host@arena.local", "password": "arena-demo-pass"})
    assert login.status_code == 200
