"""Battle-royale scoring through the API: presets, rules and tie-breakers per tournament (422 for bad ones),
disqualification, head starts, and an ALGS-style match-point final played out over HTTP."""

import pytest

from tests.competitions.conftest import create_published, make_team, register, tournament_body

pytestmark = pytest.mark.django_db

ONE_LOBBY = {"max_teams": 4, "group_size": 4, "rounds_count": 1, "qualify_per_group": 0}


def _error_keys(response) -> set[str]:
    assert response.status_code == 422, response.content
    return {str(part) for error in response.json().get("errors", []) for part in error["loc"]}


def _started(api, host, teams: int = 4, **overrides) -> tuple[dict, list, dict]:
    """A published, started one-lobby battle royale: (tournament, teams, {team_id: registration_id})."""
    tournament = create_published(api, host, **{**ONE_LOBBY, "max_teams": teams, "group_size": teams, **overrides})
    squads = [make_team(4) for _ in range(teams)]
    registrations = {}
    for squad in squads:
        response = register(api, tournament["id"], squad)
        assert response.status_code == 201, response.content
        registrations[squad.pk] = response.json()["id"]
    started = api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    assert started.status_code == 200, started.content
    return started.json(), squads, registrations


def _matches(api, tid: int) -> list[dict]:
    return api.get_json(f"/api/tournaments/{tid}/matches").json()


def _post(api, host, match_id: int, placings: list[tuple[int, int]], absent: tuple[int, ...] = ()):
    body = [{"team_id": team, "placement": place, "kills": kills} for place, (team, kills) in enumerate(placings, 1)]
    body += [{"team_id": team, "absent": True} for team in absent]
    return api.put_json(f"/api/matches/{match_id}/results", body, user=host)


def _table(api, tid: int, **query) -> list[dict]:
    suffix = "&".join(f"{key}={value}" for key, value in query.items())
    response = api.get_json(f"/api/tournaments/{tid}/standings" + (f"?{suffix}" if suffix else ""))
    assert response.status_code == 200, response.content
    return response.json()


# --- presets and rules ----------------------------------------------------------------------


