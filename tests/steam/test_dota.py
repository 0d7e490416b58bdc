"""Dota 2 result import: a host links a Dota 2 match to a head-to-head match; a Celery task
fetches it from the (faked) Steam Web API, places the teams on Radiant and Dire through their
players' linked Steam ids, and records the winner and kills through the results service."""

import threading
from types import SimpleNamespace

import httpx
import pytest
from django.db import connection, transaction

from competitions.models import ResultAudit
from steam.ids import ID64_BASE
from steam.models import DotaMatchLink, SteamAccount
from steam.tasks import import_dota_match
from tests.competitions.conftest import create_published, make_team, register, roster
from tests.conftest import ApiClient
from tests.factories import UserFactory
from tests.steam.conftest import (
    DETAILS,
    HISTORY,
    details,
    details_missing,
    history,
    history_match,
    history_private,
    wait_until_queries_wait_on_locks,
)

pytestmark = pytest.mark.django_db

DOTA_MATCH = 8123456789


def steam_ids_for(team, *, first: int) -> list[int]:
    """Link a Steam account to every rostered player of `team` (as POST /api/me/steam would)."""
    ids = []
    for offset, user_id in enumerate(roster(team)):
        steam_id = ID64_BASE + first + offset
        SteamAccount.objects.create(user_id=user_id, steam_id=steam_id, persona_name=f"p{user_id}")
        ids.append(steam_id)
    return ids


