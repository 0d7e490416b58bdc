"""Turn OCR lines into structured results, each field with a confidence in 0..1. Pure: no ORM.

Two screen shapes:
- battle royale results tables: one row per team, `placement  team name  kills` (a header
  row such as `# TEAM KILLS PTS` tells which trailing column holds the kills); team names
  are matched to the registered ones with fuzzy matching;
- score screens (eFootball style): `Home 2 - 1 Away`, then stat rows such as
  `Possession 55% 45%` or `55% Possession 45%`.

A field's confidence is the OCR engine's confidence in the words it came from, lowered
when a character had to be guessed (O read as 0) or a check failed, and multiplied by the
match score for team names.
"""

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from matchlog.ocr import OcrLine, OcrResult, OcrWord


class ParseError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Characters Tesseract confuses with digits, applied only to short tokens that look numeric.
DIGIT_LOOKALIKES = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "|": "1", "i": "1", "!": "1",
     "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9", "A": "4", "b": "6"}
)  # fmt: skip
GUESSED_DIGIT_PENALTY = 0.6
ORDINAL = re.compile(r"^(\d{1,3})(st|nd|rd|th)$", re.IGNORECASE)
TEAM_MATCH_THRESHOLD = 75
LABEL_MATCH_THRESHOLD = 85


@dataclass(frozen=True)
class Number:
    value: int
    confidence: float
    percent: bool = False


def _round(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 2)


def read_number(word: OcrWord) -> Number | None:
    """A non-negative integer from one OCR word ("12", "#1", "1st", "55%", "O" → 0), or None."""
    token = word.text.strip(".,:;()[]{}'\"#*")
    percent = token.endswith("%")
    token = token.rstrip("%")
    ordinal = ORDINAL.match(token)
    if ordinal:
        token = ordinal.group(1)
    if token.isdigit() and token.isascii():
        return Number(int(token), word.confidence, percent)
    if token and len(token) <= 3 and (len(token) == 1 or any(c.isdigit() for c in token)):
        fixed = token.translate(DIGIT_LOOKALIKES)
        if fixed.isdigit() and fixed.isascii():
            return Number(int(fixed), word.confidence * GUESSED_DIGIT_PENALTY, percent)
    return None


def _words_confidence(words) -> float:
    words = list(words)
    return sum(word.confidence for word in words) / len(words) if words else 0.0


def _has_letters(text: str) -> bool:
    return any(character.isalpha() for character in text)


def name_similarity(read: str, candidate: str) -> float:
    """0..100: how alike an OCR'd name and a known one are, forgiving split or merged words."""
    a, b = default_process(read), default_process(candidate)
    if not a or not b:
        return 0.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


# --- battle royale ---------------------------------------------------------------------------------------------

KILL_WORDS = {"kills", "kill", "finishes", "finish", "elims", "eliminations", "frags"}
POINT_WORDS = {"pts", "points", "score", "total"}
MODIFIER_WORDS = {"placement", "place", "position", "pos", "total", "kill", "rank"}
TEAM_WORDS = {"team", "teams", "squad", "name", "player"}


@dataclass(frozen=True)
class TeamName:
    id: int
    name: str
    tag: str = ""


def _header_columns(line: OcrLine) -> tuple[int, int] | None:
    """(trailing numeric columns, index of the kills column among them) from a header row."""
    words = [default_process(word.text) for word in line.words]
    if not any(word in KILL_WORDS for word in words):
        return None
    team_at = max((i for i, word in enumerate(words) if word in TEAM_WORDS), default=0)
    columns: list[str] = []
    following = words[team_at + 1 :]
    for i, word in enumerate(following):
        if not word:
            continue
        next_word = following[i + 1] if i + 1 < len(following) else ""
        if word in MODIFIER_WORDS and next_word in POINT_WORDS | KILL_WORDS:
            continue  # "placement pts", "total pts", "kill pts": one column written as two words
        columns.append(word)
    kills_at = next((i for i, word in enumerate(columns) if word in KILL_WORDS), None)
    if kills_at is None:
        return None
    return len(columns), kills_at


@dataclass(frozen=True)
class _Row:
    placement: Number
    name: str
    name_confidence: float
    kills: Number


def _rows(result: OcrResult) -> list[_Row]:
    trailing, kills_at = 1, 0
    rows = []
    for line in result.lines:
        header = _header_columns(line)
        if header is not None:
            trailing, kills_at = header
            continue
        words = list(line.words)
        if len(words) < 2 + trailing:
            continue
        placement = read_number(words[0])
        numbers = [read_number(word) for word in words[len(words) - trailing :]]
        if placement is None or any(number is None or number.percent for number in [placement, *numbers]):
            continue
        name_words = words[1 : len(words) - trailing]
        name = " ".join(word.text for word in name_words)
        if not _has_letters(name):
            continue
        rows.append(_Row(placement, name, _words_confidence(name_words), numbers[kills_at]))
    return rows


