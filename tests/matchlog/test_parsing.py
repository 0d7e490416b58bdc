"""The parsing layer on canned OCR output (no engine needed)."""

import pytest

from matchlog import parsing
from matchlog.ocr import OcrLine, OcrResult, OcrWord

TEAMS = [
    parsing.TeamName(1, "Team Soul", "SOUL"),
    parsing.TeamName(2, "GodLike Esports", "GE"),
    parsing.TeamName(3, "Orangutan", "OG"),
    parsing.TeamName(4, "Blind Esports", "BLD"),
    parsing.TeamName(5, "Team XO", "XO"),
]


def ocr(text: str, confidence: float = 0.9) -> OcrResult:
    """Lines of words; `word@0.4` gives a word its own confidence."""
    lines = []
    for raw in text.strip().splitlines():
        words = []
        for token in raw.split():
            word, _, given = token.partition("@")
            words.append(OcrWord(word, float(given) if given else confidence))
        lines.append(OcrLine(tuple(words)))
    return OcrResult(tuple(lines))


def test_battle_royale_rows_are_matched_to_registered_teams():
    data, confidence = parsing.parse_battle_royale(
        ocr("""
            MATCH RESULTS - ERANGEL
            # TEAM KILLS PTS
            1 GODLIKE ESPORTS 12 27
            2 Team Soul 9 21
            3 0rangutan 7 17
            4 Blind E-sports 5 13
            5 Team X0 0 6
        """),
        TEAMS,
    )
    assert [(row["team_id"], row["placement"], row["kills"]) for row in data["rows"]] == [
        (2, 1, 12),
        (1, 2, 9),
        (3, 3, 7),
        (4, 4, 5),
        (5, 5, 0),
    ]
    assert data["unmatched"] == []
    assert data["missing_team_ids"] == []
    assert data["warnings"] == []
    assert data["rows"][2]["read_as"] == "0rangutan"
    # A name read with a wrong letter is matched with less confidence than an exact one; an exact
    # match to a registered name is sure, whatever the engine thought of its letters (0.9 here).
    assert confidence["rows"][2]["team"] < 0.8 < confidence["rows"][1]["team"] == 0.99
    assert confidence["overall"] == min(min(row.values()) for row in confidence["rows"])


def test_header_tells_which_trailing_column_holds_the_kills():
    data, _ = parsing.parse_battle_royale(
        ocr("""
            RANK TEAM PLACEMENT PTS KILLS TOTAL PTS
            1 Team Soul 15 4 19
            2 Orangutan 12 9 21
        """),
        TEAMS,
    )
    assert [(row["team_id"], row["kills"]) for row in data["rows"]] == [(1, 4), (3, 9)]


def test_without_a_header_the_last_number_is_the_kills_and_names_may_hold_digits():
    teams = [parsing.TeamName(7, "Team 7 Gaming"), parsing.TeamName(8, "Squad 8")]
    data, _ = parsing.parse_battle_royale(ocr("1st Team 7 Gaming 11\n#2 Squad 8 3"), teams)
    assert [(row["team_id"], row["placement"], row["kills"]) for row in data["rows"]] == [(7, 1, 11), (8, 2, 3)]


def test_lookalike_characters_are_read_as_digits_with_less_confidence():
    data, confidence = parsing.parse_battle_royale(ocr("1 Team Soul O\nl Orangutan 1S"), TEAMS)
    # "l" as a placement duplicates 1: the row order says it is 2.
    assert [(row["team_id"], row["placement"], row["kills"]) for row in data["rows"]] == [(1, 1, 0), (3, 2, 15)]
    assert confidence["rows"][0]["kills"] < 0.9
    assert confidence["rows"][1]["placement"] <= 0.5
    assert data["warnings"][0] == "1 placement(s) were inferred from the row order."