@pytest.fixture
def dota(api, host, games_catalog):
    """An ongoing Dota 2 round-robin of three 5-player teams; `match` is the first one with two teams."""
    tournament = create_published(
        api, host, game="dota-2", format="round_robin", max_teams=3, rounds_count=1, qualify_per_group=0
    )
    teams = [make_team(5) for _ in range(3)]
    for team in teams:
        assert register(api, tournament["id"], team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    matches = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()
    match = next(m for m in matches if m["home_team"] and m["away_team"])
    by_id = {team.pk: team for team in teams}
    home, away = by_id[match["home_team"]["id"]], by_id[match["away_team"]["id"]]
    return SimpleNamespace(
        tournament=tournament,
        match=match,
        matches=matches,
        home=home,
        away=away,
        home_ids=steam_ids_for(home, first=1000),
        away_ids=steam_ids_for(away, first=2000),
    )


def import_(api, host, match_id: int, dota_match_id: int = DOTA_MATCH):
    return api.post_json(f"/api/matches/{match_id}/dota", {"dota_match_id": dota_match_id}, user=host)


def test_import_records_the_winner_and_kills(api, host, dota, steam_api):
    # Home played Dire and won with more kills.
    route = steam_api.get(DETAILS).mock(
        return_value=details(
            DOTA_MATCH, radiant=dota.away_ids, dire=dota.home_ids, radiant_win=False, radiant_score=21, dire_score=38
        )
    )

    response = import_(api, host, dota.match["id"])

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert route.calls.last.request.url.params["match_id"] == str(DOTA_MATCH)
    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "imported", link
    assert link["radiant_team"]["id"] == dota.away.pk
    assert link["dire_team"]["id"] == dota.home.pk
    assert (link["radiant_win"], link["radiant_kills"], link["dire_kills"]) == (False, 21, 38)
    assert link["reason"] == link["note"] == ""
    match = api.get_json(f"/api/matches/{dota.match['id']}").json()
    assert (match["status"], match["home_score"], match["away_score"]) == ("completed", 38, 21)
    assert match["winner"]["id"] == dota.home.pk
    # Recorded through the results service: audited, standings updated.
    audit = ResultAudit.objects.get(match_id=dota.match["id"])
    assert audit.actor_id == host.pk
    assert audit.after == {"home_score": 38, "away_score": 21}
    standings = api.get_json(f"/api/tournaments/{dota.tournament['id']}/standings").json()
    top = standings[0] if isinstance(standings, list) else standings["items"][0]
    assert top["team"]["id"] == dota.home.pk


def test_the_host_can_still_correct_an_imported_result(api, host, dota, steam_api):
    steam_api.get(DETAILS).mock(
        return_value=details(
            DOTA_MATCH, radiant=dota.home_ids, dire=dota.away_ids, radiant_win=True, radiant_score=30, dire_score=12
        )
    )
    assert import_(api, host, dota.match["id"]).status_code == 202

    corrected = api.put_json(
        f"/api/matches/{dota.match['id']}/results", {"home_score": 29, "away_score": 12}, user=host
    )

    assert corrected.status_code == 200
    assert (corrected.json()["home_score"], corrected.json()["away_score"]) == (29, 12)
    assert ResultAudit.objects.filter(match_id=dota.match["id"]).count() == 2


def test_a_win_with_fewer_kills_keeps_the_right_winner(api, host, dota, steam_api):
    steam_api.get(DETAILS).mock(
        return_value=details(
            DOTA_MATCH, radiant=dota.home_ids, dire=dota.away_ids, radiant_win=True, radiant_score=17, dire_score=25
        )
    )

    import_(api, host, dota.match["id"])

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "imported"
    assert "1–0" in link["note"]
    assert (link["radiant_kills"], link["dire_kills"]) == (17, 25)
    match = api.get_json(f"/api/matches/{dota.match['id']}").json()
    assert (match["home_score"], match["away_score"], match["winner"]["id"]) == (1, 0, dota.home.pk)


def test_a_stand_in_and_anonymous_players_do_not_stop_the_mapping(api, host, dota, steam_api):
    # Three of the home team's linked players on Radiant, a stranger and an anonymous player too;
    # the away team on Dire with one of its players missing.
    radiant = [*dota.home_ids[:3], ID64_BASE + 999_999, None]
    dire = [*dota.away_ids[:4], dota.home_ids[4]]
    steam_api.get(DETAILS).mock(
        return_value=details(DOTA_MATCH, radiant=radiant, dire=dire, radiant_win=False, radiant_score=10, dire_score=40)
    )

    import_(api, host, dota.match["id"])

    link = DotaMatchLink.objects.get(match_id=dota.match["id"])
    assert link.status == "imported"
    assert (link.radiant_team_id, link.dire_team_id) == (dota.home.pk, dota.away.pk)
    match = api.get_json(f"/api/matches/{dota.match['id']}").json()
    assert (match["home_score"], match["away_score"], match["winner"]["id"]) == (10, 40, dota.away.pk)


@pytest.mark.parametrize(
    ("sides", "reason"),
    [
        (lambda d, other: ([*d.home_ids], [*other]), "None of"),  # the away team is not in that match
        (lambda d, other: ([*d.home_ids[:3], *d.away_ids[:2]], [*d.home_ids[3:], d.away_ids[2], *other[:2]]), "Most"),
        (lambda d, other: ([*d.home_ids[:2], *d.away_ids[:3]], [*d.home_ids[2:4], *d.away_ids[3:]]), "split evenly"),
    ],
    ids=["team-missing", "same-side", "split"],
)
def test_an_unmappable_match_fails_with_a_reason(api, host, dota, steam_api, sides, reason):
    strangers = [ID64_BASE + 500_000 + n for n in range(5)]
    radiant, dire = sides(dota, strangers)
    steam_api.get(DETAILS).mock(
        return_value=details(DOTA_MATCH, radiant=radiant, dire=dire, radiant_win=True, radiant_score=30, dire_score=20)
    )

    import_(api, host, dota.match["id"])

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "failed"
    assert reason in link["reason"]
    assert link["radiant_kills"] == 30  # what Steam said is kept for the host
    assert api.get_json(f"/api/matches/{dota.match['id']}").json()["status"] == "scheduled"
    assert not ResultAudit.objects.filter(match_id=dota.match["id"]).exists()


def test_a_team_without_linked_steam_accounts_cannot_be_mapped(api, host, dota, steam_api):
    SteamAccount.objects.filter(user_id__in=roster(dota.away)).delete()
    steam_api.get(DETAILS).mock(
        return_value=details(
            DOTA_MATCH, radiant=dota.home_ids, dire=dota.away_ids, radiant_win=True, radiant_score=30, dire_score=20
        )
    )

    import_(api, host, dota.match["id"])

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "failed"
    assert dota.away.name in link["reason"]
    assert "linked a Steam account" in link["reason"]


def test_an_unknown_dota_match_fails_with_a_reason(api, host, dota, steam_api):
    steam_api.get(DETAILS).mock(return_value=details_missing())

    import_(api, host, dota.match["id"])

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "failed"
    assert str(DOTA_MATCH) in link["reason"]


def test_steam_down_during_the_import_fails_with_a_reason(api, host, dota, steam_api):
    steam_api.get(DETAILS).mock(return_value=httpx.Response(503))

    import_(api, host, dota.match["id"])

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "failed"
    assert "Steam" in link["reason"]


def test_posting_again_re_imports_and_match_details_come_from_the_cache(api, host, dota, steam_api):
    route = steam_api.get(DETAILS).mock(
        side_effect=[
            httpx.Response(500),
            details(
                DOTA_MATCH, radiant=dota.home_ids, dire=dota.away_ids, radiant_win=True, radiant_score=30, dire_score=20
            ),
        ]
    )
    import_(api, host, dota.match["id"])
    assert DotaMatchLink.objects.get(match_id=dota.match["id"]).status == "failed"

    import_(api, host, dota.match["id"])
    assert DotaMatchLink.objects.get(match_id=dota.match["id"]).status == "imported"

    # The task delivered twice (acks_late) does nothing the second time, and Steam is not asked again.
    link = DotaMatchLink.objects.get(match_id=dota.match["id"])
    import_dota_match.delay(link.pk, DOTA_MATCH)
    assert route.call_count == 2
    assert ResultAudit.objects.filter(match_id=dota.match["id"]).count() == 1


def test_a_dota_match_can_be_linked_to_one_match_only(api, host, dota, steam_api):
    steam_api.get(DETAILS).mock(return_value=details_missing())
    other = next(m for m in dota.matches if m["home_team"] and m["away_team"] and m["id"] != dota.match["id"])
    assert import_(api, host, dota.match["id"]).status_code == 202

    response = import_(api, host, other["id"])

    assert response.status_code == 409
    assert response.json()["code"] == "dota_match_already_linked"
    # Unlinking frees it.
    assert api.delete_json(f"/api/matches/{dota.match['id']}/dota", user=host).status_code == 204
    assert import_(api, host, other["id"]).status_code == 202
    assert api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).status_code == 404


