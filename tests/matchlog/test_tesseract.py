"""Real Tesseract through the Celery task, on Pillow-rendered game screens."""

import random

import pytest

from matchlog.ocr import TesseractEngine
from tests.matchlog import corpus, screens
from tests.matchlog.conftest import BR_TEAMS, started_br_match, upload_record, upload_screenshot

pytestmark = [pytest.mark.django_db, pytest.mark.requires_tesseract]

BGMI = [15, 12, 10, 8, 6, 4, 2, 1, 1, 1, 1, 1]


def test_battle_royale_table_is_read_into_placements_and_kills(api, host):
    tournament, teams, match = started_br_match(api, host)
    rng = random.Random(6)
    order = BR_TEAMS[:]
    rng.shuffle(order)
    kills = {name: rng.randint(0, 15) for name in order}
    # As games print them: some names are shown differently from how they were registered.
    shown = {"GodLike Esports": "GODLIKE ESPORTS", "Revenant XSpark": "Revenant X Spark"}
    rows = [
        (place, shown.get(name, name), kills[name], BGMI[place - 1] + kills[name])
        for place, name in enumerate(order, start=1)
    ]

    response = upload_screenshot(api, host, match["id"], screens.battle_royale_results(rows))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    screenshot = api.get_json(f"/api/matches/{match['id']}/screenshots/{response.json()['id']}", user=host).json()

    assert screenshot["status"] == "extracted", screenshot["failure_reason"]
    extracted = screenshot["extracted_data"]
    assert [(row["team_id"], row["placement"], row["kills"]) for row in extracted["rows"]] == [
        (teams[name], place, kills[name]) for place, name in enumerate(order, start=1)
    ]
    assert extracted["unmatched"] == []
    assert extracted["missing_team_ids"] == []
    assert all(0.5 < value <= 1 for row in screenshot["confidence"]["rows"] for value in row.values())

    confirmed = api.post_json(f"/api/matches/{match['id']}/screenshots/{screenshot['id']}/confirm", user=host)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    results = api.get_json(f"/api/matches/{match['id']}").json()["results"]
    assert [(r["team"]["id"], r["placement"], r["kills"]) for r in results] == [
        (teams[name], place, kills[name]) for place, name in enumerate(order, start=1)
    ]
    standings = api.get_json(f"/api/tournaments/{tournament['id']}/standings").json()
    points = {row["team"]["id"]: row["points"] for row in standings}
    assert points == {teams[name]: BGMI[place - 1] + kills[name] for place, name in enumerate(order, start=1)}


def test_efootball_score_screen_is_read_into_score_and_stats(api, user):
    image = screens.score_screen(
        "Blue Lions",
        "Red Dragons",
        1,
        3,
        [
            ("Possession", 44, 56, True),
            ("Shots", 7, 12, False),
            ("Shots on Target", 2, 6, False),
            ("Passes", 380, 455, False),
            ("Pass Accuracy", 79, 88, True),
            ("Fouls", 11, 6, False),
            ("Corner Kicks", 2, 7, False),
        ],
    )
    # The user is Red Dragons (right); their opponent's name tells which side is whose.
    created = upload_record(api, user, image=image, opponent_name="blue lions")
    assert created.status_code == 201, created.content
    record = api.get_json(f"/api/me/matches/{created.json()['id']}", user=user).json()

    assert record["status"] == "extracted", record["failure_reason"]
    data = record["extracted_data"]
    assert (data["home"], data["away"]) == ({"name": "Blue Lions", "score": 1}, {"name": "Red Dragons", "score": 3})
    assert data["user_side"] == "away"
    assert data["proposed"]["score_user"] == 3
    assert data["proposed"]["score_opponent"] == 1
    assert data["proposed"]["stats"] == {
        "possession": {"user": 56, "opponent": 44},
        "shots": {"user": 12, "opponent": 7},
        "shots_on_target": {"user": 6, "opponent": 2},
        "passes": {"user": 455, "opponent": 380},
        "pass_accuracy": {"user": 88, "opponent": 79},
        "fouls": {"user": 6, "opponent": 11},
        "corner_kicks": {"user": 7, "opponent": 2},
    }
    assert record["confidence"]["overall"] > 0.5

    confirmed = api.put_json(f"/api/me/matches/{record['id']}", {}, user=user).json()
    assert (confirmed["status"], confirmed["score_user"], confirmed["score_opponent"]) == ("confirmed", 3, 1)
    assert confirmed["stats"]["possession"] == {"user": 56, "opponent": 44}