def test_the_presets_are_public(api, games_catalog):
    response = api.get_json("/api/scoring-presets")
    assert response.status_code == 200
    presets = {p["name"]: p for p in response.json()}
    assert presets["pmgc"]["points_table"] == [10, 6, 5, 4, 3, 2, 1, 1]
    assert presets["pmpl_15"]["points_table"] == [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]
    assert presets["ffws"]["points_table"] == [12, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    assert presets["algs"]["points_table"][:10] == [12, 9, 7, 5, 4, 3, 3, 2, 2, 2]
    assert all(p["kill_points"] == 1 for p in presets.values())


def test_the_games_table_stays_the_default(api, host, games_catalog):
    created = api.post_json("/api/tournaments", tournament_body(), user=host).json()
    assert created["points_table"] == [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]  # BGMI's own
    assert created["scoring"]["preset"] is None
    assert created["scoring"]["tie_breakers"] == ["points", "wins", "placement_points", "kills", "latest_match"]
    assert created["scoring"]["dq_points"] == "keep"
    valorant = api.post_json(
        "/api/tournaments", tournament_body(game="valorant", format="round_robin", **ONE_LOBBY), user=host
    )
    assert valorant.json()["scoring"] is None


def test_a_preset_and_rules_are_stored_and_patch_merges_them(api, host, games_catalog):
    scoring = {
        "preset": "pmgc", "kill_cap": 8, "wwcd_bonus": 2, "best_of": 2, "dq_points": "void",
        "kill_tiers": [{"from_kill": 1, "points": 1}, {"from_kill": 5, "points": 2}],
        "tie_breakers": ["points", "kills", "head_to_head"],
    }  # fmt: skip
    created = api.post_json("/api/tournaments", tournament_body(scoring=scoring), user=host)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["points_table"], body["kill_points"]) == ([10, 6, 5, 4, 3, 2, 1, 1], 1)
    assert {key: body["scoring"][key] for key in scoring} == scoring

    tid = body["id"]
    patched = api.patch_json(f"/api/tournaments/{tid}", {"scoring": {"kill_cap": 3}}, user=host).json()
    assert patched["scoring"]["kill_cap"] == 3
    assert patched["scoring"]["preset"] == "pmgc"
    assert patched["scoring"]["wwcd_bonus"] == 2
    patched = api.patch_json(f"/api/tournaments/{tid}", {"scoring": {"preset": "ffws"}}, user=host).json()
    assert patched["points_table"] == [12, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]
    # A table set by hand is no longer the preset.
    patched = api.patch_json(f"/api/tournaments/{tid}", {"points_table": [5, 3, 1]}, user=host).json()
    assert (patched["points_table"], patched["scoring"]["preset"]) == ([5, 3, 1], None)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"scoring": {"preset": "pmgc"}, "points_table": [3, 2, 1]}, "scoring.preset"),
        ({"scoring": {"preset": "pubg_2018"}}, "preset"),
        ({"scoring": {"best_of": 3}}, "scoring.best_of"),  # matches_per_group is 2
        ({"scoring": {"match_point": 50, "best_of": 1}}, "scoring.match_point"),
        ({"scoring": {"tie_breakers": ["kills", "points"]}}, "scoring.tie_breakers"),
        ({"scoring": {"tie_breakers": ["points", "luck"]}}, "tie_breakers"),
        ({"scoring": {"kill_tiers": [{"from_kill": 3, "points": 1}]}}, "scoring.kill_tiers"),
        ({"scoring": {"head_start": {"999999": 5}}}, "scoring.head_start"),
        ({"scoring": {"kill_cap": -1}}, "kill_cap"),
        ({"scoring": {"bonus": 1}}, "bonus"),
    ],
)
def test_bad_scoring_is_a_422_naming_the_rule(api, host, games_catalog, overrides, key):
    assert key in _error_keys(api.post_json("/api/tournaments", tournament_body(**overrides), user=host))


def test_scoring_is_refused_for_head_to_head(api, host, games_catalog):
    body = tournament_body(game="valorant", format="round_robin", scoring={"wwcd_bonus": 1}, **ONE_LOBBY)
    response = api.post_json("/api/tournaments", body, user=host)
    assert (response.status_code, response.json()["code"]) == (422, "scoring_not_for_head_to_head")


def test_rules_score_the_matches_posted(api, host, games_catalog):
    """PMGC with a kill cap of 5, a 3-point WWCD bonus and kills tied before wins."""
    scoring = {"preset": "pmgc", "kill_cap": 5, "wwcd_bonus": 3, "tie_breakers": ["points", "kills", "wins"]}
    tournament, squads, _ = _started(api, host, scoring=scoring, matches_per_group=2)
    tid = tournament["id"]
    a, b, c, d = (s.pk for s in squads)
    first, second = _matches(api, tid)
    response = _post(api, host, first["id"], [(a, 9), (b, 1), (c, 0), (d, 0)])
    assert response.status_code == 200, response.content
    points = {r["team"]["id"]: (r["placement_points"], r["points"]) for r in response.json()["results"]}
    assert points == {a: (10, 18), b: (6, 7), c: (5, 5), d: (4, 4)}  # 10 + 3 bonus + 5 capped kills
    # Match 2: b wins with no kills (13 points), d takes 12 kills (5 count) as 2nd.
    assert _post(api, host, second["id"], [(b, 0), (d, 12), (c, 4), (a, 0)]).status_code == 200
    table = {row["team"]["id"]: row for row in _table(api, tid)}
    assert {team: table[team]["points"] for team in (a, b, c, d)} == {a: 22, b: 20, c: 14, d: 15}
    assert table[a]["kills"] == 9
    assert table[d]["kills"] == 12


# --- disqualification -------------------------------------------------------------------------


