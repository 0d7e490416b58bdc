import pytest

from accounts.models import User
from tests.competitions.conftest import create_published, make_team, register, roster

pytestmark = pytest.mark.django_db


def test_career_stats_follow_results_corrections_and_wins(api, host, django_capture_on_commit_callbacks):
    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1, matches_per_group=2)
    alpha, bravo = make_team(4), make_team(4)
    for team in (alpha, bravo):
        register(api, tournament["id"], team)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    first, second = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()
    star = roster(alpha)[1]

    def post(match, alpha_place, alpha_kills, player_kills):
        body = [
            {"team_id": alpha.pk, "placement": alpha_place, "kills": alpha_kills, "player_kills": player_kills},
            {"team_id": bravo.pk, "placement": 3 - alpha_place, "kills": 0},
        ]
        with django_capture_on_commit_callbacks(execute=True):
            return api.put_json(f"/api/matches/{match['id']}/results", body, user=host)

    assert post(first, 2, 3, [{"user_id": star, "kills": 3}]).status_code == 200
    # Corrected: alpha actually won that match with 4 kills, all by the star.
    assert post(first, 1, 4, [{"user_id": star, "kills": 4}]).status_code == 200
    bad = post(second, 1, 2, [{"user_id": star, "kills": 5}])
    assert bad.status_code == 422
    assert "add up" in bad.json()["detail"]
    stranger = post(second, 1, 2, [{"user_id": roster(bravo)[0], "kills": 2}])
    assert stranger.status_code == 422
    assert (
        post(second, 1, 2, [{"user_id": star, "kills": 1}, {"user_id": alpha.captain_id, "kills": 1}]).status_code
        == 200
    )

    assert api.get_json(f"/api/tournaments/{tournament['id']}").json()["winner"]["id"] == alpha.pk
    team_stats = api.get_json(f"/api/teams/{alpha.pk}").json()["stats"]
    assert team_stats == {
        "tournaments_played": 1,
        "tournaments_won": 1,
        "matches_played": 2,
        "wins": 2,
        "kills": 6,
        "average_placement": 1.0,
    }
    profile = api.get_json(f"/api/users/{User.objects.get(pk=star).username}").json()["stats"]
    assert (profile["kills"], profile["matches_played"], profile["wins"], profile["tournaments_won"]) == (5, 2, 2, 1)
    # Podium XP through the wallet: 500 for each winning starter, 250 for the runner-up's.
    star_user = User.objects.get(pk=star)
    assert api.get_json("/api/wallet", user=star_user).json()["xp"] == 500
    ledger = api.get_json("/api/wallet/ledger", user=star_user).json()["items"]
    assert [(e["source_kind"], e["amount"]) for e in ledger] == [("tournament_prize", 500)]
    assert api.get_json("/api/wallet", user=bravo.captain).json()["xp"] == 250
    loser = api.get_json(f"/api/teams/{bravo.pk}").json()["stats"]
    assert (loser["tournaments_played"], loser["tournaments_won"], loser["wins"], loser["average_placement"]) == (
        1,
        0,
        0,
        2.0,
    )


def test_corrections_whose_tasks_run_out_of_order_are_applied_in_order(api, host, monkeypatch):
    """Two quick corrections of one match: the second's after-commit task can run first (workers in
    parallel). It applies the first change before its own, so stats never go below zero (their check
    constraints turned that into a 409 after the result had committed), and the first task then has
    nothing left to do. Tasks are sent to a broker that keeps them, then run in reverse order."""
    from kombu import Producer

    from arena.celery import app as celery_app
    from competitions import tasks

    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1, matches_per_group=2)
    alpha, bravo = make_team(4), make_team(4)
    for team in (alpha, bravo):
        register(api, tournament["id"], team)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    first = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]

    queued: list[int] = []

    def keep(self, body, routing_key=None, **kwargs):  # the broker: keeps the results tasks, runs nothing
        if kwargs.get("headers", {}).get("task") == tasks.apply_result_effects.name:
            queued.append(body[0][0])

    celery_app.conf.task_always_eager = False  # the autouse _celery_inline fixture restores it
    monkeypatch.setattr(Producer, "publish", keep)
    for alpha_place, kills in ((1, 3), (2, 0), (1, 5)):  # a result, then two corrections
        body = [
            {"team_id": alpha.pk, "placement": alpha_place, "kills": kills},
            {"team_id": bravo.pk, "placement": 3 - alpha_place, "kills": 0},
        ]
        assert api.put_json(f"/api/matches/{first['id']}/results", body, user=host).status_code == 200
    assert len(queued) == 3
    for audit_id in reversed(queued):
        tasks.apply_result_effects.apply(args=[audit_id]).get()

    stats = api.get_json(f"/api/teams/{alpha.pk}").json()["stats"]
    assert (stats["matches_played"], stats["wins"], stats["kills"], stats["average_placement"]) == (1, 1, 5, 1.0)
    loser = api.get_json(f"/api/teams/{bravo.pk}").json()["stats"]
    assert (loser["matches_played"], loser["wins"], loser["average_placement"]) == (1, 0, 2.0)


def test_standings_are_cached_until_a_result_changes_them(api, host, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    tournament = create_published(api, host, max_teams=2, group_size=2, rounds_count=1, matches_per_group=2)
    alpha, bravo = make_team(4), make_team(4)
    for team in (alpha, bravo):
        register(api, tournament["id"], team)
    api.post_json(f"/api/tournaments/{tournament['id']}/start", user=host)
    url = f"/api/tournaments/{tournament['id']}/standings"
    with CaptureQueriesContext(connection) as cold:
        before = api.get_json(url).json()
    with CaptureQueriesContext(connection) as warm:
        assert api.get_json(url).json() == before
    assert not any("competitions_standing" in q["sql"] for q in warm.captured_queries)
    assert any("competitions_standing" in q["sql"] for q in cold.captured_queries)

    match = api.get_json(f"/api/tournaments/{tournament['id']}/matches").json()[0]
    body = [{"team_id": bravo.pk, "placement": 1, "kills": 3}, {"team_id": alpha.pk, "placement": 2, "kills": 0}]
    assert api.put_json(f"/api/matches/{match['id']}/results", body, user=host).status_code == 200
    after = api.get_json(url).json()
    assert [row["team"]["id"] for row in after] == [bravo.pk, alpha.pk]
    assert after[0]["points"] == 18


def test_banner_upload_replaces_the_game_default(api, host):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.conftest import bearer

    tournament = create_published(api, host)
    assert tournament["banner_url"].endswith("/static/competitions/banners/bgmi.svg")
    out = io.BytesIO()
    Image.new("RGB", (3200, 1200), (10, 20, 30)).save(out, format="PNG")
    upload = SimpleUploadedFile("banner.png", out.getvalue(), content_type="image/png")
    response = api.post(f"/api/tournaments/{tournament['id']}/banner", {"image": upload}, **bearer(host))
    assert response.status_code == 200, response.content
    assert "/media/banners/" in response.json()["banner_url"]
    fake = SimpleUploadedFile("banner.png", b"not an image at all", content_type="image/png")
    assert api.post(f"/api/tournaments/{tournament['id']}/banner", {"image": fake}, **bearer(host)).status_code == 415
    other = make_team(1).captain
    upload.seek(0)
    assert (
        api.post(f"/api/tournaments/{tournament['id']}/banner", {"image": upload}, **bearer(other)).status_code == 403
    )
