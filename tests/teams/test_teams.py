"""The Teams API over HTTP: /api/teams, join requests and the roster."""

import threading

import pytest
from django.db import connection

from accounts.models import Team, TeamJoinRequest, TeamMembership
from tests.conftest import ApiClient, bearer
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    return body


def member_ids(team: Team) -> set[int]:
    return set(TeamMembership.objects.filter(team=team).values_list("user_id", flat=True))


def add_member(team: Team, user=None):
    user = user or UserFactory()
    TeamMembership.objects.create(team=team, user=user)
    return user


def pending_request(team: Team, user=None) -> TeamJoinRequest:
    return TeamJoinRequest.objects.create(team=team, user=user or UserFactory())


# --- create ----------------------------------------------------------------------------


def test_create_team_makes_the_creator_captain_and_member(api, user):
    response = api.post_json(
        "/api/teams", {"name": "Night Owls", "tag": "owl", "description": "We play late."}, user=user
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Night Owls"
    assert body["tag"] == "OWL"
    assert body["description"] == "We play late."
    assert body["captain_id"] == user.pk
    assert body["captain_username"] == user.username
    assert body["members_count"] == 1
    assert [(m["user_id"], m["username"], m["is_captain"]) for m in body["members"]] == [(user.pk, user.username, True)]
    team = Team.objects.get(pk=body["id"])
    assert team.captain == user
    assert member_ids(team) == {user.pk}


def test_create_team_needs_a_verified_email(api):
    unverified = UserFactory(email_verified_at=None)

    response = api.post_json("/api/teams", {"name": "Night Owls", "tag": "OWL"}, user=unverified)

    assert_error(response, 403, "email_unverified")
    assert not Team.objects.exists()


def test_create_team_rejects_a_name_taken_in_any_case(api, user):
    TeamFactory(name="Night Owls")

    response = api.post_json("/api/teams", {"name": "  NIGHT owls ", "tag": "OWL"}, user=user)

    assert_error(response, 409, "team_name_taken")
    assert Team.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Night Owls", "tag": "O"}, "tag"),
        ({"name": "Night Owls", "tag": "TOOLONG"}, "tag"),
        ({"name": "Night Owls", "tag": "O-L"}, "tag"),
        ({"name": "N", "tag": "OWL"}, "name"),
        ({"name": "x" * 51, "tag": "OWL"}, "name"),
        ({"tag": "OWL"}, "name"),
    ],
)
def test_create_team_validates_name_and_tag(api, user, body, field):
    response = api.post_json("/api/teams", body, user=user)

    error = assert_error(response, 422, "invalid")
    assert isinstance(error["errors"], list)
    assert error["errors"]
    assert any(field in e["loc"] for e in error["errors"]), error
    assert not Team.objects.exists()


def test_create_team_needs_a_token(api):
    response = api.post_json("/api/teams", {"name": "Night Owls", "tag": "OWL"})

    assert_error(response, 401)
    assert not Team.objects.exists()


# --- list ------------------------------------------------------------------------------


