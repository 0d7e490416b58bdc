"""Registration, withdrawal, check-in, scrims, validation and cancellation — all through the API."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import TeamMembership
from competitions.models import Registration, RegistrationPlayer, Tournament
from tests.competitions.conftest import create_published, make_team, pay, register, roster, tournament_body
from tests.conftest import ApiClient, bearer
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ONE_ROUND = {"rounds_count": 1, "qualify_per_group": 0}


def _open(api, host, **overrides) -> int:
    """A published one-round BGMI tournament (team size 4); returns its id."""
    return create_published(api, host, **{**ONE_ROUND, **overrides})["id"]


def _assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    if code is not None:
        assert body.get("code") == code, body
    return body


def _registrations(api, tid: int) -> list[dict]:
    response = api.get_json(f"/api/tournaments/{tid}/registrations")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def _active(tid: int) -> int:
    return Registration.objects.filter(tournament_id=tid, status__in=Registration.ACTIVE).count()


def _error_fields(body: dict) -> set[str]:
    return {str(part) for error in body.get("errors", []) for part in error["loc"]}


# --- registering ---------------------------------------------------------------------------------


def test_free_tournament_confirms_and_lists_with_team_and_players(api, host):
    tid = _open(api, host)
    teams = [make_team(4), make_team(4)]
    for team in teams:
        response = register(api, tid, team)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == "confirmed"
        assert body["team"] == {"id": team.pk, "name": team.name, "tag": team.tag}
        assert sorted(p["user_id"] for p in body["players"]) == sorted(roster(team))
        assert all(p["is_substitute"] is False for p in body["players"])

    listing = api.get_json(f"/api/tournaments/{tid}/registrations")
    assert listing.status_code == 200, listing.content
    page = listing.json()
    assert page["count"] == 2
    assert [item["team"]["id"] for item in page["items"]] == [team.pk for team in teams]
    for item, team in zip(page["items"], teams, strict=True):
        assert item["status"] == "confirmed"
        members = {m.user_id: m.user.username for m in team.memberships.select_related("user")}
        assert {p["user_id"]: p["username"] for p in item["players"]} == members
    assert api.get_json(f"/api/tournaments/{tid}").json()["registered_teams"] == 2
    assert RegistrationPlayer.objects.filter(tournament_id=tid).count() == 8


def test_paid_tournament_registration_waits_for_payment(api, host):
    tid = _open(api, host, entry_fee=5000)
    team = make_team(4)
    response = register(api, tid, team)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending_payment"
    registration = Registration.objects.get(tournament_id=tid, team=team)
    assert registration.status == Registration.Status.PENDING_PAYMENT
    assert registration.registered_by_id == team.captain_id
    # A pending registration holds its slot.
    assert api.get_json(f"/api/tournaments/{tid}").json()["registered_teams"] == 1


def test_substitutes_are_rostered_as_substitutes(api, host):
    tid = _open(api, host)
    team = make_team(5)
    players = roster(team)
    response = api.post_json(
        f"/api/tournaments/{tid}/registrations",
        {"team_id": team.pk, "player_ids": players[:4], "substitute_ids": players[4:]},
        user=team.captain,
    )
    assert response.status_code == 201, response.content
    subs = {p["user_id"]: p["is_substitute"] for p in response.json()["players"]}
    assert subs == {**dict.fromkeys(players[:4], False), players[4]: True}


def test_same_team_twice_is_409_already_registered(api, host):
    tid = _open(api, host)
    team = make_team(4)
    assert register(api, tid, team).status_code == 201
    _assert_error(register(api, tid, team), 409, "already_registered")
    assert _active(tid) == 1


def test_player_rostered_for_another_team_is_409_player_taken(api, host):
    tid = _open(api, host)
    first = make_team(4)
    assert register(api, tid, first).status_code == 201
    second = make_team(3)
    shared = roster(first)[1]
    TeamMembership.objects.create(team=second, user_id=shared)
    response = api.post_json(
        f"/api/tournaments/{tid}/registrations",
        {"team_id": second.pk, "player_ids": [*roster(second)[:3], shared]},
        user=second.captain,
    )
    _assert_error(response, 409, "player_taken")
    assert _active(tid) == 1
    assert not Registration.objects.filter(tournament_id=tid, team=second).exists()


def test_wrong_roster_size_is_422(api, host):
    tid = _open(api, host)
    team = make_team(5)
    for players in (roster(team)[:3], roster(team)[:5]):
        response = api.post_json(
            f"/api/tournaments/{tid}/registrations",
            {"team_id": team.pk, "player_ids": players},
            user=team.captain,
        )
        _assert_error(response, 422, "wrong_team_size")
    assert _active(tid) == 0


def test_non_member_in_roster_is_422(api, host):
    tid = _open(api, host)
    team = make_team(4)
    stranger = UserFactory()
    response = api.post_json(
        f"/api/tournaments/{tid}/registrations",
        {"team_id": team.pk, "player_ids": [*roster(team)[:3], stranger.pk]},
        user=team.captain,
    )
    _assert_error(response, 422, "not_team_members")
    assert _active(tid) == 0


def test_only_the_captain_registers(api, host):
    tid = _open(api, host)
    team = make_team(4)
    member = next(uid for uid in roster(team) if uid != team.captain_id)
    response = api.post_json(
        f"/api/tournaments/{tid}/registrations",
        {"team_id": team.pk, "player_ids": roster(team)},
        user=team.memberships.get(user_id=member).user,
    )
    _assert_error(response, 403, "not_captain")
    assert _active(tid) == 0


def test_unverified_captain_is_403(api, host):
    tid = _open(api, host)
    team = TeamFactory(captain=UserFactory(email_verified_at=None))
    for _ in range(3):
        TeamMembership.objects.create(team=team, user=UserFactory())
    _assert_error(register(api, tid, team), 403, "email_unverified")
    assert _active(tid) == 0


def test_unauthenticated_registration_is_401(api, host):
    tid = _open(api, host)
    team = make_team(4)
    response = api.post_json(f"/api/tournaments/{tid}/registrations", {"team_id": team.pk, "player_ids": roster(team)})
    _assert_error(response, 401)


def test_registering_for_a_draft_is_closed(api, host):
    response = api.post_json("/api/tournaments", tournament_body(**ONE_ROUND), user=host)
    assert response.status_code == 201, response.content
    tid = response.json()["id"]
    # A draft is invisible to everyone but its host, so another captain cannot even find it…
    _assert_error(register(api, tid, make_team(4)), 404)
    # …and its host, who can see it, gets the registration_closed conflict.
    own = TeamFactory(captain=host)
    for _ in range(3):
        TeamMembership.objects.create(team=own, user=UserFactory())
    _assert_error(register(api, tid, own), 409, "registration_closed")
    assert not Registration.objects.filter(tournament_id=tid).exists()


def test_registering_after_start_is_409(api, host):
    tid = _open(api, host)
    for _ in range(2):
        assert register(api, tid, make_team(4)).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    _assert_error(register(api, tid, make_team(4)), 409, "registration_closed")
    assert _active(tid) == 2


def test_registering_after_registration_closes_is_409(api, host):
    tid = _open(api, host, registration_closes_at=(timezone.now() + timedelta(hours=1)).isoformat())
    Tournament.objects.filter(pk=tid).update(registration_closes_at=timezone.now() - timedelta(minutes=1))
    _assert_error(register(api, tid, make_team(4)), 409, "registration_closed")


def test_full_tournament_is_409(api, host):
    tid = _open(api, host, max_teams=2, group_size=2)
    for _ in range(2):
        assert register(api, tid, make_team(4)).status_code == 201
    _assert_error(register(api, tid, make_team(4)), 409, "tournament_full")
    assert _active(tid) == 2


def test_registering_before_registration_opens_is_409(api, host):
    tid = _open(api, host, registration_opens_at=(timezone.now() + timedelta(hours=1)).isoformat())
    _assert_error(register(api, tid, make_team(4)), 409, "registration_closed")
    assert _active(tid) == 0


def test_a_player_listed_twice_is_422(api, host):
    tid = _open(api, host)
    team = make_team(4)
    players = roster(team)
    for body in (
        {"team_id": team.pk, "player_ids": [players[0], *players[:3]]},
        {"team_id": team.pk, "player_ids": players, "substitute_ids": [players[0]]},
    ):
        response = api.post_json(f"/api/tournaments/{tid}/registrations", body, user=team.captain)
        _assert_error(response, 422, "duplicate_player")
    assert _active(tid) == 0


def test_an_impossible_player_id_is_422_not_500(api, host):
    tid = _open(api, host)
    team = make_team(4)
    response = api.post_json(
        f"/api/tournaments/{tid}/registrations",
        {"team_id": team.pk, "player_ids": [*roster(team)[:3], 2**63]},
        user=team.captain,
    )
    _assert_error(response, 422)
    assert _active(tid) == 0


# --- withdrawing -----------------------------------------------------------------------------------


def test_captain_withdraws_and_the_slot_is_free_again(api, host):
    tid = _open(api, host, max_teams=2, group_size=2)
    first, second, third = make_team(4), make_team(4), make_team(4)
    rid = register(api, tid, first).json()["id"]
    assert register(api, tid, second).status_code == 201
    _assert_error(register(api, tid, third), 409, "tournament_full")

    response = api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=first.captain)
    assert response.status_code == 204, response.content
    assert Registration.objects.get(pk=rid).status == Registration.Status.WITHDRAWN
    assert not RegistrationPlayer.objects.filter(registration_id=rid).exists()
    assert api.get_json(f"/api/tournaments/{tid}").json()["registered_teams"] == 1

    assert register(api, tid, third).status_code == 201
    assert _active(tid) == 2
    # Withdrawing twice is a conflict, not a second 204.
    _assert_error(api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=first.captain), 409)


def test_withdrawn_players_can_play_for_another_team(api, host):
    tid = _open(api, host)
    first = make_team(4)
    rid = register(api, tid, first).json()["id"]
    assert api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=first.captain).status_code == 204
    second = make_team(3)
    moved = roster(first)[1]
    TeamMembership.objects.create(team=second, user_id=moved)
    response = api.post_json(
        f"/api/tournaments/{tid}/registrations",
        {"team_id": second.pk, "player_ids": [*roster(second)[:3], moved]},
        user=second.captain,
    )
    assert response.status_code == 201, response.content


def test_a_withdrawn_team_can_register_again(api, host):
    tid = _open(api, host)
    team = make_team(4)
    rid = register(api, tid, team).json()["id"]
    assert api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=team.captain).status_code == 204
    again = register(api, tid, team)
    assert again.status_code == 201, again.content
    assert again.json()["id"] != rid
    statuses = {item["id"]: item["status"] for item in _registrations(api, tid)}
    assert statuses == {rid: "withdrawn", again.json()["id"]: "confirmed"}


def test_host_withdraws_a_registration(api, host):
    tid = _open(api, host)
    rid = register(api, tid, make_team(4)).json()["id"]
    assert api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=host).status_code == 204
    assert Registration.objects.get(pk=rid).status == Registration.Status.WITHDRAWN
    assert _active(tid) == 0


def test_unrelated_user_cannot_withdraw(api, host):
    tid = _open(api, host)
    team = make_team(4)
    rid = register(api, tid, team).json()["id"]
    member = team.memberships.exclude(user=team.captain).first().user
    for outsider in (UserFactory(), member, make_team(4).captain):
        _assert_error(api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=outsider), 403)
    assert Registration.objects.get(pk=rid).status == Registration.Status.CONFIRMED


def test_withdrawing_after_start_is_409(api, host):
    tid = _open(api, host)
    teams = [make_team(4), make_team(4)]
    rids = [register(api, tid, team).json()["id"] for team in teams]
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    _assert_error(api.delete_json(f"/api/tournaments/{tid}/registrations/{rids[0]}", user=teams[0].captain), 409)
    _assert_error(api.delete_json(f"/api/tournaments/{tid}/registrations/{rids[1]}", user=host), 409)
    assert _active(tid) == 2


def test_withdrawing_an_unknown_registration_is_404(api, host):
    tid = _open(api, host)
    other = _open(api, host)
    rid = register(api, other, make_team(4)).json()["id"]
    _assert_error(api.delete_json(f"/api/tournaments/{tid}/registrations/{rid}", user=host), 404)
    _assert_error(api.delete_json(f"/api/tournaments/{tid}/registrations/999999", user=host), 404)


# --- capacity under concurrency (PostgreSQL row locks) -------------------------------------------------


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_last_slot_goes_to_exactly_one_of_two_simultaneous_captains(attempt, games_catalog):
    host = UserFactory(role="host", host_status="approved")
    api = ApiClient()
    tid = create_published(api, host, max_teams=2, group_size=2, **ONE_ROUND)["id"]
    assert register(api, tid, make_team(4)).status_code == 201

    racers = [make_team(4), make_team(4)]
    requests = [
        (f"/api/tournaments/{tid}/registrations", {"team_id": t.pk, "player_ids": roster(t)}, bearer(t.captain))
        for t in racers
    ]
    barrier = threading.Barrier(len(requests))
    outcomes: list[tuple[int, dict]] = []
    failures: list[BaseException] = []

    def race(path: str, body: dict, headers: dict) -> None:
        try:
            client = ApiClient()
            barrier.wait(timeout=10)
            response = client.post_json(path, body, **headers)
            outcomes.append((response.status_code, response.json()))
        except BaseException as exc:  # surfaced in the main thread below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert all(not thread.is_alive() for thread in threads)

    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [201, 409], outcomes
    rejected = next(body for status, body in outcomes if status == 409)
    assert rejected["code"] == "tournament_full", rejected
    assert isinstance(rejected["detail"], str)
    assert _active(tid) == 2
    accepted = next(body for status, body in outcomes if status == 201)
    assert RegistrationPlayer.objects.filter(tournament_id=tid).count() == 8
    assert Registration.objects.get(pk=accepted["id"]).status == Registration.Status.CONFIRMED


# --- scrims ------------------------------------------------------------------------------------------

SCRIM = {**ONE_ROUND, "max_teams": 20, "group_size": 20, "matches_per_group": 4}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rounds_count": 2, "qualify_per_group": 4}, "rounds_count"),
        ({"max_teams": 26, "group_size": 25}, "max_teams"),
        ({"matches_per_group": 7}, "matches_per_group"),
        ({"game": "valorant", "format": "single_elimination"}, "game"),
        ({"game": "valorant"}, "game"),
    ],
)
def test_scrim_limits_are_422(api, host, overrides, field):
    response = api.post_json("/api/scrims", tournament_body(**{**SCRIM, **overrides}), user=host)
    body = _assert_error(response, 422)
    assert field in _error_fields(body) or field in body["detail"], body
    assert not Tournament.objects.exists()


def test_scrims_are_their_own_listing(api, host):
    created = api.post_json("/api/scrims", tournament_body(**SCRIM, title="Evening Scrim"), user=host)
    assert created.status_code == 201, created.content
    scrim = created.json()
    assert scrim["mode"] == "scrim"
    assert scrim["status"] == "draft"
    assert scrim["rounds_count"] == 1
    pay(api, host, "listing_plan", scrim["id"])
    assert api.post_json(f"/api/tournaments/{scrim['id']}/publish", user=host).status_code == 200
    tournament = create_published(api, host, **ONE_ROUND)

    listing = api.get_json("/api/scrims").json()
    assert listing["count"] == 1
    assert [item["id"] for item in listing["items"]] == [scrim["id"]]
    assert all(item["mode"] == "scrim" for item in listing["items"])
    # ?mode= cannot smuggle tournaments into the scrim listing.
    assert api.get_json("/api/scrims?mode=tournament").json()["count"] == 1
    assert {item["id"] for item in api.get_json("/api/tournaments?mode=scrim").json()["items"]} == {scrim["id"]}

    fetched = api.get_json(f"/api/scrims/{scrim['id']}")
    assert fetched.status_code == 200, fetched.content
    assert fetched.json()["mode"] == "scrim"
    _assert_error(api.get_json(f"/api/scrims/{tournament['id']}"), 404)

    team = make_team(4)
    registered = register(api, scrim["id"], team, path="scrims")
    assert registered.status_code == 201, registered.content
    assert registered.json()["status"] == "confirmed"
    assert Registration.objects.get(pk=registered.json()["id"]).tournament_id == scrim["id"]
    # The scrim path does not register for a tournament.
    _assert_error(register(api, tournament["id"], make_team(4), path="scrims"), 404)
    assert not Registration.objects.filter(tournament_id=tournament["id"]).exists()


def test_a_scrim_group_holds_at_most_six_matches(api, host):
    scrim = api.post_json("/api/scrims", tournament_body(**{**SCRIM, "matches_per_group": 5}), user=host).json()
    sid = scrim["id"]
    pay(api, host, "listing_plan", sid)
    assert api.post_json(f"/api/tournaments/{sid}/publish", user=host).status_code == 200
    for _ in range(3):
        assert register(api, sid, make_team(4), path="scrims").status_code == 201
    assert api.post_json(f"/api/tournaments/{sid}/start", user=host).status_code == 200
    group = api.get_json(f"/api/tournaments/{sid}/rounds").json()[0]["groups"][0]

    sixth = api.post_json(f"/api/tournaments/{sid}/matches", {"group_id": group["id"]}, user=host)
    assert sixth.status_code == 201, sixth.content
    assert sixth.json()["group"] == group["name"]
    seventh = api.post_json(f"/api/tournaments/{sid}/matches", {"group_id": group["id"]}, user=host)
    _assert_error(seventh, 422, "scrim_limit")
    assert len(api.get_json(f"/api/tournaments/{sid}/matches").json()) == 6


# --- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"starts_at": (timezone.now() - timedelta(hours=1)).isoformat()}, "starts_in_past", None),
        (
            {
                "starts_at": (timezone.now() + timedelta(days=2)).isoformat(),
                "registration_closes_at": (timezone.now() + timedelta(days=3)).isoformat(),
            },
            None,
            "registration_closes_at",
        ),
        ({"group_size": 30}, None, "group_size"),
        ({"game": "chess"}, "unknown_game", None),
        ({"max_teams": 1}, None, "max_teams"),
        ({"title": ""}, None, "title"),
    ],
)
def test_invalid_tournaments_are_422_with_a_detail(api, host, overrides, code, field):
    response = api.post_json("/api/tournaments", tournament_body(**overrides), user=host)
    body = _assert_error(response, 422, code)
    if field is not None:
        assert field in _error_fields(body), body
    assert not Tournament.objects.exists()


def test_malformed_registration_bodies_are_422(api, host):
    tid = _open(api, host)
    team = make_team(4)
    for body in ({"team_id": team.pk}, {"team_id": "x", "player_ids": roster(team)}, {"player_ids": []}):
        _assert_error(api.post_json(f"/api/tournaments/{tid}/registrations", body, user=team.captain), 422)
    _assert_error(
        api.post_json(
            f"/api/tournaments/{tid}/registrations", {"team_id": 999999, "player_ids": roster(team)}, user=team.captain
        ),
        422,
        "unknown_team",
    )


@pytest.mark.parametrize("field", ["starts_at", "registration_closes_at"])
def test_a_datetime_without_timezone_is_read_as_utc(api, host, field):
    """Times are UTC (docs/API.md): one sent without an offset is taken as UTC, not refused."""
    naive = (timezone.now() + timedelta(days=1)).replace(tzinfo=None, microsecond=0)
    response = api.post_json("/api/tournaments", tournament_body(**{field: naive.isoformat()}), user=host)
    assert response.status_code == 201, response.content
    assert datetime.fromisoformat(response.json()[field]) == naive.replace(tzinfo=UTC)
    if response.status_code == 201:  # the contract's times are UTC
        assert response.json()[field].startswith(naive.isoformat())
    else:
        _assert_error(response, 422)


def test_registration_opening_after_the_start_is_422(api, host):
    body = tournament_body(
        starts_at=(timezone.now() + timedelta(days=2)).isoformat(),
        registration_opens_at=(timezone.now() + timedelta(days=3)).isoformat(),
    )
    body = _assert_error(api.post_json("/api/tournaments", body, user=host), 422)
    assert "registration_opens_at" in _error_fields(body), body
    assert not Tournament.objects.exists()


def test_moving_the_start_into_the_past_is_422(api, host):
    tid = _open(api, host)
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    _assert_error(api.patch_json(f"/api/tournaments/{tid}", {"starts_at": past}, user=host), 422, "starts_in_past")
    assert Tournament.objects.get(pk=tid).starts_at > timezone.now()


@pytest.mark.parametrize(
    "field", ["max_teams", "rounds_count", "group_size", "matches_per_group", "description", "rules"]
)
def test_patching_a_required_field_to_null_is_422(api, host, field):
    tid = _open(api, host)
    before = api.get_json(f"/api/tournaments/{tid}").json()
    _assert_error(api.patch_json(f"/api/tournaments/{tid}", {field: None}, user=host), 422)
    assert api.get_json(f"/api/tournaments/{tid}").json()[field] == before[field]


def test_scrim_limits_hold_on_patch(api, host):
    scrim = api.post_json("/api/scrims", tournament_body(**SCRIM), user=host).json()
    for change, field in (
        ({"max_teams": 26}, "max_teams"),
        ({"rounds_count": 2, "qualify_per_group": 2}, "rounds_count"),
        ({"matches_per_group": 7}, "matches_per_group"),
    ):
        body = _assert_error(api.patch_json(f"/api/tournaments/{scrim['id']}", change, user=host), 422)
        assert field in _error_fields(body), body
    unchanged = Tournament.objects.get(pk=scrim["id"])
    assert (unchanged.max_teams, unchanged.rounds_count, unchanged.matches_per_group) == (20, 1, 4)


# --- check-in ----------------------------------------------------------------------------------------


def test_teams_that_do_not_check_in_are_dropped_at_start(api, host):
    tid = _open(
        api, host, check_in_minutes=30, starts_at=(timezone.now() + timedelta(minutes=10)).isoformat(), group_size=8
    )
    teams = [make_team(4) for _ in range(3)]
    rids = [register(api, tid, team).json()["id"] for team in teams]
    for team, rid in zip(teams[:2], rids[:2], strict=True):
        response = api.post_json(f"/api/tournaments/{tid}/registrations/{rid}/check-in", user=team.captain)
        assert response.status_code == 200, response.content
        assert response.json()["checked_in_at"] is not None
        assert response.json()["status"] == "confirmed"

    started = api.post_json(f"/api/tournaments/{tid}/start", user=host)
    assert started.status_code == 200, started.content
    assert started.json()["status"] == "ongoing"

    statuses = {item["id"]: item["status"] for item in _registrations(api, tid)}
    assert statuses == {rids[0]: "confirmed", rids[1]: "confirmed", rids[2]: "dropped"}
    assert not RegistrationPlayer.objects.filter(registration_id=rids[2]).exists()

    rounds = api.get_json(f"/api/tournaments/{tid}/rounds").json()
    assert [r["number"] for r in rounds] == [1]
    in_groups = [team["id"] for group in rounds[0]["groups"] for team in group["teams"]]
    assert sorted(in_groups) == sorted(team.pk for team in teams[:2])
    standings = api.get_json(f"/api/tournaments/{tid}/standings").json()
    assert {row["team"]["id"] for row in standings} == {team.pk for team in teams[:2]}


def test_only_the_captain_checks_in(api, host):
    tid = _open(api, host, check_in_minutes=30, starts_at=(timezone.now() + timedelta(minutes=10)).isoformat())
    team = make_team(4)
    rid = register(api, tid, team).json()["id"]
    member = team.memberships.exclude(user=team.captain).first().user
    for outsider in (member, host, make_team(4).captain):
        response = api.post_json(f"/api/tournaments/{tid}/registrations/{rid}/check-in", user=outsider)
        _assert_error(response, 403, "not_captain")
    assert Registration.objects.get(pk=rid).checked_in_at is None


def test_check_in_without_check_in_is_409(api, host):
    tid = _open(api, host)
    team = make_team(4)
    rid = register(api, tid, team).json()["id"]
    response = api.post_json(f"/api/tournaments/{tid}/registrations/{rid}/check-in", user=team.captain)
    _assert_error(response, 409, "no_check_in")
    assert Registration.objects.get(pk=rid).checked_in_at is None


def test_check_in_before_the_window_is_409(api, host):
    tid = _open(api, host, check_in_minutes=30)  # starts in two days
    team = make_team(4)
    rid = register(api, tid, team).json()["id"]
    response = api.post_json(f"/api/tournaments/{tid}/registrations/{rid}/check-in", user=team.captain)
    _assert_error(response, 409, "check_in_closed")


# --- cancelling and deleting ------------------------------------------------------------------------


def test_cancelling_a_published_tournament_releases_registrations(api, host):
    tid = _open(api, host)
    teams = [make_team(4) for _ in range(3)]
    for team in teams:
        assert register(api, tid, team).status_code == 201
    _assert_error(api.delete_json(f"/api/tournaments/{tid}", user=teams[0].captain), 403)

    response = api.delete_json(f"/api/tournaments/{tid}", user=host)
    assert response.status_code == 204, response.content
    detail = api.get_json(f"/api/tournaments/{tid}")
    assert detail.status_code == 200
    assert detail.json()["status"] == "cancelled"
    assert detail.json()["registered_teams"] == 0
    registrations = _registrations(api, tid)
    assert [item["status"] for item in registrations] == ["withdrawn"] * 3
    assert all(item["players"] == [] for item in registrations)
    assert not RegistrationPlayer.objects.filter(tournament_id=tid).exists()
    assert Tournament.objects.get(pk=tid).status == Tournament.Status.CANCELLED
    # Cancelled is final.
    _assert_error(api.delete_json(f"/api/tournaments/{tid}", user=host), 409)
    _assert_error(register(api, tid, make_team(4)), 409, "registration_closed")


def test_deleting_a_draft_removes_it(api, host):
    created = api.post_json("/api/tournaments", tournament_body(**ONE_ROUND), user=host)
    assert created.status_code == 201, created.content
    tid = created.json()["id"]
    stranger = UserFactory(role="host", host_status="approved")
    assert api.delete_json(f"/api/tournaments/{tid}", user=stranger).status_code in (403, 404)
    assert Tournament.objects.filter(pk=tid).exists()
    response = api.delete_json(f"/api/tournaments/{tid}", user=host)
    assert response.status_code == 204, response.content
    _assert_error(api.get_json(f"/api/tournaments/{tid}", user=host), 404)
    assert not Tournament.objects.filter(pk=tid).exists()