def test_only_the_host_may_import_or_look(api, host, dota, steam_api):
    player = dota.home.captain
    match_id = dota.match["id"]

    for user in (player, UserFactory(role="host", host_status="approved")):
        assert import_(api, user, match_id).status_code == 403
        assert api.get_json(f"/api/matches/{match_id}/dota", user=user).status_code == 403
        assert api.get_json(f"/api/matches/{match_id}/dota/recent", user=user).status_code == 403
        assert api.delete_json(f"/api/matches/{match_id}/dota", user=user).status_code == 403
    assert import_(api, None, match_id).status_code == 401
    assert import_(api, host, 999_999).status_code == 404
    assert not DotaMatchLink.objects.exists()
    assert not steam_api.calls


def test_only_dota_head_to_head_matches_take_imports(api, host, steam_api):
    tournament = create_published(
        api, host, game="efootball", format="round_robin", max_teams=2, rounds_count=1, qualify_per_group=0
    )
    for _ in range(2):
        assert register(api, tournament["id"], make_team(1)).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]

    response = import_(api, host, match["id"])

    assert response.status_code == 422
    assert response.json()["code"] == "not_dota"


def test_recent_matches_need_a_dota_head_to_head_match(api, host, steam_api):
    """The listing checks the match as an import does: a battle-royale match has no home and away
    team (it was an AttributeError 500)."""
    battle_royale = create_published(api, host, game="bgmi", max_teams=4, rounds_count=1, qualify_per_group=0)
    for _ in range(2):
        assert register(api, battle_royale["id"], make_team(4)).status_code == 201
    assert api.post_json(f"/api/tournaments/{battle_royale['id']}/start", user=host).status_code == 200
    br_match = api.get_json(f"/api/tournaments/{battle_royale['id']}/matches").json()[0]

    response = api.get_json(f"/api/matches/{br_match['id']}/dota/recent", user=host)

    assert response.status_code == 422, response.content
    assert response.json()["code"] == "not_head_to_head"
    assert not steam_api.calls