def test_list_teams_is_public_paginated_and_sorted_by_name(api):
    for name in ["Charlie", "alpha", "Bravo"]:
        TeamFactory(name=name)

    response = api.get_json("/api/teams?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert len(body["items"]) == 2
    second = api.get_json("/api/teams?page=2&page_size=2").json()
    assert second["count"] == 3
    assert len(second["items"]) == 1
    # Alphabetical regardless of case (and of the database's collation).
    assert [t["name"] for t in body["items"] + second["items"]] == ["alpha", "Bravo", "Charlie"]


def test_list_teams_reports_member_counts(api):
    team = TeamFactory()
    add_member(team)
    add_member(team)

    [item] = api.get_json("/api/teams").json()["items"]

    assert item["id"] == team.pk
    assert item["members_count"] == 3
    assert item["captain_id"] == team.captain_id
    assert item["captain_username"] == team.captain.username


def test_list_mine_lists_only_the_callers_teams(api, user):
    captained = TeamFactory(captain=user)
    joined = TeamFactory()
    add_member(joined, user)
    TeamFactory()

    response = api.get_json("/api/teams?mine=true", user=user)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {t["id"] for t in body["items"]} == {captained.pk, joined.pk}


def test_list_mine_counts_every_member_not_only_the_caller(api, user):
    team = TeamFactory()
    add_member(team, user)
    add_member(team)

    [item] = api.get_json("/api/teams?mine=true", user=user).json()["items"]

    assert item["members_count"] == 3


def test_list_mine_without_a_token_is_401(api):
    TeamFactory()

    assert_error(api.get_json("/api/teams?mine=true"), 401)


def test_list_with_a_bad_token_is_401(api):
    assert_error(api.get_json("/api/teams", token="not-a-jwt"), 401)


def test_list_search_matches_name_or_tag(api):
    owls = TeamFactory(name="Night Owls", tag="OWL")
    hawks = TeamFactory(name="Day Hawks", tag="HWK")
    TeamFactory(name="Ravens", tag="RVN")

    by_name = api.get_json("/api/teams?q=night").json()
    by_tag = api.get_json("/api/teams?q=hwk").json()
    nothing = api.get_json("/api/teams?q=zebra").json()

    assert [t["id"] for t in by_name["items"]] == [owls.pk]
    assert [t["id"] for t in by_tag["items"]] == [hawks.pk]
    assert nothing == {"items": [], "count": 0}


# --- detail ----------------------------------------------------------------------------


def test_team_detail_lists_members_with_the_captain_flagged(api):
    team = TeamFactory(name="Night Owls", tag="OWL")
    member = add_member(team)

    response = api.get_json(f"/api/teams/{team.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == team.pk
    assert body["name"] == "Night Owls"
    assert body["members_count"] == 2
    flags = {m["user_id"]: m["is_captain"] for m in body["members"]}
    assert flags == {team.captain_id: True, member.pk: False}
    assert {m["username"] for m in body["members"]} == {team.captain.username, member.username}


def test_team_detail_and_list_do_not_query_per_member(api, django_assert_max_num_queries):
    team = TeamFactory()
    for _ in range(5):
        add_member(team)
    TeamFactory()

    with django_assert_max_num_queries(2):
        assert len(api.get_json(f"/api/teams/{team.pk}").json()["members"]) == 6
    with django_assert_max_num_queries(2):
        assert api.get_json("/api/teams").json()["count"] == 2


def test_team_detail_for_an_unknown_id_is_404(api):
    assert_error(api.get_json("/api/teams/999999"), 404)


# --- update ----------------------------------------------------------------------------


def test_captain_updates_the_team(api):
    team = TeamFactory(name="Night Owls", tag="OWL")

    response = api.patch_json(
        f"/api/teams/{team.pk}", {"name": "Dawn Owls", "tag": "dwn", "description": "Early now."}, user=team.captain
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["tag"], body["description"]) == ("Dawn Owls", "DWN", "Early now.")
    team.refresh_from_db()
    assert (team.name, team.tag, team.description) == ("Dawn Owls", "DWN", "Early now.")


def test_captain_can_change_only_the_case_of_the_name(api):
    team = TeamFactory(name="night owls")

    response = api.patch_json(f"/api/teams/{team.pk}", {"name": "Night Owls"}, user=team.captain)

    assert response.status_code == 200, response.content
    team.refresh_from_db()
    assert team.name == "Night Owls"


def test_update_to_a_taken_name_is_409(api):
    TeamFactory(name="Day Hawks")
    team = TeamFactory(name="Night Owls")

    response = api.patch_json(f"/api/teams/{team.pk}", {"name": "day hawks"}, user=team.captain)

    assert_error(response, 409, "team_name_taken")
    team.refresh_from_db()
    assert team.name == "Night Owls"


def test_non_captain_cannot_update(api):
    team = TeamFactory(name="Night Owls")
    member = add_member(team)

    response = api.patch_json(f"/api/teams/{team.pk}", {"name": "Hijacked"}, user=member)

    assert_error(response, 403, "not_captain")
    team.refresh_from_db()
    assert team.name == "Night Owls"


def test_update_unknown_team_is_404(api, user):
    assert_error(api.patch_json("/api/teams/999999", {"name": "Whatever"}, user=user), 404)


def test_captain_hands_over_captaincy_to_a_member(api):
    team = TeamFactory()
    old_captain = team.captain
    member = add_member(team)

    response = api.patch_json(f"/api/teams/{team.pk}", {"captain_id": member.pk}, user=old_captain)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["captain_id"] == member.pk
    assert body["captain_username"] == member.username
    assert {m["user_id"]: m["is_captain"] for m in body["members"]} == {old_captain.pk: False, member.pk: True}
    team.refresh_from_db()
    assert team.captain_id == member.pk
    # The old captain stays on the roster and has lost the captain's rights.
    assert member_ids(team) == {old_captain.pk, member.pk}
    assert_error(api.patch_json(f"/api/teams/{team.pk}", {"name": "Mine Again"}, user=old_captain), 403)


def test_captaincy_cannot_go_to_a_non_member(api):
    team = TeamFactory()
    outsider = UserFactory()

    response = api.patch_json(f"/api/teams/{team.pk}", {"captain_id": outsider.pk}, user=team.captain)

    assert_error(response, 422, "captain_not_member")
    team.refresh_from_db()
    assert team.captain_id != outsider.pk


def test_update_with_an_invalid_tag_is_422(api):
    team = TeamFactory(tag="OWL")

    response = api.patch_json(f"/api/teams/{team.pk}", {"tag": "!!"}, user=team.captain)

    body = assert_error(response, 422, "invalid")
    assert body["errors"]
    team.refresh_from_db()
    assert team.tag == "OWL"


# --- delete ----------------------------------------------------------------------------


def test_captain_deletes_the_team(api):
    team = TeamFactory()
    add_member(team)
    pending_request(team)

    response = api.delete_json(f"/api/teams/{team.pk}", user=team.captain)

    assert response.status_code == 204
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not TeamMembership.objects.filter(team_id=team.pk).exists()
    assert not TeamJoinRequest.objects.filter(team_id=team.pk).exists()
    assert_error(api.get_json(f"/api/teams/{team.pk}"), 404)


def test_non_captain_cannot_delete(api):
    team = TeamFactory()
    member = add_member(team)

    assert_error(api.delete_json(f"/api/teams/{team.pk}", user=member), 403, "not_captain")
    assert Team.objects.filter(pk=team.pk).exists()


def test_delete_needs_a_token(api):
    team = TeamFactory()

    assert_error(api.delete_json(f"/api/teams/{team.pk}"), 401)
    assert Team.objects.filter(pk=team.pk).exists()


# --- join requests ---------------------------------------------------------------------


def test_request_to_join(api, user):
    team = TeamFactory()

    response = api.post_json(f"/api/teams/{team.pk}/join-requests", {"message": " Let me in "}, user=user)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team_id"] == team.pk
    assert body["user_id"] == user.pk
    assert body["username"] == user.username
    assert body["message"] == "Let me in"
    assert body["status"] == "pending"
    assert body["decided_at"] is None
    assert TeamJoinRequest.objects.get(pk=body["id"]).status == TeamJoinRequest.Status.PENDING
    assert user.pk not in member_ids(team)


def test_request_to_join_without_a_body(api, user):
    team = TeamFactory()

    response = api.post(f"/api/teams/{team.pk}/join-requests", b"", content_type="application/json", **bearer(user))

    assert response.status_code == 201, response.content
    assert response.json()["message"] == ""


def test_request_to_join_twice_is_409(api, user):
    team = TeamFactory()
    pending_request(team, user)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests", {}, user=user)

    assert_error(response, 409, "request_pending")
    assert TeamJoinRequest.objects.filter(team=team, user=user).count() == 1


def test_request_to_join_again_after_a_rejection(api, user):
    team = TeamFactory()
    TeamJoinRequest.objects.create(team=team, user=user, status=TeamJoinRequest.Status.REJECTED)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests", {}, user=user)

    assert response.status_code == 201, response.content


def test_member_requesting_to_join_is_409(api):
    team = TeamFactory()
    member = add_member(team)

    assert_error(api.post_json(f"/api/teams/{team.pk}/join-requests", {}, user=member), 409, "already_member")
    assert_error(api.post_json(f"/api/teams/{team.pk}/join-requests", {}, user=team.captain), 409, "already_member")
    assert not TeamJoinRequest.objects.exists()


def test_request_to_join_a_full_team_is_409(api, user, settings):
    settings.TEAM_MAX_MEMBERS = 2
    team = TeamFactory()
    add_member(team)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests", {}, user=user)

    assert_error(response, 409, "team_full")
    assert not TeamJoinRequest.objects.exists()


def test_request_to_join_an_unknown_team_is_404(api, user):
    assert_error(api.post_json("/api/teams/999999/join-requests", {}, user=user), 404)


def test_request_to_join_needs_a_token(api):
    team = TeamFactory()

    assert_error(api.post_json(f"/api/teams/{team.pk}/join-requests", {}), 401)
    assert not TeamJoinRequest.objects.exists()


def test_request_message_too_long_is_422(api, user):
    team = TeamFactory()

    response = api.post_json(f"/api/teams/{team.pk}/join-requests", {"message": "x" * 301}, user=user)

    assert_error(response, 422, "invalid")
    assert not TeamJoinRequest.objects.exists()


# --- listing join requests -------------------------------------------------------------


def test_captain_lists_join_requests(api):
    team = TeamFactory()
    first = pending_request(team)
    second = pending_request(team)
    pending_request(TeamFactory())  # another team's

    response = api.get_json(f"/api/teams/{team.pk}/join-requests", user=team.captain)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["id"] for r in body["items"]] == [second.pk, first.pk]  # newest first
    assert {r["username"] for r in body["items"]} == {first.user.username, second.user.username}


def test_captain_filters_join_requests_by_status(api):
    team = TeamFactory()
    waiting = pending_request(team)
    TeamJoinRequest.objects.create(team=team, user=UserFactory(), status=TeamJoinRequest.Status.REJECTED)
    TeamJoinRequest.objects.create(team=team, user=UserFactory(), status=TeamJoinRequest.Status.ACCEPTED)

    pending = api.get_json(f"/api/teams/{team.pk}/join-requests?status=pending", user=team.captain).json()
    rejected = api.get_json(f"/api/teams/{team.pk}/join-requests?status=rejected", user=team.captain).json()

    assert pending["count"] == 1
    assert [r["id"] for r in pending["items"]] == [waiting.pk]
    assert pending["items"][0]["status"] == "pending"
    assert rejected["count"] == 1
    assert rejected["items"][0]["status"] == "rejected"


def test_join_requests_with_an_unknown_status_is_422(api):
    team = TeamFactory()

    response = api.get_json(f"/api/teams/{team.pk}/join-requests?status=maybe", user=team.captain)

    assert_error(response, 422, "invalid")


def test_non_captain_cannot_list_join_requests(api):
    team = TeamFactory()
    member = add_member(team)
    pending_request(team)

    assert_error(api.get_json(f"/api/teams/{team.pk}/join-requests", user=member), 403, "not_captain")
    assert_error(api.get_json(f"/api/teams/{team.pk}/join-requests", user=UserFactory()), 403, "not_captain")


def test_join_requests_of_an_unknown_team_is_404(api, user):
    assert_error(api.get_json("/api/teams/999999/join-requests", user=user), 404)


# --- accepting and rejecting -----------------------------------------------------------


def test_captain_accepts_a_join_request(api):
    team = TeamFactory()
    join_request = pending_request(team)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/accept", user=team.captain)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == join_request.pk
    assert body["status"] == "accepted"
    assert body["decided_at"] is not None
    assert member_ids(team) == {team.captain_id, join_request.user_id}
    join_request.refresh_from_db()
    assert join_request.decided_by_id == team.captain_id
    detail = api.get_json(f"/api/teams/{team.pk}").json()
    assert detail["members_count"] == 2
    assert {m["user_id"]: m["is_captain"] for m in detail["members"]} == {
        team.captain_id: True,
        join_request.user_id: False,
    }


def test_non_captain_cannot_accept(api):
    team = TeamFactory()
    member = add_member(team)
    join_request = pending_request(team)

    for someone in (member, join_request.user):
        response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/accept", user=someone)
        assert_error(response, 403, "not_captain")

    join_request.refresh_from_db()
    assert join_request.status == TeamJoinRequest.Status.PENDING
    assert join_request.user_id not in member_ids(team)


@pytest.mark.parametrize("decided", [TeamJoinRequest.Status.ACCEPTED, TeamJoinRequest.Status.REJECTED])
@pytest.mark.parametrize("action", ["accept", "reject"])
def test_deciding_an_already_decided_request_is_409(api, decided, action):
    team = TeamFactory()
    join_request = TeamJoinRequest.objects.create(team=team, user=UserFactory(), status=decided)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/{action}", user=team.captain)

    assert_error(response, 409, "request_decided")
    join_request.refresh_from_db()
    assert join_request.status == decided


def test_accepting_twice_is_409_the_second_time(api):
    team = TeamFactory()
    join_request = pending_request(team)
    url = f"/api/teams/{team.pk}/join-requests/{join_request.pk}/accept"

    assert api.post_json(url, user=team.captain).status_code == 200
    assert_error(api.post_json(url, user=team.captain), 409, "request_decided")
    assert TeamMembership.objects.filter(team=team, user_id=join_request.user_id).count() == 1


def test_accepting_into_a_full_team_is_409(api, settings):
    settings.TEAM_MAX_MEMBERS = 2
    team = TeamFactory()
    join_request = pending_request(team)
    add_member(team)  # the last slot went while the request was waiting

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/accept", user=team.captain)

    assert_error(response, 409, "team_full")
    join_request.refresh_from_db()
    assert join_request.status == TeamJoinRequest.Status.PENDING
    assert join_request.user_id not in member_ids(team)
    assert len(member_ids(team)) == 2


def test_captain_rejects_a_join_request(api):
    team = TeamFactory()
    join_request = pending_request(team)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/reject", user=team.captain)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "rejected"
    assert body["decided_at"] is not None
    assert member_ids(team) == {team.captain_id}
    join_request.refresh_from_db()
    assert join_request.status == TeamJoinRequest.Status.REJECTED


def test_rejecting_works_even_when_the_team_is_full(api, settings):
    settings.TEAM_MAX_MEMBERS = 1
    team = TeamFactory()
    join_request = pending_request(team)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/reject", user=team.captain)

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"


def test_non_captain_cannot_reject(api):
    team = TeamFactory()
    join_request = pending_request(team)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/reject", user=join_request.user)

    assert_error(response, 403, "not_captain")
    join_request.refresh_from_db()
    assert join_request.status == TeamJoinRequest.Status.PENDING


def test_a_request_of_another_team_is_404(api):
    team = TeamFactory()
    elsewhere = pending_request(TeamFactory())

    response = api.post_json(f"/api/teams/{team.pk}/join-requests/{elsewhere.pk}/accept", user=team.captain)

    assert_error(response, 404)
    elsewhere.refresh_from_db()
    assert elsewhere.status == TeamJoinRequest.Status.PENDING
    assert not TeamMembership.objects.filter(user_id=elsewhere.user_id).exists()


def test_accepting_an_unknown_request_is_404(api):
    team = TeamFactory()

    assert_error(api.post_json(f"/api/teams/{team.pk}/join-requests/999999/accept", user=team.captain), 404)


# --- removing members ------------------------------------------------------------------


def test_captain_removes_a_member(api):
    team = TeamFactory()
    member = add_member(team)

    response = api.delete_json(f"/api/teams/{team.pk}/members/{member.pk}", user=team.captain)

    assert response.status_code == 204
    assert member_ids(team) == {team.captain_id}


def test_member_leaves(api):
    team = TeamFactory()
    member = add_member(team)
    other = add_member(team)

    response = api.delete_json(f"/api/teams/{team.pk}/members/{member.pk}", user=member)

    assert response.status_code == 204
    assert member_ids(team) == {team.captain_id, other.pk}


def test_member_cannot_remove_someone_else(api):
    team = TeamFactory()
    member = add_member(team)
    other = add_member(team)

    for target in (other, team.captain):
        response = api.delete_json(f"/api/teams/{team.pk}/members/{target.pk}", user=member)
        assert_error(response, 403, "not_captain")

    assert member_ids(team) == {team.captain_id, member.pk, other.pk}


def test_captain_must_hand_over_before_leaving(api):
    team = TeamFactory()
    add_member(team)

    response = api.delete_json(f"/api/teams/{team.pk}/members/{team.captain_id}", user=team.captain)

    assert_error(response, 409, "captain_must_hand_over")
    assert team.captain_id in member_ids(team)


def test_removing_a_non_member_is_404(api):
    team = TeamFactory()
    outsider = UserFactory()

    assert_error(api.delete_json(f"/api/teams/{team.pk}/members/{outsider.pk}", user=team.captain), 404)
    assert_error(api.delete_json(f"/api/teams/{team.pk}/members/{outsider.pk}", user=outsider), 404)
    assert member_ids(team) == {team.captain_id}


def test_a_removed_member_can_ask_to_join_again(api):
    team = TeamFactory()
    member = add_member(team)
    api.delete_json(f"/api/teams/{team.pk}/members/{member.pk}", user=team.captain)

    response = api.post_json(f"/api/teams/{team.pk}/join-requests", {}, user=member)

    assert response.status_code == 201, response.content


# --- concurrency -----------------------------------------------------------------------


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_accepts_never_overfill_the_team(settings):
    settings.TEAM_MAX_MEMBERS = 3
    team = TeamFactory()
    add_member(team)  # one slot left
    requests = [pending_request(team), pending_request(team)]
    captain = team.captain
    start = threading.Barrier(len(requests))
    statuses: dict[int, int] = {}
    errors: list[BaseException] = []

    def accept(join_request: TeamJoinRequest) -> None:
        try:
            client = ApiClient()
            start.wait(timeout=10)
            response = client.post_json(f"/api/teams/{team.pk}/join-requests/{join_request.pk}/accept", user=captain)
            statuses[join_request.pk] = response.status_code
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert sorted(statuses.values()) == [200, 409]
    assert TeamMembership.objects.filter(team=team).count() == 3
    accepted = TeamJoinRequest.objects.filter(team=team, status=TeamJoinRequest.Status.ACCEPTED)
    still_pending = TeamJoinRequest.objects.filter(team=team, status=TeamJoinRequest.Status.PENDING)
    assert accepted.count() == 1
    assert still_pending.count() == 1
    assert member_ids(team) >= {accepted.get().user_id}
    assert still_pending.get().user_id not in member_ids(team)
