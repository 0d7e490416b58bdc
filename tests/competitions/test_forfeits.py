"""Head-to-head forfeits and double forfeits, through the API: who advances, the standings, corrections."""

import pytest

from tests.competitions.conftest import create_published, make_team, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(api, host, django_capture_on_commit_callbacks):
    """PUT a result as the host, running the commit callbacks (winner selection) as in production."""

    def run(match_id: int, body: dict, *, status: int = 200) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.put_json(f"/api/matches/{match_id}/results", body, user=host)
        assert response.status_code == status, response.content
        return response.json()

    return run


def _setup(api, host, fmt: str, count: int) -> tuple[int, list[int]]:
    tournament = create_published(
        api, host, game="efootball", format=fmt, max_teams=count, rounds_count=1, qualify_per_group=0
    )
    seeds = []
    for _ in range(count):
        team = make_team(1)
        assert register(api, tournament["id"], team).status_code == 201
        seeds.append(team.pk)
    started = api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    assert started.status_code == 200, started.content
    return tournament["id"], seeds


def _matches(api, tid: int) -> dict[str, dict]:
    return {m["key"]: m for m in api.get_json(f"/api/tournaments/{tid}/matches").json()}


def _ids(match: dict) -> tuple[int | None, int | None]:
    return tuple(match[side]["id"] if match[side] else None for side in ("home_team", "away_team"))


def _tournament(api, tid: int) -> dict:
    return api.get_json(f"/api/tournaments/{tid}").json()


def test_a_single_forfeit_advances_the_other_team(api, host, post):
    tid, _ = _setup(api, host, "single_elimination", 4)
    semi = _matches(api, tid)["W1-1"]
    home, away = _ids(semi)
    result = post(semi["id"], {"forfeit": "home"})
    assert (result["status"], result["forfeit"], result["winner"]["id"]) == ("completed", "home", away)
    assert (result["home_score"], result["away_score"]) == (None, None)
    final = _matches(api, tid)[semi["winner_to"]["key"]]
    assert final[f"{semi['winner_to']['side']}_team"]["id"] == away
    assert home not in _ids(final)


def test_a_double_forfeit_gives_the_finals_other_side_a_walkover(api, host, post):
    tid, _ = _setup(api, host, "single_elimination", 4)
    matches = _matches(api, tid)
    double, other = matches["W1-1"], matches["W1-2"]
    result = post(double["id"], {"forfeit": "both"})
    assert (result["winner"], result["forfeit"]) == (None, "both")
    final = _matches(api, tid)[double["winner_to"]["key"]]
    assert final["status"] == "scheduled"
    assert final["is_bye"]
    assert _tournament(api, tid)["status"] == "ongoing"

    other_winner = _ids(other)[0]
    post(other["id"], {"home_score": 3, "away_score": 1})
    final = _matches(api, tid)[final["key"]]
    assert (final["status"], final["winner"]["id"]) == ("completed", other_winner)
    detail = _tournament(api, tid)
    assert detail["status"] == "completed"
    assert detail["winner"]["id"] == other_winner
    assert detail["runner_up"] is None


def test_a_double_forfeit_in_the_final_is_refused(api, host, post):
    tid, _ = _setup(api, host, "single_elimination", 2)
    final = next(iter(_matches(api, tid).values()))
    assert post(final["id"], {"forfeit": "both"}, status=409)["code"] == "double_forfeit_final"
    assert _matches(api, tid)[final["key"]]["status"] == "scheduled"


def test_double_elimination_double_forfeit_losers_stay_out_of_the_losers_bracket(api, host, post):
    tid, _seeds = _setup(api, host, "double_elimination", 4)
    first = _matches(api, tid)["W1-1"]
    forfeited = set(_ids(first))
    post(first["id"], {"forfeit": "both"})
    for _ in range(20):
        matches = _matches(api, tid)
        playable = [
            m for m in matches.values()
            if m["status"] == "scheduled" and not m["is_bye"] and m["home_team"] and m["away_team"]
        ]  # fmt: skip
        if not playable:
            break
        for match in playable:
            assert not forfeited & set(_ids(match)), match["key"]
        # The home side wins every match played.
        post(playable[0]["id"], {"home_score": 2, "away_score": 0})
    matches = _matches(api, tid)
    for match in matches.values():
        if match["bracket"] == "losers":
            assert not forfeited & set(_ids(match)), match["key"]
    detail = _tournament(api, tid)
    assert detail["status"] == "completed"
    assert detail["winner"]["id"] == matches["GF"]["winner"]["id"]
    assert detail["winner"]["id"] not in forfeited
    assert matches["GF2"]["status"] in ("cancelled", "completed")