def test_bad_dota_match_ids_are_422(api, host, dota, steam_api):
    for bad in (0, -5, "abc", None):
        response = api.post_json(f"/api/matches/{dota.match['id']}/dota", {"dota_match_id": bad}, user=host)
        assert response.status_code == 422
    assert not steam_api.calls


def test_recent_matches_of_the_teams_linked_players(api, host, dota, steam_api):
    home_first, away_first, away_second = dota.home_ids[0], dota.away_ids[0], dota.away_ids[1]
    together = history_match(DOTA_MATCH, 1763800000, radiant=dota.away_ids, dire=dota.home_ids)
    pub = history_match(DOTA_MATCH - 7, 1763700000, radiant=[home_first], dire=[], lobby_type=7)
    scrim = history_match(DOTA_MATCH + 5, 1763900000, radiant=dota.home_ids[:3], dire=dota.away_ids[:3])
    by_account = {
        home_first - ID64_BASE: history(together, pub),
        away_first - ID64_BASE: history_private(),
        away_second - ID64_BASE: history(scrim, together),
    }
    route = steam_api.get(HISTORY).mock(side_effect=lambda request: by_account[int(request.url.params["account_id"])])
    url = f"/api/matches/{dota.match['id']}/dota/recent"

    response = api.get_json(url, user=host)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["dota_match_id"] for m in body["matches"]] == [DOTA_MATCH + 5, DOTA_MATCH, DOTA_MATCH - 7]
    newest, ours, solo = body["matches"]
    assert (newest["mappable"], newest["home_side"]) == (True, "radiant")
    assert (ours["mappable"], ours["home_side"]) == (True, "dire")
    assert (ours["home_players_dire"], ours["away_players_radiant"]) == (5, 5)
    assert solo["mappable"] is False
    assert solo["reason"]
    assert solo["lobby_type"] == 7
    histories = {(p["team_id"], p["history"]) for p in body["players"]}
    assert (dota.away.pk, "private") in histories
    assert sum(1 for p in body["players"] if p["history"] != "not_checked") == 3
    assert route.call_count == 3
    # Asked again, the histories come from the cache.
    assert api.get_json(url, user=host).json() == body
    assert route.call_count == 3


def test_recent_matches_when_steam_is_down(api, host, dota, steam_api):
    steam_api.get(HISTORY).mock(side_effect=httpx.ConnectError("refused"))

    response = api.get_json(f"/api/matches/{dota.match['id']}/dota/recent", user=host)

    assert response.status_code == 503
    assert response.json()["code"] == "steam_unavailable"


