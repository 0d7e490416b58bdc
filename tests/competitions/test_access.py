"""One home for access rules (competitions.access): who runs a tournament (its host or an
administrator), who sees a draft (those who run it) and who sees a match's room details (those who
run it and its rostered players), the same on every endpoint that reads them."""

import pytest

from tests.competitions.conftest import create_published, make_team, pay, register, tournament_body
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _titles(api, user=None) -> list[str]:
    return [t["title"] for t in api.get_json("/api/tournaments", user=user).json()["items"]]


def test_a_draft_is_seen_only_by_those_who_run_it(api, host, admin_user):
    draft = api.post_json("/api/tournaments", tournament_body(title="Secret Draft"), user=host).json()
    other_host = UserFactory(role="host", host_status="approved")
    for outsider in (None, other_host, UserFactory()):
        assert "Secret Draft" not in _titles(api, outsider)
        assert api.get_json(f"/api/tournaments/{draft['id']}", user=outsider).status_code == 404
    for runner in (host, admin_user):
        assert "Secret Draft" in _titles(api, runner)
        assert api.get_json(f"/api/tournaments/{draft['id']}", user=runner).status_code == 200


def test_an_administrator_edits_another_hosts_draft_and_reads_the_result(api, host, admin_user):
    draft = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    response = api.patch_json(f"/api/tournaments/{draft['id']}", {"title": "Renamed by staff"}, user=admin_user)
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed by staff"


def test_room_details_are_the_same_on_every_read(api, host, admin_user):
    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1)
    teams = [make_team(4) for _ in range(2)]
    for team in teams:
        register(api, tournament["id"], team)
    tid = tournament["id"]
    api.post_json(f"/api/tournaments/{tid}/start", user=host)
    match = api.get_json(f"/api/tournaments/{tid}/matches").json()[0]
    api.patch_json(f"/api/matches/{match['id']}", {"room_id": "123456", "room_password": "pw"}, user=host)
    player = teams[0].memberships.exclude(user=teams[0].captain).first().user

    def rooms(user) -> set:
        """The match's room password as the match, the match list and the rounds show it to `user`."""
        listed = api.get_json(f"/api/tournaments/{tid}/matches", user=user).json()
        listed += [m for r in api.get_json(f"/api/tournaments/{tid}/rounds", user=user).json() for m in r["matches"]]
        seen = {api.get_json(f"/api/matches/{match['id']}", user=user).json()["room_password"]}
        return seen | {m["room_password"] for m in listed if m["id"] == match["id"]}

    for insider in (host, admin_user, player):
        assert rooms(insider) == {"pw"}
    for outsider in (None, UserFactory(), UserFactory(role="host", host_status="approved")):
        assert rooms(outsider) == {None}


def test_those_who_run_a_tournament_pay_its_listing_plan(api, host, admin_user):
    """The listing plan is sold by competitions (competitions.purchases): its host or an
    administrator pays it (access.manages), nobody else."""
    draft = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    other_host = UserFactory(role="host", host_status="approved")
    refused = api.post_json("/api/payments", {"purpose": "listing_plan", "ref": str(draft["id"])}, user=other_host)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_host")
    assert pay(api, admin_user, "listing_plan", draft["id"])["state"] == "succeeded"
    assert api.post_json(f"/api/tournaments/{draft['id']}/publish", user=host).status_code == 200