def test_blank_screenshot_fails_with_a_reason(api, user):
    created = upload_record(api, user, image=screens.blank())
    assert created.status_code == 201
    record = api.get_json(f"/api/me/matches/{created.json()['id']}", user=user).json()
    assert record["status"] == "failed"
    assert record["failure_reason"] == "No text was found in the screenshot."


def test_unrelated_text_fails_with_a_reason(api, host):
    _, _, match = started_br_match(api, host)
    image = screens.score_screen("Red Dragons", "Blue Lions", 2, 1, [("Possession", 55, 45, True)])
    created = upload_screenshot(api, host, match["id"], image)
    screenshot = api.get_json(f"/api/matches/{match['id']}/screenshots/{created.json()['id']}", user=host).json()
    assert screenshot["status"] == "failed"
    assert "No result rows" in screenshot["failure_reason"]


def test_engine_reads_words_with_confidences():
    result = TesseractEngine().read(screens.battle_royale_results([(1, "Team Soul", 12, 27)]))
    line = next(line for line in result.lines if line.text.startswith("1 "))
    assert line.text == "1 Team Soul 12 27"
    assert all(0.5 < word.confidence <= 1 for word in line.words)


def test_a_game_like_table_with_medal_rows_is_read_through_the_api(api, host):
    """Medals instead of 1-2-3, textured background, condensed bold font, JPEG q70 at 0.75×."""
    corpus.require_fonts()
    screen = corpus.battle_royale(101)
    _, teams, match = started_br_match(api, host, names=screen.lobby)
    response = upload_screenshot(api, host, match["id"], screen.image, name="result.jpg", content_type="image/jpeg")
    assert response.status_code == 201, response.content
    screenshot = api.get_json(f"/api/matches/{match['id']}/screenshots/{response.json()['id']}", user=host).json()

    assert screenshot["status"] == "extracted", screenshot["failure_reason"]
    extracted = screenshot["extracted_data"]
    assert [(row["team_id"], row["placement"], row["kills"]) for row in extracted["rows"]] == [
        (teams[name], placement, kills) for placement, name, kills in screen.rows
    ]
    assert extracted["unmatched"] == []
    (absent,) = set(screen.lobby) - {name for _, name, _ in screen.rows}
    assert extracted["missing_team_ids"] == [teams[absent]]
    assert all(value > 0.8 for row in screenshot["confidence"]["rows"] for value in row.values())


def test_a_goalless_draw_is_read_through_the_api(api, user):
    corpus.require_fonts()
    screen = corpus.score(201, goals=(0, 0))
    created = upload_record(api, user, image=screen.image, opponent_name=screen.away[0])
    assert created.status_code == 201, created.content
    record = api.get_json(f"/api/me/matches/{created.json()['id']}", user=user).json()

    assert record["status"] == "extracted", record["failure_reason"]
    data = record["extracted_data"]
    assert (data["home"], data["away"]) == ({"name": screen.home[0], "score": 0}, {"name": screen.away[0], "score": 0})
    assert (data["proposed"]["score_user"], data["proposed"]["score_opponent"]) == (0, 0)
    assert set(data["stats"]) <= set(screen.stats)  # no header or scorer line became a stat
    assert record["confidence"]["home"]["score"] > 0.8