@pytest.mark.parametrize(("dq_points", "kept"), [("keep", True), ("void", False)])
def test_a_disqualified_team_ranks_last_plays_no_more_and_cannot_win(api, host, games_catalog, dq_points, kept):
    tournament, squads, registrations = _started(
        api, host, matches_per_group=3, scoring={"preset": "pmgc", "dq_points": dq_points}
    )
    tid = tournament["id"]
    a, b, c, d = (s.pk for s in squads)
    first, second, third = _matches(api, tid)
    assert _post(api, host, first["id"], [(a, 10), (b, 0), (c, 0), (d, 0)]).status_code == 200

    path = f"/api/tournaments/{tid}/registrations/{registrations[a]}/disqualify"
    assert api.post_json(path, user=squads[0].captain).status_code == 403
    response = api.post_json(path, user=host)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "disqualified"
    assert response.json()["disqualified_at"]
    assert api.post_json(path, user=host).json()["code"] == "not_confirmed"

    table = _table(api, tid)
    assert [row["team"]["id"] for row in table][-1] == a
    assert (table[-1]["status"], table[-1]["decided_by"], table[-1]["points"]) == (
        "disqualified", "disqualified", 20 if kept else 0,
    )  # fmt: skip
    # No further match for the team: left out is fine, a placement is refused.
    refused = _post(api, host, second["id"], [(a, 0), (b, 0), (c, 0), (d, 0)])
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_results")
    assert "disqualified" in refused.json()["detail"]
    assert _post(api, host, second["id"], [(b, 0), (c, 8), (d, 0)]).status_code == 200
    # Its earlier result can still be corrected (kept or not, its 30 points win nothing).
    assert _post(api, host, first["id"], [(a, 20), (b, 0), (c, 0), (d, 0)]).status_code == 200
    assert _post(api, host, third["id"], [(d, 0), (b, 0), (c, 0)]).status_code == 200

    done = api.get_json(f"/api/tournaments/{tid}").json()
    assert done["status"] == "completed"
    assert a not in {done[place]["id"] for place in ("winner", "runner_up", "third_place")}
    assert done["winner"]["id"] == c  # c: 5 + (6+8) + 5 = 24, b: 6 + 10 + 6 = 22, d: 4 + 5 + 10 = 19


def test_only_an_ongoing_battle_royale_disqualifies(api, host, games_catalog):
    tournament = create_published(api, host, **ONE_LOBBY)
    squad = make_team(4)
    registration = register(api, tournament["id"], squad).json()
    path = f"/api/tournaments/{tournament['id']}/registrations/{registration['id']}/disqualify"
    assert api.post_json(path, user=host).json()["code"] == "not_ongoing"
    assert (
        api.post_json(f"/api/tournaments/{tournament['id']}/registrations/999999/disqualify", user=host).status_code
        == 404
    )


# --- head start and carry-over ----------------------------------------------------------------


def test_head_start_opens_round_one_and_carry_over_feeds_round_two(api, host, games_catalog):
    squads = [make_team(4) for _ in range(4)]
    a, b, c, d = (s.pk for s in squads)
    tournament = create_published(
        api, host, max_teams=4, group_size=4, rounds_count=2, qualify_per_group=2, matches_per_group=1,
        scoring={"preset": "pmgc", "head_start": {str(d): 7}, "carry_over": True},
    )  # fmt: skip
    tid = tournament["id"]
    for squad in squads:
        assert register(api, tid, squad).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    opening = {row["team"]["id"]: row for row in _table(api, tid, round=1)}
    assert (opening[d]["points"], opening[d]["head_start"], opening[d]["rank"]) == (7, 7, 1)

    [match] = _matches(api, tid)
    assert _post(api, host, match["id"], [(a, 2), (b, 0), (c, 0), (d, 0)]).status_code == 200
    round_one = {row["team"]["id"]: row["points"] for row in _table(api, tid, round=1)}
    assert round_one == {a: 12, d: 7 + 4, b: 6, c: 5}
    assert api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host).status_code == 200
    round_two = {row["team"]["id"]: (row["points"], row["head_start"]) for row in _table(api, tid, round=2)}
    assert round_two == {a: (12, 12), d: (11, 11)}


# --- match point ------------------------------------------------------------------------------