def _repair_placements(rows: list[_Row], lobby_size: int) -> int:
    """Tables list teams in placement order: a doubtful placement (read twice, out of range or
    read with low confidence) that its neighbours pin down is replaced, with a low confidence."""
    values = [row.placement.value for row in rows]
    repaired = 0
    for i, row in enumerate(rows):
        value = values[i]
        if values.count(value) == 1 and 1 <= value <= lobby_size and row.placement.confidence >= 0.6:
            continue
        before = values[i - 1] if i > 0 else None
        after = values[i + 1] if i + 1 < len(values) else None
        if before is not None and after is not None:
            implied = before + 1 if after == before + 2 else None
        else:
            implied = before + 1 if before is not None else (after - 1 if after is not None else None)
        if implied is None or implied == value or implied in values or not 1 <= implied <= lobby_size:
            continue
        values[i] = implied
        rows[i] = replace(row, placement=Number(implied, min(row.placement.confidence, 0.5)))
        repaired += 1
    return repaired


def parse_battle_royale(result: OcrResult, teams: list[TeamName]) -> tuple[dict, dict]:
    """→ (extracted_data, confidence). Raises ParseError when no row matches a lobby team."""
    rows = _rows(result)
    if not rows:
        raise ParseError("No result rows (placement, team, kills) were found in the screenshot.")
    repaired = _repair_placements(rows, lobby_size=len(teams))
    scores = []
    for row_index, row in enumerate(rows):
        for team in teams:
            score = name_similarity(row.name, team.name)
            if team.tag and default_process(row.name) == default_process(team.tag):
                score = 100.0
            if score >= TEAM_MATCH_THRESHOLD:
                scores.append((score, row_index, team))
    # Greedy by score: each row and each team is used once, best pairs first.
    matched: dict[int, tuple[TeamName, float]] = {}
    used_teams: set[int] = set()
    for score, row_index, team in sorted(scores, key=lambda s: (-s[0], s[1], s[2].id)):
        if row_index not in matched and team.id not in used_teams:
            matched[row_index] = (team, score)
            used_teams.add(team.id)
    if not matched:
        raise ParseError("None of the rows matched a team registered in this match.")

    placements = [rows[i].placement.value for i in matched]
    warnings = [f"{repaired} placement(s) were inferred from the row order."] if repaired else []
    out_rows, out_confidence, unmatched = [], [], []
    for row_index, row in enumerate(rows):
        if row_index not in matched:
            unmatched.append({"read_as": row.name, "placement": row.placement.value, "kills": row.kills.value})
            continue
        team, score = matched[row_index]
        placement_confidence = row.placement.confidence
        if placements.count(row.placement.value) > 1 or not 1 <= row.placement.value <= len(teams):
            placement_confidence *= 0.3
        out_rows.append(
            {
                "team_id": team.id,
                "team_name": team.name,
                "read_as": row.name,
                "placement": row.placement.value,
                "kills": row.kills.value,
            }
        )
        out_confidence.append(
            {
                "placement": _round(placement_confidence),
                "team": _round(row.name_confidence * score / 100),
                "kills": _round(row.kills.confidence),
            }
        )
    if len(set(placements)) != len(placements):
        warnings.append("Two teams were read with the same placement.")
    order = sorted(range(len(out_rows)), key=lambda i: (out_rows[i]["placement"], out_rows[i]["team_id"]))
    out_rows = [out_rows[i] for i in order]
    out_confidence = [out_confidence[i] for i in order]
    missing = sorted(team.id for team in teams if team.id not in used_teams)
    if missing:
        warnings.append(f"{len(missing)} team(s) of this match were not found; add them or mark them absent.")
    data = {
        "kind": "battle_royale",
        "rows": out_rows,
        "unmatched": unmatched,
        "missing_team_ids": missing,
        "warnings": warnings,
    }
    confidence = {
        "rows": out_confidence,
        "overall": _round(min(min(field.values()) for field in out_confidence)),
    }
    return data, confidence


# --- score screens (eFootball style) ---------------------------------------------------------------------------