def test_unknown_rows_and_missing_teams_are_reported_for_review():
    data, _ = parsing.parse_battle_royale(ocr("1 Team Soul 3\n2 Nobody Here 4\n3 Orangutan 2"), TEAMS)
    assert [row["team_id"] for row in data["rows"]] == [1, 3]
    assert data["unmatched"] == [{"read_as": "Nobody Here", "placement": 2, "kills": 4, "raw": "2 Nobody Here 4"}]
    assert data["missing_team_ids"] == [2, 4, 5]


def test_each_team_is_used_once_best_match_first():
    data, _ = parsing.parse_battle_royale(ocr("1 Team XO 3\n2 Team Soul 1\n3 Team S0ul 2"), TEAMS)
    assert [(row["team_id"], row["read_as"]) for row in data["rows"]] == [(5, "Team XO"), (1, "Team Soul")]
    assert data["unmatched"][0]["read_as"] == "Team S0ul"


def test_a_misread_placement_between_two_others_is_repaired():
    data, confidence = parsing.parse_battle_royale(ocr("1 Team Soul 3\n3 Orangutan 2\n3 Team XO 1"), TEAMS)
    assert [row["placement"] for row in data["rows"]] == [1, 2, 3]
    assert confidence["rows"][1]["placement"] == 0.5


def test_duplicate_placements_that_cannot_be_repaired_lower_the_confidence():
    data, confidence = parsing.parse_battle_royale(
        ocr("1 Team Soul 3\n2 Orangutan 2\n2 Team XO 1\n3 Blind Esports 0"), TEAMS
    )
    assert [row["placement"] for row in data["rows"]] == [1, 2, 2, 3]
    assert "Two teams were read with the same placement." in data["warnings"]
    assert confidence["rows"][1]["placement"] < 0.5
    assert confidence["rows"][2]["placement"] < 0.5


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("FULL TIME\nwell played", "No result rows"),
        ("1 Somebody 3\n2 Else 4", "None of the rows matched"),
    ],
)
def test_battle_royale_failures_say_why(text, reason):
    with pytest.raises(parsing.ParseError, match=reason):
        parsing.parse_battle_royale(ocr(text), TEAMS)


def test_score_screen_with_stats_in_both_layouts():
    data, confidence = parsing.parse_score_screen(
        ocr("""
            FULL TIME
            Red Dragons 2 - 1 Blue Lions
            55% Possession 45%
            Shots 10 7
            5 Shots on Target 3
            Passes@0.8 420 380@0.7
            Posession 1 2
            Tackles won 17 12
        """)
    )
    assert data["home"] == {"name": "Red Dragons", "score": 2}
    assert data["away"] == {"name": "Blue Lions", "score": 1}
    assert data["stats"] == {
        "possession": {"home": 55, "away": 45},
        "shots": {"home": 10, "away": 7},
        "shots_on_target": {"home": 5, "away": 3},
        "passes": {"home": 420, "away": 380},
    }
    # An unknown label is not made into a stat, nor is a second row for a stat already read:
    # the rows are kept, as read, for review.
    assert data["unmatched"] == [{"raw": "Posession 1 2"}, {"raw": "Tackles won 17 12"}]
    assert confidence["stats"]["passes"] == 0.7
    assert confidence["home"]["score"] == 0.9


def test_score_written_as_one_word_and_sanity_checks():
    data, confidence = parsing.parse_score_screen(
        ocr("Home 3-0 Away\nPossession 70% 20%\nShots 2 3\nShots on target 4 1")
    )
    assert (data["home"]["score"], data["away"]["score"]) == (3, 0)
    assert confidence["stats"]["possession"] < 0.5
    assert confidence["stats"]["shots_on_target"] < 0.5
    assert len(data["warnings"]) == 2


def test_no_score_is_a_parse_error():
    with pytest.raises(parsing.ParseError, match="No score"):
        parsing.parse_score_screen(ocr("Possession 55% 45%\nShots 10 7"))


def test_side_of_a_name():
    assert parsing.side_of("blue lions", home="Red Dragons", away="Blue Lions") == "away"
    assert parsing.side_of("RED DRAGONS", home="Red Dragons", away="Blue Lions") == "home"
    assert parsing.side_of("Somebody", home="Red Dragons", away="Blue Lions") is None