def test_an_algs_match_point_final_plays_out_over_http(api, host, games_catalog):
    """ALGS table, match point at 20. A reaches 20 in match 1; B wins match 2 short of it; C wins match 3
    (a team at match point must win); every scheduled match is played and nobody has won, so the final
    goes on: the host adds two matches, A wins the first and is champion, the second is cancelled and the
    tournament completes with A first, though B has more points."""
    tournament, squads, _ = _started(api, host, matches_per_group=3, scoring={"preset": "algs", "match_point": 20})
    tid = tournament["id"]
    a, b, c, d = (s.pk for s in squads)
    matches = _matches(api, tid)
    assert _post(api, host, matches[0]["id"], [(a, 8), (b, 2), (c, 0), (d, 0)]).status_code == 200  # a 20, b 11
    table = {row["team"]["id"]: row for row in _table(api, tid)}
    assert table[a]["status"] == "match_point"
    assert table[b]["status"] is None
    assert _post(api, host, matches[1]["id"], [(b, 9), (a, 0), (c, 0), (d, 0)]).status_code == 200  # b 32, a 29
    table = {row["team"]["id"]: row for row in _table(api, tid)}
    assert (table[b]["status"], table[a]["status"]) == ("match_point", "match_point")  # b won while short
    assert _post(api, host, matches[2]["id"], [(c, 0), (b, 5), (a, 0), (d, 0)]).status_code == 200  # b 46, a 36
    assert api.get_json(f"/api/tournaments/{tid}").json()["status"] == "ongoing"
    assert api.post_json(f"/api/tournaments/{tid}/select-winner", user=host).json()["code"] == "not_finished"

    group_id = api.get_json(f"/api/tournaments/{tid}/rounds").json()[0]["groups"][0]["id"]
    extra = [api.post_json(f"/api/tournaments/{tid}/matches", {"group_id": group_id}, user=host) for _ in range(2)]
    assert [response.status_code for response in extra] == [201, 201]
    assert _post(api, host, extra[0].json()["id"], [(a, 0), (b, 6), (c, 0), (d, 0)]).status_code == 200

    done = api.get_json(f"/api/tournaments/{tid}").json()
    assert (done["status"], done["winner"]["id"], done["runner_up"]["id"]) == ("completed", a, b)
    table = _table(api, tid)
    assert [(row["team"]["id"], row["status"]) for row in table[:2]] == [(a, "champion"), (b, "match_point")]
    assert table[1]["points"] > table[0]["points"]
    assert table[1]["decided_by"] == "match_point"
    assert api.get_json(f"/api/matches/{extra[1].json()['id']}").json()["status"] == "cancelled"


def test_a_disqualified_team_does_not_qualify_for_the_next_round(api, host, games_catalog):
    squads = [make_team(4) for _ in range(4)]
    a, b, c, d = (s.pk for s in squads)
    tournament = create_published(
        api, host, max_teams=4, group_size=4, rounds_count=2, qualify_per_group=2, matches_per_group=1,
        scoring={"preset": "pmgc"},
    )  # fmt: skip
    tid = tournament["id"]
    registrations = {squad.pk: register(api, tid, squad).json()["id"] for squad in squads}
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    [match] = _matches(api, tid)
    assert _post(api, host, match["id"], [(a, 5), (b, 0), (c, 0), (d, 0)]).status_code == 200
    assert (
        api.post_json(f"/api/tournaments/{tid}/registrations/{registrations[a]}/disqualify", user=host).status_code
        == 200
    )
    assert api.post_json(f"/api/tournaments/{tid}/rounds/1/advance", user=host).status_code == 200
    assert {row["team"]["id"] for row in _table(api, tid, round=2)} == {b, c}

    # Disqualified before the round is played: it stays unranked, the team marked.
    assert (
        api.post_json(f"/api/tournaments/{tid}/registrations/{registrations[b]}/disqualify", user=host).status_code
        == 200
    )
    round_two = {row["team"]["id"]: (row["rank"], row["status"]) for row in _table(api, tid, round=2)}
    assert round_two == {b: (0, "disqualified"), c: (0, None)}