SCORE = re.compile(r"(?<![\d%.])(\d{1,2})\s*[-–—:=~]\s*(\d{1,2})(?![\d%.])")
# Label as shown → stored key.
KNOWN_STATS = {
    "possession": "possession",
    "ball possession": "possession",
    "shots": "shots",
    "total shots": "shots",
    "shots on target": "shots_on_target",
    "shots on goal": "shots_on_target",
    "passes": "passes",
    "successful passes": "successful_passes",
    "pass accuracy": "pass_accuracy",
    "passing accuracy": "pass_accuracy",
    "fouls": "fouls",
    "fouls committed": "fouls",
    "offsides": "offsides",
    "corner kicks": "corner_kicks",
    "corners": "corner_kicks",
    "free kicks": "free_kicks",
    "saves": "saves",
    "tackles": "tackles",
    "interceptions": "interceptions",
    "crosses": "crosses",
    "yellow cards": "yellow_cards",
    "red cards": "red_cards",
}
PERCENT_STATS = {"possession", "pass_accuracy"}
STAT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _stat_key(label: str) -> tuple[str, float] | None:
    processed = default_process(label)
    best = max(((fuzz.ratio(processed, known), key) for known, key in KNOWN_STATS.items()), default=(0, ""))
    if best[0] >= LABEL_MATCH_THRESHOLD:
        return best[1], best[0] / 100
    words = processed.split()
    if 1 <= len(words) <= 4 and all(word.isalpha() for word in words):
        return "_".join(words)[:40], 0.5  # an unknown stat: kept, flagged for review
    return None


def _word_spans(line: OcrLine) -> list[tuple[int, int, OcrWord]]:
    spans, position = [], 0
    for word in line.words:
        spans.append((position, position + len(word.text), word))
        position += len(word.text) + 1
    return spans


def _words_in(line: OcrLine, start: int, end: int) -> list[OcrWord]:
    return [word for a, b, word in _word_spans(line) if a < end and b > start]


def _find_score(result: OcrResult) -> tuple[int, dict] | None:
    for index, line in enumerate(result.lines):
        text = line.text
        if "%" in text:
            continue
        found = SCORE.search(text)
        if found is None:
            continue
        home_words = _words_in(line, 0, found.start())
        away_words = _words_in(line, found.end(), len(text))
        score_words = _words_in(line, found.start(), found.end())
        home_name = text[: found.start()].strip(" -|")
        away_name = text[found.end() :].strip(" -|")
        return index, {
            "home_name": home_name if _has_letters(home_name) else "",
            "away_name": away_name if _has_letters(away_name) else "",
            "home_score": int(found.group(1)),
            "away_score": int(found.group(2)),
            "home_name_confidence": _words_confidence(home_words),
            "away_name_confidence": _words_confidence(away_words),
            "score_confidence": min(word.confidence for word in score_words),
        }
    return None


def _stats(result: OcrResult, skip: int) -> tuple[dict, dict, list[str]]:
    stats: dict[str, dict] = {}
    confidence: dict[str, float] = {}
    warnings: list[str] = []
    for index, line in enumerate(result.lines):
        if index == skip:
            continue
        numbers, label_words = [], []
        for word in line.words:
            number = read_number(word)
            if number is not None:
                numbers.append(number)
            elif _has_letters(word.text):
                label_words.append(word)
        if len(numbers) != 2 or not label_words:
            continue
        found = _stat_key(" ".join(word.text for word in label_words))
        if found is None or found[0] in stats:
            continue
        key, label_score = found
        home, away = numbers
        value_confidence = min(home.confidence, away.confidence) * label_score
        if key in PERCENT_STATS:
            if home.value > 100 or away.value > 100:
                continue
            if key == "possession" and abs(home.value + away.value - 100) > 2:
                value_confidence *= 0.5
                warnings.append("Possession does not add up to 100%.")
        stats[key] = {"home": home.value, "away": away.value}
        confidence[key] = _round(value_confidence)
    if "shots" in stats and "shots_on_target" in stats:
        for side in ("home", "away"):
            if stats["shots_on_target"][side] > stats["shots"][side]:
                confidence["shots_on_target"] = _round(confidence["shots_on_target"] * 0.5)
                warnings.append(f"More shots on target than shots ({side}).")
    return stats, confidence, warnings


def parse_score_screen(result: OcrResult) -> tuple[dict, dict]:
    """→ (extracted_data, confidence): both sides' names and goals, and the stats, home (left) first."""
    found = _find_score(result)
    if found is None:
        raise ParseError("No score (like 2 - 1) was found in the screenshot.")
    index, score = found
    stats, stats_confidence, warnings = _stats(result, skip=index)
    data = {
        "kind": "score",
        "home": {"name": score["home_name"], "score": score["home_score"]},
        "away": {"name": score["away_name"], "score": score["away_score"]},
        "stats": stats,
        "warnings": warnings,
    }
    confidence = {
        "home": {"name": _round(score["home_name_confidence"]), "score": _round(score["score_confidence"])},
        "away": {"name": _round(score["away_name_confidence"]), "score": _round(score["score_confidence"])},
        "stats": stats_confidence,
        "overall": _round(min([score["score_confidence"], *stats_confidence.values()])),
    }
    return data, confidence


def side_of(name: str, *, home: str, away: str) -> str | None:
    """Which side of a score screen `name` is on ("home" or "away"), or None when unclear."""
    home_score, away_score = name_similarity(name, home), name_similarity(name, away)
    if max(home_score, away_score) < TEAM_MATCH_THRESHOLD or home_score == away_score:
        return None
    return "home" if home_score > away_score else "away"
