"""What one results PUT costs: a fixed number of SQL statements, whatever the lobby and roster sizes,
with career stats and notifications done once, after commit, in one task."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from competitions.models import Game
from realtime.models import Notification
from tests.competitions.conftest import create_published, make_team, register, roster
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

MAX_STATEMENTS = 25


@pytest.fixture
def duos(db):
    """A battle royale for teams of two, so a two-team lobby rosters 4 players."""
    return Game.objects.create(
        slug="duos", name="Duos", format=Game.Format.BATTLE_ROYALE, team_size=2, max_substitutes=0,
        banner="competitions/banners/bgmi.svg", points_table=[10, 6, 5, 4, 3, 2, 1], kill_points=1,
    )  # fmt: skip


def _lobby(api, host, game: str, teams: int, size: int) -> tuple[list, dict]:
    tournament = create_published(
        api, host, game=game, max_teams=teams, group_size=teams, rounds_count=1, qualify_per_group=0,
        matches_per_group=2,
    )  # fmt: skip
    squads = [make_team(size) for _ in range(teams)]
    for squad in squads:
        assert register(api, tournament["id"], squad).status_code == 201
    assert api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host).status_code == 200
    return squads, api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]


def _put(api, host, match: dict, squads: list, *, shift: int = 0, credit: bool = False) -> int:
    """PUT results and count the SQL statements: the request, its after-commit publishing and the
    after-commit task (eager here). Savepoints are the test's own transaction, not the server's."""
    order = squads[shift:] + squads[:shift]
    body = []
    for place, squad in enumerate(order, start=1):
        # Distinct points: ties would add the one tie-break read the data calls for, roster size or not.
        entry = {"team_id": squad.pk, "placement": place, "kills": 2 * (len(order) - place)}
        if credit:
            first, second = roster(squad)[:2]
            kills = entry["kills"]
            entry["player_kills"] = [
                {"user_id": first, "kills": kills - kills // 2},
                {"user_id": second, "kills": kills // 2},
            ]
        body.append(entry)
    headers = bearer(host)
    with CaptureQueriesContext(connection) as queries:
        response = api.put_json(f"/api/matches/{match['id']}/results", body, **headers)
    assert response.status_code == 200, response.content
    return len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]])


def test_a_results_put_costs_the_same_for_4_and_64_rostered_players(api, host, duos):
    small, small_match = _lobby(api, host, "duos", 2, 2)
    large, large_match = _lobby(api, host, "bgmi", 16, 4)
    assert sum(len(roster(s)) for s in small) == 4
    assert sum(len(roster(s)) for s in large) == 64

    counts = {
        "first": (_put(api, host, small_match, small), _put(api, host, large_match, large)),
        "correction": (_put(api, host, small_match, small, shift=1), _put(api, host, large_match, large, shift=1)),
        "credited kills": (
            _put(api, host, small_match, small, credit=True),
            _put(api, host, large_match, large, credit=True),
        ),
    }
    for label, (for_4, for_64) in counts.items():
        assert for_4 == for_64, f"{label}: {for_4} statements for 4 players, {for_64} for 64"
        assert for_64 <= MAX_STATEMENTS, f"{label}: {for_64} statements"

    # The after-commit task did its work: every rostered player was told, once per PUT, and the
    # career stats count the final result only (the correction took the first one back).
    players = [uid for squad in large for uid in roster(squad)]
    assert Notification.objects.filter(user_id__in=players, kind="results_posted").count() == 64 * 3
    winner = large[0]  # first in the last PUT, with 30 kills: 15 each for its first two players
    star, other = roster(winner)[:2]
    stats = User.objects.get(pk=star).stats
    assert (stats.matches_played, stats.wins, stats.kills, stats.placements_counted) == (1, 1, 15, 1)
    assert User.objects.get(pk=other).stats.kills == 15
    assert User.objects.get(pk=roster(winner)[2]).stats.matches_played == 0  # credited players only
    winner.refresh_from_db()
    assert (winner.stats.matches_played, winner.stats.wins, winner.stats.kills, winner.stats.placement_total) == (
        1,
        1,
        30,
        1,
    )
    assert large[1].stats.placement_total == 2


def test_the_put_answers_the_match_as_a_read_shows_it_to_the_host(api, host, duos):
    """The answer is built from what was written (not read back): it must equal GET /api/matches/{id},
    room details included, for a first result, credited kills and a correction."""
    squads, match = _lobby(api, host, "duos", 2, 2)
    room = {"room_id": "R-1234", "room_password": "pw", "map_name": "Erangel", "scheduled_at": "2030-01-02T03:04:05Z"}
    assert api.patch_json(f"/api/matches/{match['id']}", room, user=host).status_code == 200
    first, second = squads
    bodies = [
        [{"team_id": first.pk, "placement": 1, "kills": 3}, {"team_id": second.pk, "placement": 2, "kills": 0}],
        [
            {"team_id": second.pk, "placement": 1, "kills": 2,
             "player_kills": [{"user_id": roster(second)[0], "kills": 2}]},
            {"team_id": first.pk, "placement": 2, "kills": 1},
        ],
        [{"team_id": first.pk, "placement": 1, "kills": 0}, {"team_id": second.pk, "absent": True}],
    ]  # fmt: skip
    for body in bodies:
        response = api.put_json(f"/api/matches/{match['id']}/results", body, user=host)
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json; charset=utf-8"
        read = api.get_json(f"/api/matches/{match['id']}", user=host).json()
        assert response.json() == read
        assert (read["room_id"], read["status"], len(read["results"])) == ("R-1234", "completed", len(
            [entry for entry in body if not entry.get("absent")]))  # fmt: skip
