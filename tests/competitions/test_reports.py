"""Captain reporting and disputes through the public API: agreement confirms as a host entry would,
a mismatch or an explicit dispute opens a Dispute for the host, who resolves it with an audit trail."""

import json

import pytest

from competitions.models import Dispute, MatchReport, ResultAudit, Standing
from tests.competitions.conftest import create_published, make_team, register
from tests.factories import UserFactory
from tests.webhooks.test_webhooks import receiver, verify  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def host(db):
    return UserFactory(role="host", host_status="approved")


def start_br(api, host, *, teams: int = 3, reporting: bool = True):
    """A started one-lobby BGMI tournament with captain reporting → (tournament, [teams], first match)."""
    tournament = create_published(
        api,
        host,
        max_teams=teams,
        group_size=teams,
        rounds_count=1,
        qualify_per_group=0,
        matches_per_group=2,
        captain_reporting=reporting,
    )
    made = [make_team(4) for _ in range(teams)]
    for team in made:
        assert register(api, tournament["id"], team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    return tournament, made, match


def start_h2h(api, host, *, teams: int = 4):
    """A started single-elimination eFootball cup with captain reporting → (tournament, {team id: team}, semi)."""
    tournament = create_published(
        api, host, game="efootball", format="single_elimination", max_teams=teams, captain_reporting=True
    )
    made = [make_team(1) for _ in range(teams)]
    for team in made:
        assert register(api, tournament["id"], team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    return tournament, {team.pk: team for team in made}, match


def report(api, match, team, **body):
    return api.post_json(f"/api/matches/{match['id']}/reports", body, user=team.captain)


# --- head to head -------------------------------------------------------------------------------------


def test_h2h_agreement_confirms_like_a_host_entry(api, host):
    tournament, teams, match = start_h2h(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]

    first = report(api, match, home, home_score=2, away_score=1)
    assert first.status_code == 200, first.content
    assert first.json()["state"] == "waiting"
    assert [r["team"]["id"] for r in first.json()["reports"]] == [home.pk]
    assert first.json()["missing_team_ids"] == [away.pk]
    assert api.get_json(f"/api/matches/{match['id']}").json()["status"] == "scheduled"

    second = report(api, match, away, home_score=2, away_score=1)
    assert second.status_code == 200, second.content
    assert second.json()["state"] == "confirmed"
    recorded = api.get_json(f"/api/matches/{match['id']}").json()
    assert (recorded["status"], recorded["home_score"], recorded["away_score"]) == ("completed", 2, 1)
    assert recorded["winner"]["id"] == home.pk
    # Standings and the bracket moved exactly as for PUT /results.
    table = {row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tournament['id']}/standings").json()}
    assert (table[home.pk]["wins"], table[away.pk]["losses"]) == (1, 1)
    goes_to = recorded["winner_to"]
    assert api.get_json(f"/api/matches/{goes_to['match_id']}").json()[f"{goes_to['side']}_team"]["id"] == home.pk
    # The audit names the captain whose report completed the agreement.
    audit = ResultAudit.objects.get(match_id=match["id"])
    assert (audit.actor_id, audit.after) == (away.captain_id, {"home_score": 2, "away_score": 1})
    assert not Dispute.objects.exists()
    # Confirmed: reporting again is refused; disputing is the way.
    again = report(api, match, home, home_score=3, away_score=1)
    assert (again.status_code, again.json()["code"]) == (409, "already_confirmed")


def test_h2h_mismatch_opens_a_dispute_the_host_resolves_by_picking_a_report(api, host, receiver):  # noqa: F811
    tournament, teams, match = start_h2h(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    endpoint = receiver(200)
    hook = api.post_json(
        f"/api/tournaments/{tournament['id']}/webhooks", {"url": endpoint.url, "events": ["dispute.opened"]}, user=host
    )
    assert hook.status_code == 201, hook.content

    assert report(api, match, home, home_score=2, away_score=1).status_code == 200
    clash = report(api, match, away, home_score=1, away_score=2)
    assert clash.status_code == 200
    body = clash.json()
    assert body["state"] == "disputed"
    dispute = body["dispute"]
    assert dispute["status"] == "open"
    assert dispute["opened_by"] is None
    assert "differ" in dispute["reason"]
    assert {r["team_id"]: (r["home_score"], r["away_score"]) for r in dispute["reports_at_opening"]} == {
        home.pk: (2, 1),
        away.pk: (1, 2),
    }
    assert api.get_json(f"/api/matches/{match['id']}").json()["status"] == "scheduled"

    # dispute.opened reached the webhook, signed.
    (hit,) = endpoint.received
    payload = json.loads(hit["body"])
    assert payload["type"] == "dispute.opened"
    assert payload["data"]["id"] == dispute["id"]
    assert verify(hook.json()["secret"], hit["headers"], hit["body"])
    # The host got a notification.
    inbox = api.get_json("/api/notifications", user=host).json()["items"]
    assert inbox[0]["kind"] == "dispute_opened"
    assert inbox[0]["data"]["dispute_id"] == dispute["id"]

    listed = api.get_json(f"/api/tournaments/{tournament['id']}/disputes?status=open", user=host).json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == dispute["id"]
    assert api.get_json(f"/api/tournaments/{tournament['id']}/disputes?status=resolved", user=host).json()["count"] == 0

    home_report = next(r for r in dispute["reports"] if r["team"]["id"] == home.pk)
    resolved = api.post_json(
        f"/api/disputes/{dispute['id']}/resolve", {"report_id": home_report["id"], "note": "VOD checked"}, user=host
    )
    assert resolved.status_code == 200, resolved.content
    out = resolved.json()
    assert (out["status"], out["resolution"], out["resolved_by"], out["chosen_report_id"]) == (
        "resolved",
        "report",
        host.username,
        home_report["id"],
    )
    assert out["result"] == {"home_score": 2, "away_score": 1}
    assert out["note"] == "VOD checked"
    assert out["resolved_at"] is not None
    recorded = api.get_json(f"/api/matches/{match['id']}").json()
    assert (recorded["status"], recorded["home_score"], recorded["away_score"]) == ("completed", 2, 1)
    assert ResultAudit.objects.get(match_id=match["id"]).actor_id == host.pk
    again = api.post_json(f"/api/disputes/{dispute['id']}/resolve", {"dismiss": True}, user=host)
    assert (again.status_code, again.json()["code"]) == (409, "already_resolved")


def test_an_explicit_dispute_of_a_confirmed_result_and_the_host_entering_the_score(api, host):
    _tournament, teams, match = start_h2h(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    report(api, match, home, home_score=3, away_score=0)
    report(api, match, away, home_score=3, away_score=0)
    opened = api.post_json(
        f"/api/matches/{match['id']}/disputes", {"reason": "They used an ineligible player"}, user=away.captain
    )
    assert opened.status_code == 201, opened.content
    assert opened.json()["opened_by"] == away.captain.username
    twice = api.post_json(f"/api/matches/{match['id']}/disputes", {"reason": "again"}, user=home.captain)
    assert (twice.status_code, twice.json()["code"]) == (409, "already_disputed")

    entered = api.post_json(
        f"/api/disputes/{opened.json()['id']}/resolve", {"home_score": 0, "away_score": 3}, user=host
    )
    assert entered.status_code == 200, entered.content
    assert entered.json()["resolution"] == "entered"
    recorded = api.get_json(f"/api/matches/{match['id']}").json()
    assert (recorded["home_score"], recorded["away_score"], recorded["winner"]["id"]) == (0, 3, away.pk)
    # Two audit rows: the captains' agreement, then the host's correction.
    assert [a.actor_id for a in ResultAudit.objects.filter(match_id=match["id"]).order_by("pk")] == [
        away.captain_id,
        host.pk,
    ]


# --- battle royale -----------------------------------------------------------------------------------


def test_br_every_team_reporting_distinct_placements_confirms(api, host):
    tournament, teams, match = start_br(api, host)
    claims = {teams[0]: (2, 4), teams[1]: (1, 7), teams[2]: (3, 0)}
    for index, (team, (placement, kills)) in enumerate(claims.items()):
        response = report(api, match, team, placement=placement, kills=kills)
        assert response.status_code == 200, response.content
        assert response.json()["state"] == ("confirmed" if index == 2 else "waiting")
    recorded = api.get_json(f"/api/matches/{match['id']}").json()
    assert recorded["status"] == "completed"
    assert {r["team"]["id"]: (r["placement"], r["kills"]) for r in recorded["results"]} == {
        team.pk: claim for team, claim in claims.items()
    }
    # A player of a team in the match (not its captain) sees the reports but cannot report.
    member = teams[0].memberships.exclude(user=teams[0].captain).first().user
    seen = api.get_json(f"/api/matches/{match['id']}/reports", user=member)
    assert seen.status_code == 200
    assert seen.json()["state"] == "confirmed"
    refused = api.post_json(f"/api/matches/{match['id']}/reports", {"placement": 1, "kills": 0}, user=member)
    assert refused.status_code == 403
    overall = {
        row.team_id: row.points for row in Standing.objects.filter(tournament_id=tournament["id"], round__isnull=True)
    }
    assert overall[teams[1].pk] == 15 + 7  # BGMI's table: 15 for first, 1 per kill


def test_br_two_teams_claiming_one_placement_open_a_dispute_the_host_settles(api, host):
    _tournament, teams, match = start_br(api, host)
    assert report(api, match, teams[0], placement=1, kills=3).json()["state"] == "waiting"
    clash = report(api, match, teams[1], placement=1, kills=5)
    assert clash.json()["state"] == "disputed"
    dispute = clash.json()["dispute"]
    assert "claim placement 1" in dispute["reason"]
    # A correction still lands (the host sees it) but confirms nothing while the dispute is open.
    assert report(api, match, teams[2], placement=3, kills=0).json()["state"] == "disputed"
    assert api.get_json(f"/api/matches/{match['id']}").json()["status"] == "scheduled"

    picked = api.post_json(
        f"/api/disputes/{dispute['id']}/resolve", {"report_id": dispute["reports"][0]["id"]}, user=host
    )
    assert (picked.status_code, picked.json()["code"]) == (422, "results_required")
    bad = api.post_json(
        f"/api/disputes/{dispute['id']}/resolve",
        {"results": [{"team_id": teams[0].pk, "placement": 1, "kills": 3}]},
        user=host,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_results")
    assert Dispute.objects.get(pk=dispute["id"]).status == "open"  # nothing half-written
    results = [
        {"team_id": teams[0].pk, "placement": 2, "kills": 3},
        {"team_id": teams[1].pk, "placement": 1, "kills": 5},
        {"team_id": teams[2].pk, "placement": 3, "kills": 0},
    ]
    resolved = api.post_json(f"/api/disputes/{dispute['id']}/resolve", {"results": results}, user=host)
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["result"] == {"results": sorted(results, key=lambda r: r["placement"])}
    assert api.get_json(f"/api/matches/{match['id']}").json()["status"] == "completed"
    state = api.get_json(f"/api/matches/{match['id']}/reports", user=teams[2].captain).json()
    assert state["state"] == "confirmed"
    assert state["dispute"] is None


def test_the_host_can_always_override_and_dismiss(api, host):
    _tournament, teams, match = start_br(api, host)
    report(api, match, teams[0], placement=1, kills=3)
    dispute = report(api, match, teams[1], placement=1, kills=2).json()["dispute"]
    results = [{"team_id": t.pk, "placement": i + 1, "kills": 0} for i, t in enumerate(teams)]
    assert api.put_json(f"/api/matches/{match['id']}/results", results, user=host).status_code == 200
    dismissed = api.post_json(f"/api/disputes/{dispute['id']}/resolve", {"dismiss": True}, user=host)
    assert dismissed.status_code == 200
    assert dismissed.json()["resolution"] == "dismissed"
    assert dismissed.json()["result"] == {
        "results": [{k: r[k] for k in ("team_id", "placement", "kills")} for r in results]
    }


# --- permissions and input --------------------------------------------------------------------------------


def test_permissions(api, host):
    tournament, teams, match = start_h2h(api, host)
    home = teams[match["home_team"]["id"]]
    other = next(t for t in teams.values() if t.pk not in (match["home_team"]["id"], match["away_team"]["id"]))
    player = UserFactory()
    for user, code in ((player, "not_captain"), (other.captain, "not_captain"), (host, "not_captain")):
        response = api.post_json(f"/api/matches/{match['id']}/reports", {"home_score": 1, "away_score": 0}, user=user)
        assert (response.status_code, response.json()["code"]) == (403, code)
    assert api.post_json(f"/api/matches/{match['id']}/reports", {"home_score": 1, "away_score": 0}).status_code == 401
    assert api.get_json(f"/api/matches/{match['id']}/reports", user=player).status_code == 403
    assert api.get_json(f"/api/matches/{match['id']}/reports", user=other.captain).status_code == 403
    assert api.get_json(f"/api/matches/{match['id']}/reports", user=host).status_code == 200
    assert api.get_json(f"/api/matches/{match['id']}/reports", user=home.captain).status_code == 200
    disputed = api.post_json(f"/api/matches/{match['id']}/disputes", {"reason": "no"}, user=other.captain)
    assert disputed.status_code == 403
    listed = api.get_json(f"/api/tournaments/{tournament['id']}/disputes", user=home.captain)
    assert (listed.status_code, listed.json()["code"]) == (403, "not_host")
    opened = api.post_json(f"/api/matches/{match['id']}/disputes", {"reason": "lag"}, user=home.captain).json()
    refused = api.post_json(f"/api/disputes/{opened['id']}/resolve", {"dismiss": True}, user=home.captain)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_host")
    assert api.get_json(f"/api/disputes/{opened['id']}", user=other.captain).status_code == 403
    assert api.get_json("/api/disputes/999999", user=host).status_code == 404
    assert (
        api.post_json("/api/matches/999999/reports", {"home_score": 1, "away_score": 0}, user=home.captain).status_code
        == 404
    )


def test_reporting_off_is_refused(api, host):
    tournament, teams, match = start_br(api, host, reporting=False)
    response = report(api, match, teams[0], placement=1, kills=0)
    assert (response.status_code, response.json()["code"]) == (409, "reporting_off")
    # The host switches it on mid-event.
    patched = api.patch_json(f"/api/tournaments/{tournament['id']}", {"captain_reporting": True}, user=host)
    assert patched.status_code == 200
    assert patched.json()["captain_reporting"] is True
    assert report(api, match, teams[0], placement=1, kills=0).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"placement": 0, "kills": 1}, None),  # schema: placement ≥ 1
        ({"placement": 1, "kills": -1}, None),
        ({"placement": 4, "kills": 1}, "invalid_report"),  # a lobby of 3
        ({"placement": 1}, "invalid_report"),
        ({"home_score": 1, "away_score": 0}, "invalid_report"),
        ({"placement": 1, "kills": 1, "colour": "red"}, None),
        ({"placement": 1, "kills": 1, "screenshot_id": 424242}, "unknown_screenshot"),
        ({"placement": 1, "kills": 1, "team_id": 424242}, "not_captain"),
    ],
)
def test_bad_reports(api, host, body, code):
    _, teams, match = start_br(api, host)
    response = report(api, match, teams[0], **body)
    assert response.status_code == (403 if code == "not_captain" else 422), response.content
    if code:
        assert response.json()["code"] == code
    assert not MatchReport.objects.exists()


def test_bad_resolutions_and_h2h_input(api, host):
    _, teams, match = start_h2h(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    draw = report(api, match, home, home_score=1, away_score=1)
    assert (draw.status_code, draw.json()["code"]) == (422, "draw_not_allowed")
    report(api, match, home, home_score=1, away_score=0)
    dispute = report(api, match, away, home_score=0, away_score=1).json()["dispute"]
    url = f"/api/disputes/{dispute['id']}/resolve"
    for body, code in (
        ({}, "resolution_required"),
        ({"dismiss": True, "home_score": 1, "away_score": 0}, "resolution_required"),
        ({"home_score": 1}, "resolution_required"),
        ({"report_id": 999999}, "unknown_report"),
        ({"results": [{"team_id": home.pk, "placement": 1, "kills": 0}]}, "wrong_result_shape"),
        ({"home_score": 2, "away_score": 2}, "draw_not_allowed"),
    ):
        response = api.post_json(url, body, user=host)
        assert (response.status_code, response.json()["code"]) == (422, code), body
    assert Dispute.objects.get(pk=dispute["id"]).status == "open"
    assert api.get_json(f"/api/tournaments/{match['id']}/disputes?status=bogus", user=host).status_code == 422


def test_admin_lists_reports_and_disputes_read_only(api, client, host):
    _, teams, match = start_h2h(api, host)
    home, away = teams[match["home_team"]["id"]], teams[match["away_team"]["id"]]
    report(api, match, home, home_score=1, away_score=0)
    dispute = report(api, match, away, home_score=0, away_score=1).json()["dispute"]
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    for path in ("/admin/competitions/matchreport/", "/admin/competitions/dispute/?status__exact=open"):
        assert client.get(path).status_code == 200, path
    detail = client.get(f"/admin/competitions/dispute/{dispute['id']}/change/")
    assert detail.status_code == 200
    assert b"differ" in detail.content
    assert b'name="_save"' not in detail.content, "disputes are resolved through the API, which records the result"
    assert client.get("/admin/competitions/dispute/add/").status_code == 403