def test_round_robin_standings_count_forfeits_as_wins_and_losses(api, host, post):
    tid, _ = _setup(api, host, "round_robin", 4)
    matches = [m for m in _matches(api, tid).values() if not m["is_bye"]]
    single, double, scored = matches[0], matches[1], matches[2]
    post(single["id"], {"forfeit": "away"})
    post(double["id"], {"forfeit": "both"})
    post(scored["id"], {"home_score": 2, "away_score": 1})
    rows = {row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tid}/standings").json()}
    expected: dict[int, list[int]] = {}  # wins, losses, points, score_for, score_against

    def add(team, win, loss, scored_for=0, against=0):
        row = expected.setdefault(team, [0, 0, 0, 0, 0])
        row[0] += win
        row[1] += loss
        row[2] += 3 * win
        row[3] += scored_for
        row[4] += against

    home, away = _ids(single)
    add(home, 1, 0)
    add(away, 0, 1)
    for team in _ids(double):
        add(team, 0, 1)
    home, away = _ids(scored)
    add(home, 1, 0, 2, 1)
    add(away, 0, 1, 1, 2)
    for team, (wins, losses, points, score_for, score_against) in expected.items():
        row = rows[team]
        assert (row["wins"], row["losses"], row["points"], row["score_for"], row["score_against"]) == (
            wins, losses, points, score_for, score_against,
        ), team  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"forfeit": "home", "home_score": 1, "away_score": 0},
        {"forfeit": "both", "home_score": 1},
        {"home_score": 1},
        {},
        {"forfeit": "nobody"},
    ],
)
def test_mixed_or_partial_input_is_422(api, host, post, body):
    tid, _ = _setup(api, host, "single_elimination", 4)
    match = _matches(api, tid)["W1-1"]
    error = post(match["id"], body, status=422)
    assert error["detail"]
    assert error["code"]
    assert _matches(api, tid)["W1-1"]["status"] == "scheduled"


def test_a_forfeit_corrected_to_a_score_and_back(api, host, post):
    tid, _ = _setup(api, host, "single_elimination", 4)
    semi = _matches(api, tid)["W1-1"]
    home, away = _ids(semi)
    slot = semi["winner_to"]
    post(semi["id"], {"forfeit": "both"})
    assert _matches(api, tid)[slot["key"]]["is_bye"]

    corrected = post(semi["id"], {"home_score": 2, "away_score": 1})
    assert (corrected["forfeit"], corrected["winner"]["id"], corrected["home_score"]) == (None, home, 2)
    final = _matches(api, tid)[slot["key"]]
    assert not final["is_bye"]
    assert final[f"{slot['side']}_team"]["id"] == home

    back = post(semi["id"], {"forfeit": "home"})
    assert (back["forfeit"], back["winner"]["id"], back["home_score"]) == ("home", away, None)
    assert _matches(api, tid)[slot["key"]][f"{slot['side']}_team"]["id"] == away
    rows = {row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tid}/standings").json()}
    assert (rows[away]["wins"], rows[away]["losses"], rows[home]["wins"], rows[home]["losses"]) == (1, 0, 0, 1)
    assert rows[home]["score_for"] == rows[home]["score_against"] == 0


def test_swiss_double_forfeit_is_a_loss_for_both_and_the_next_round_is_paired(api, host, post):
    tid, _ = _setup(api, host, "swiss", 4)
    first = [m for m in _matches(api, tid).values() if m["round"] == 1 and not m["is_bye"]]
    post(first[0]["id"], {"forfeit": "both"})
    post(first[1]["id"], {"home_score": 1, "away_score": 0})
    rows = {row["team"]["id"]: row for row in api.get_json(f"/api/tournaments/{tid}/standings").json()}
    for team in _ids(first[0]):
        assert (rows[team]["losses"], rows[team]["points"]) == (1, 0)
    assert any(m["round"] == 2 for m in _matches(api, tid).values())
