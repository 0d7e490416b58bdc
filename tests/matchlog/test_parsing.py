"""The parsing layer on canned OCR output (no engine needed)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# --- what real screens add: badges, specks, lookalike digits, header and scorer lines --------------------------

TABLE_HEADER = "MATCH RESULTS\nERANGEL - MATCH 3\n# TEAM KILLS PTS\n"


def test_badge_rows_take_their_placement_from_the_row_order():
    # The top three rows show medals; Tesseract reads them as specks, an O or nothing at all.
    data, confidence = parsing.parse_battle_royale(
        ocr(TABLE_HEADER + "© GODLIKE ESPORTS 12 27\nO] Team Soul 9 21\nOrangutan 7 17\n4 Blind Esports 5 13"),
        TEAMS,
    )
    assert [(row["team_id"], row["placement"], row["kills"]) for row in data["rows"]] == [
        (2, 1, 12),
        (1, 2, 9),
        (3, 3, 7),
        (4, 4, 5),
    ]
    assert [row["read_as"] for row in data["rows"][:2]] == ["GODLIKE ESPORTS", "Team Soul"]
    # The table's start (1) and the next number (4) agree on each badge's place: sure.
    assert all(row["placement"] > 0.8 for row in confidence["rows"])
    assert data["unmatched"] == []  # the title and the subtitle (ending in a number) are not rows
    assert data["warnings"][0] == "3 placement(s) were inferred from the row order."


def test_a_badge_row_next_to_a_lost_row_is_doubtful():
    # The first medal row was not read at all: counting down from 4 and up from 1 disagree.
    data, confidence = parsing.parse_battle_royale(
        ocr(TABLE_HEADER + "@ Team Soul 9 21\n© Orangutan 7 17\n4 Team XO 1 9"), TEAMS
    )
    assert [(row["team_id"], row["placement"]) for row in data["rows"]] == [(1, 2), (3, 3), (5, 4)]
    assert [row["placement"] for row in confidence["rows"][:2]] == [0.3, 0.3]
    assert confidence["rows"][2]["placement"] > 0.8


def test_rows_that_cannot_be_read_are_listed_with_their_raw_text():
    data, _ = parsing.parse_battle_royale(
        ocr(TABLE_HEADER + "1 Team Soul 9 21\n2 Orangutan T2 2O@0.4\n3 Blind Esports 5 13\nPRESS A TO CONTINUE"), TEAMS
    )
    assert [row["team_id"] for row in data["rows"]] == [1, 4]
    # "T2" is no number: the row is not guessed, it is shown for review. The footer is not a row.
    assert data["unmatched"] == [
        {"read_as": "2 Orangutan T2 2O", "placement": None, "kills": None, "raw": "2 Orangutan T2 2O"}
    ]
    assert "1 row(s) could not be read; see unmatched." in data["warnings"]


def test_kills_are_checked_against_the_points_column():
    # Points = placement points + kills; placement points never rise down the table.
    data, confidence = parsing.parse_battle_royale(
        ocr(TABLE_HEADER + "1 Team Soul 9@0.5 24\n2 Orangutan 7@0.95 3\n3 Blind Esports 1@0.96 20"), TEAMS
    )
    assert [row["kills"] for row in data["rows"]] == [9, 7, 1]
    kills = [row["kills"] for row in confidence["rows"]]
    assert kills[0] > 0.8  # read with little confidence, but 24 - 9 = 15 fits the table
    assert kills[1] < 0.5  # 3 - 7 < 0: the 7 (or the 3) is wrong, whatever the engine thought
    assert kills[2] < 0.5  # 20 - 1 = 19 placement points, more than 1st place's 15: wrong


def test_placement_points_after_the_kills_are_not_checked_as_totals():
    # 15 placement points and 9 kills: "PLACEMENT PTS" is not kills + placement points.
    data, confidence = parsing.parse_battle_royale(
        ocr("# TEAM KILLS PLACEMENT PTS\n1 Team Soul 9@0.6 15\n2 Orangutan 7@0.6 12"), TEAMS
    )
    assert [row["kills"] for row in data["rows"]] == [9, 7]
    assert [row["kills"] for row in confidence["rows"]] == [0.6, 0.6]  # unchecked: as read


def test_a_header_with_specks_still_names_the_kills_column():
    data, _ = parsing.parse_battle_royale(
        ocr("~ # SQUAD ON fh FINISHES - POINTS \\\n1 Team Soul 9 21\n2 Orangutan 7 17"), TEAMS
    )
    assert [row["kills"] for row in data["rows"]] == [9, 7]


@pytest.mark.parametrize(
    ("line", "goals"),
    [
        ("Red Dragons O - O Blue Lions", (0, 0)),
        ("Red Dragons 0 - 0 Blue Lions", (0, 0)),
        ("Red Dragons l - 3 Blue Lions", (1, 3)),
        ("Red Dragons S-B Blue Lions", (5, 8)),
        ("Red Dragons 3 =- 4 _ Blue Lions", (3, 4)),
        ("Red Dragons 1O : 2 Blue Lions", (10, 2)),
        ("Red Dragons 4 = ] Blue Lions", (4, 1)),
    ],
)
def test_scores_with_letters_read_for_digits(line, goals):
    data, confidence = parsing.parse_score_screen(ocr(f"DIVISION 5 - FULL TIME\n{line}\n55% Possession 45%"))
    assert (data["home"]["score"], data["away"]["score"]) == goals
    assert (data["home"]["name"], data["away"]["name"]) == ("Red Dragons", "Blue Lions")
    guessed = any(character not in "0123456789 -:=_" for character in line.split("Dragons")[1].split("Blue")[0])
    assert (confidence["home"]["score"] < 0.9) == guessed


@given(
    home=st.integers(0, 19),
    away=st.integers(0, 19),
    swap=st.lists(st.booleans(), min_size=4, max_size=4),
    separator=st.sampled_from(["-", " - ", " – ", " : ", "=-"]),
)
def test_any_score_survives_lookalike_letters(home, away, swap, separator):
    letters = {"0": "O", "1": "l", "5": "S", "8": "B"}
    digits = iter(swap)

    def shown(goals: int) -> str:
        return "".join(letters[c] if c in letters and next(digits, False) else c for c in str(goals))

    data, _ = parsing.parse_score_screen(
        ocr(f"FULL TIME\nRed Dragons {shown(home)}{separator}{shown(away)} Blue Lions")
    )
    assert (data["home"]["score"], data["away"]["score"]) == (home, away)


def test_division_header_and_scorer_lines_are_not_stats():
    data, _ = parsing.parse_score_screen(
        ocr("""
            eFootball League - Division 3 Match 12
            Red Dragons 2 - 1 Blue Lions
            H. Kane 23' K. Mbappe 48'
            Vini Jr. 67°
            55% Possession 45%
            11 Shots 20
        """)
    )
    assert data["stats"] == {"possession": {"home": 55, "away": 45}, "shots": {"home": 11, "away": 20}}
    assert data["unmatched"] == []


@given(
    label=st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz.'", min_size=1, max_size=10), min_size=1, max_size=3)
)
def test_only_known_stats_are_stored(label):
    data, _ = parsing.parse_score_screen(ocr(f"Home 1 - 0 Away\n3 {' '.join(label)} 4"))
    assert set(data["stats"]) <= set(parsing.KNOWN_STATS.values())


def _positioned(text: str) -> OcrResult:
    """Like ocr(), with each word's x position: words on the left half of a line are on the left."""
    lines = []
    for raw in text.strip().splitlines():
        left, _, right = raw.strip().partition("|")
        words = [OcrWord(w, 0.9, x=0.3) for w in left.split()] + [OcrWord(w, 0.9, x=0.7) for w in right.split()]
        lines.append(OcrLine(tuple(words)))
    return OcrResult(tuple(lines))


def test_the_scorers_listed_confirm_or_contradict_the_score():
    screen = "Red Dragons 2 - 1@0.4 Blue Lions\nH. Kane 23' | K. Mbappe 48'\nVini Jr. 67° |\n55% Possession 45%"
    data, confidence = parsing.parse_score_screen(_positioned(screen))
    assert confidence["home"]["score"] > 0.8  # read at 0.4, but two goals listed left and one right
    assert data["warnings"] == []

    data, confidence = parsing.parse_score_screen(_positioned(screen.replace("2 - 1@0.4", "2 - 7")))
    assert confidence["home"]["score"] < 0.5
    assert data["warnings"] == ["The scorers listed (2 and 1) do not match the score."]
