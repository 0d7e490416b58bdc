"""Real Tesseract on the corpus of game-like screens (tests/matchlog/corpus.py): how many fields are
read right, and whether the confidences tell the right ones from the wrong ones.

Every screen is read once per test session (Tesseract takes a second or two an image); the tests
below grade the same reads. The figures are recorded in docs/RELIABILITY.md ("OCR corpus").
"""

from collections import Counter

import pytest

from matchlog import parsing
from matchlog.ocr import TesseractEngine
from tests.matchlog import corpus

pytestmark = pytest.mark.requires_tesseract

TARGET = 0.97
SURE, DOUBTFUL = 0.8, 0.5  # right fields score above SURE, wrong or missing ones below DOUBTFUL


@pytest.fixture(autouse=True)
def _corpus_fonts():
    corpus.require_fonts()


def _read(screen: corpus.Screen) -> tuple[dict | None, dict | None, str]:
    result = TesseractEngine().read(screen.image)
    try:
        if screen.kind == "battle_royale":
            teams = [parsing.TeamName(id=i, name=name) for i, name in enumerate(screen.lobby, start=1)]
            data, confidence = parsing.parse_battle_royale(result, teams)
        else:
            data, confidence = parsing.parse_score_screen(result)
    except parsing.ParseError as exc:
        return None, None, exc.reason
    return data, confidence, ""


@pytest.fixture(scope="module")
def reads() -> dict[str, tuple[corpus.Screen, dict | None, dict | None, str]]:
    return {screen.name: (screen, *_read(screen)) for screen in corpus.corpus()}


@pytest.fixture(scope="module")
def fields(reads) -> list[corpus.Field]:
    return [field for screen, data, confidence, _ in reads.values() for field in corpus.grade(screen, data, confidence)]


def _summary(fields: list[corpus.Field]) -> str:
    right, total = Counter(), Counter()
    for field in fields:
        total[field.name] += 1
        right[field.name] += field.right
    lines = [f"  {name:<10} {right[name]:>4}/{total[name]:<4} {right[name] / total[name]:.1%}" for name in total]
    wrong = [f"  {f.screen}: {f.name} {f.key} (confidence {f.confidence})" for f in fields if not f.right]
    return "\n".join(["per field:", *lines, "wrong or missing:", *wrong])


def test_the_corpus_is_varied_and_realistic():
    screens = corpus.corpus()
    assert 12 <= len(screens) <= 20  # a second or two each: the whole file stays well under a minute
    tables = [s for s in screens if s.kind == "battle_royale"]
    assert all(12 <= len(s.rows) <= 16 and len(s.lobby) == len(s.rows) + 1 for s in tables)
    assert any(s.home[1] == s.away[1] == 0 for s in screens if s.kind == "score")
    assert all(s.image[:3] == b"\xff\xd8\xff" for s in screens)  # JPEG, as chat apps pass them on
    assert corpus.battle_royale(101).image == corpus.battle_royale(101).image  # seeded: the same every run


def test_at_least_97_percent_of_the_fields_are_read_right(fields, reads):
    failed = {name: reason for name, (_, _, _, reason) in reads.items() if reason}
    accuracy = sum(field.right for field in fields) / len(fields)
    assert accuracy >= TARGET, (
        f"{accuracy:.1%} of {len(fields)} fields right; failed screens {failed}\n{_summary(fields)}"
    )


def test_confidence_separates_right_fields_from_wrong_ones(fields):
    unsure_right = [f for f in fields if f.right and f.confidence <= SURE]
    sure_wrong = [f for f in fields if not f.right and f.confidence >= DOUBTFUL]
    assert not unsure_right, f"right at ≤ {SURE}: {unsure_right}\n{_summary(fields)}"
    assert not sure_wrong, f"wrong at ≥ {DOUBTFUL}: {sure_wrong}\n{_summary(fields)}"


def test_badge_rows_are_read_and_nothing_else_becomes_a_row_or_a_stat(reads):
    for screen, data, _, reason in reads.values():
        assert not reason, f"{screen.name}: {reason}"
        if screen.kind == "battle_royale":
            # The top three rows show a medal, not a number: their placement comes from the row order.
            top = {row["team_name"]: row["placement"] for row in data["rows"] if row["placement"] <= 3}
            assert top == {name: placement for placement, name, _ in screen.rows[:3]}, screen.name
            assert data["unmatched"] == [], screen.name  # the title, subtitle and header are not rows
        else:
            # The division header and the scorer lines are not stats; only known stats are.
            assert set(data["stats"]) <= set(parsing.KNOWN_STATS.values()), (screen.name, data["stats"])
            assert set(data["stats"]) <= set(screen.stats), (screen.name, data["stats"])


def test_a_goalless_draw_is_read(reads):
    screen, data, confidence, reason = reads["score-201"]
    assert screen.home[1] == screen.away[1] == 0
    assert not reason
    assert (data["home"]["score"], data["away"]["score"]) == (0, 0)
    assert confidence["home"]["score"] > SURE