def test_a_late_failure_never_overwrites_an_imported_link(api, host, dota, steam_api):
    """A second delivery of the import (acks_late redelivery, or a re-post of the same Dota match)
    imports while this one waits on Steam; Steam then fails this one: the link stays imported."""
    answer = details(
        DOTA_MATCH, radiant=dota.home_ids, dire=dota.away_ids, radiant_win=True, radiant_score=30, dire_score=20
    )
    calls = []

    def steam(request):
        calls.append(request)
        if len(calls) == 1:
            link = DotaMatchLink.objects.get(match_id=dota.match["id"])
            import_dota_match.delay(link.pk, DOTA_MATCH)  # the other delivery, while this one waits
            return httpx.Response(503)
        return answer

    steam_api.get(DETAILS).mock(side_effect=steam)

    assert import_(api, host, dota.match["id"]).status_code == 202

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert (link["status"], link["reason"]) == ("imported", "")
    match = api.get_json(f"/api/matches/{dota.match['id']}").json()
    assert (match["status"], match["home_score"], match["away_score"]) == ("completed", 30, 20)
    assert ResultAudit.objects.filter(match_id=dota.match["id"]).count() == 1


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_one_dota_match_linked_to_two_matches_at_once_is_a_clear_409(api, host, dota, steam_api):
    """The second link passes the "linked elsewhere?" check before the first commits, then meets
    the unique dota_match_id: still the clear 409 dota_match_already_linked."""
    other = next(m for m in dota.matches if m["home_team"] and m["away_team"] and m["id"] != dota.match["id"])
    responses = []

    def link_in_a_thread():
        try:
            responses.append(import_(ApiClient(), host, dota.match["id"]))
        finally:
            connection.close()

    thread = threading.Thread(target=link_in_a_thread)
    with transaction.atomic():  # the other match's link, not committed yet
        DotaMatchLink.objects.create(match_id=other["id"], dota_match_id=DOTA_MATCH, requested_by=host)
        thread.start()
        wait_until_queries_wait_on_locks()
    thread.join(timeout=30)

    [response] = responses
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "dota_match_already_linked"
    assert list(DotaMatchLink.objects.values_list("match_id", flat=True)) == [other["id"]]
    assert not steam_api.calls


@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_re_post_while_the_import_runs_does_not_deadlock(api, host, dota, steam_api):
    """The import and a re-post of the link (a double click) lock the match and the link in the
    same order, so neither dies of a deadlock: the import records, the re-post is accepted."""
    steam_api.get(DETAILS).mock(
        return_value=details(
            DOTA_MATCH, radiant=dota.home_ids, dire=dota.away_ids, radiant_win=True, radiant_score=30, dire_score=20
        )
    )
    link = DotaMatchLink.objects.create(match_id=dota.match["id"], dota_match_id=DOTA_MATCH, requested_by=host)
    outcomes, errors = {}, []

    def run(name, call):
        try:
            outcomes[name] = call()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connection.close()

    task = threading.Thread(target=run, args=("task", lambda: import_dota_match.delay(link.pk, DOTA_MATCH)))
    repost = threading.Thread(target=run, args=("repost", lambda: import_(ApiClient(), host, dota.match["id"])))
    with transaction.atomic():  # someone holds the link row: the task queues behind it ...
        list(DotaMatchLink.objects.select_for_update().filter(pk=link.pk))
        task.start()
        wait_until_queries_wait_on_locks(1)
        repost.start()  # ... and so does the re-post
        wait_until_queries_wait_on_locks(2)
    task.join(timeout=30)
    repost.join(timeout=30)

    assert not errors, errors
    assert outcomes["repost"].status_code == 202, outcomes["repost"].content
    assert DotaMatchLink.objects.get(pk=link.pk).status == "imported"
    match = api.get_json(f"/api/matches/{dota.match['id']}").json()
    assert (match["status"], match["home_score"], match["away_score"]) == ("completed", 30, 20)


def test_teams_re_placed_while_steam_is_asked_fail_the_import(api, host, steam_api, games_catalog):
    """Single elimination: the final is linked, then, while Steam is being asked, the host corrects
    a semi-final and another team moves into the final. The Dota 2 result belonged to the old
    pairing, so it is not recorded for the new one."""
    tournament = create_published(
        api, host, game="dota-2", format="single_elimination", max_teams=4, rounds_count=1, qualify_per_group=0
    )
    teams = [make_team(5) for _ in range(4)]
    steam_ids = {team.pk: steam_ids_for(team, first=1000 * (n + 1)) for n, team in enumerate(teams)}
    for team in teams:
        assert register(api, tournament["id"], team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200

    def matches():
        return {m["key"]: m for m in api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()}

    def post(key, home, away):
        response = api.put_json(
            f"/api/matches/{matches()[key]['id']}/results", {"home_score": home, "away_score": away}, user=host
        )
        assert response.status_code == 200, response.content

    semis = sorted(key for key, m in matches().items() if m["home_team"] and m["away_team"])
    for key in semis:
        post(key, 3, 0)
    final = next(m for m in matches().values() if m["id"] not in [matches()[k]["id"] for k in semis])
    home, away = final["home_team"]["id"], final["away_team"]["id"]

    def steam(request):
        post(semis[0], 0, 3)  # the correction, while the import waits on Steam
        return details(
            DOTA_MATCH, radiant=steam_ids[home], dire=steam_ids[away], radiant_win=True, radiant_score=30, dire_score=9
        )

    steam_api.get(DETAILS).mock(side_effect=steam)

    assert import_(api, host, final["id"]).status_code == 202

    now = matches()[final["key"]]
    assert {now["home_team"]["id"], now["away_team"]["id"]} != {home, away}
    assert now["status"] == "scheduled"
    link = api.get_json(f"/api/matches/{final['id']}/dota", user=host).json()
    assert link["status"] == "failed"
    assert "teams changed" in link["reason"]


def test_a_host_cannot_spend_the_shared_steam_budget_alone(api, host, dota, steam_api, settings):
    """Every import and every recent-matches listing asks Steam, from the one budget all players'
    links share: each host's requests are throttled, with Retry-After."""
    settings.ARENA_THROTTLES = {**settings.ARENA_THROTTLES, "steam_dota": "3/h"}
    details_route = steam_api.get(DETAILS).mock(return_value=details_missing())
    steam_api.get(HISTORY).mock(return_value=history_private())
    match_id = dota.match["id"]

    codes = [import_(api, host, match_id, DOTA_MATCH + n).status_code for n in range(2)]
    codes.append(api.get_json(f"/api/matches/{match_id}/dota/recent", user=host).status_code)
    throttled = [
        import_(api, host, match_id, DOTA_MATCH + 9),
        api.get_json(f"/api/matches/{match_id}/dota/recent", user=host),
    ]

    assert codes == [202, 202, 200]
    assert [r.status_code for r in throttled] == [429, 429]
    assert all(r.json()["code"] == "throttled" and int(r["Retry-After"]) > 0 for r in throttled)
    assert details_route.call_count == 2


@pytest.mark.parametrize(
    "result",
    [
        {"radiant_win": True, "radiant_score": None, "dire_score": 3, "players": []},
        {"radiant_win": True, "radiant_score": 30, "dire_score": 9, "start_time": "soon", "players": []},
        {"radiant_win": True, "players": [{"account_id": "x", "player_slot": 0, "kills": 1}]},
        {"radiant_win": True, "players": [{"account_id": 5, "player_slot": None, "kills": None}]},
    ],
    ids=["null-score", "text-time", "text-account", "null-slot"],
)
def test_unreadable_match_details_fail_with_a_reason(api, host, dota, steam_api, result):
    steam_api.get(DETAILS).mock(return_value=httpx.Response(200, json={"result": {"match_id": DOTA_MATCH, **result}}))

    assert import_(api, host, dota.match["id"]).status_code == 202

    link = api.get_json(f"/api/matches/{dota.match['id']}/dota", user=host).json()
    assert link["status"] == "failed"
    assert "could not be read" in link["reason"]
    assert api.get_json(f"/api/matches/{dota.match['id']}").json()["status"] == "scheduled"
