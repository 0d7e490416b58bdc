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


def _is_word(text: str, vocabulary: set[str]) -> bool:
    """`text` is one of `vocabulary`, allowing one or two misread letters in longer words."""
    text = default_process(text)
    if text in vocabulary:
        return True
    return len(text) >= 5 and any(fuzz.ratio(text, word) >= 80 for word in vocabulary if len(word) >= 5)


def _header_columns(line: OcrLine) -> tuple[int, int, int | None] | None:
    """(trailing numeric columns, index of the kills column among them, index of the total points
    column or None) from a header row. Only words that name a column count: specks of background
    read as words do not."""
    words = [word.text for word in line.words]
    if not any(_is_word(word, KILL_WORDS) for word in words):
        return None
    team_at = max((i for i, word in enumerate(words) if _is_word(word, TEAM_WORDS)), default=0)
    columns: list[tuple[str, str]] = []  # (modifier, word)
    following = [word for word in words[team_at + 1 :] if _is_word(word, KILL_WORDS | POINT_WORDS | MODIFIER_WORDS)]
    modifier = ""
    for i, word in enumerate(following):
        next_word = following[i + 1] if i + 1 < len(following) else ""
        if _is_word(word, MODIFIER_WORDS) and next_word and _is_word(next_word, POINT_WORDS | KILL_WORDS):
            modifier = default_process(word)  # "placement pts", "total pts", "kill pts": one column, two words
            continue
        columns.append((modifier, word))
        modifier = ""
    kills_at = next((i for i, (_, word) in enumerate(columns) if _is_word(word, KILL_WORDS)), None)
    if kills_at is None:
        return None
    # Points after the kills, plain or "total", are placement points + kill points; "placement pts" are not.
    total_at = next(
        (
            i
            for i, (modifier, word) in enumerate(columns)
            if i > kills_at and modifier in ("", "total") and _is_word(word, POINT_WORDS)
        ),
        None,
    )
    return len(columns), kills_at, total_at


@dataclass(frozen=True)
class _Row:
    placement: Number | None  # None: a badge (medal, crown) instead of a number
    names: tuple[tuple[str, float], ...]  # what the name may be, with the words' confidence
    kills: Number
    raw: str
    line: int
    total: Number | None = None  # the points column after the kills, when the header shows one
    inferred: bool = False  # the placement comes from the row order, not from a number read


def _alnum(text: str) -> str:
    return "".join(character for character in text if character.isalnum())


def _trimmed(words: list[OcrWord]) -> list[OcrWord]:
    """Without the punctuation-only specks a textured background adds at either end of a row."""
    start, end = 0, len(words)
    while start < end and not _alnum(words[start].text):
        start += 1
    while end > start and not _alnum(words[end - 1].text):
        end -= 1
    return words[start:end]


def _row(line: OcrLine, index: int, trailing: int, kills_at: int, total_at: int | None) -> _Row | None:
    words = _trimmed(list(line.words))
    if len(words) < 1 + trailing:
        return None
    numbers = [read_number(word) for word in words[len(words) - trailing :]]
    if any(number is None or number.percent for number in numbers):
        return None
    placement = read_number(words[0])
    if placement is not None and (placement.percent or placement.value == 0):
        placement = None  # a medal read as O, 0 or (0)
    name_words = words[(1 if placement else 0) : len(words) - trailing]
    variants = [name_words]
    if placement is None and len(name_words) > 1:
        variants.append(name_words[1:])  # what the badge was read as is not part of the name
    names = tuple(
        (" ".join(word.text for word in variant), _words_confidence(variant))
        for variant in variants
        if _has_letters(" ".join(word.text for word in variant))
    )
    if not names:
        return None
    total = numbers[total_at] if total_at is not None else None
    return _Row(placement, names, numbers[kills_at], line.text, index, total)


def _looks_like_a_row(line: OcrLine) -> bool:
    """A line worth showing in `unmatched`: some word that was read with confidence, not specks."""
    return any(len(_alnum(word.text)) >= 2 and word.confidence >= 0.5 for word in line.words)


def _rows(result: OcrResult) -> tuple[list[_Row], list[str]]:
    """The rows of the table, top to bottom, and the raw text of the lines among them that
    could not be read as a row."""
    lines = list(result.lines)
    trailing, kills_at, total_at, start = 1, 0, None, 0
    for index, line in enumerate(lines):
        header = _header_columns(line)
        if header is not None:
            (trailing, kills_at, total_at), start = header, index + 1
            break
    rows, unread = [], []
    for index in range(start, len(lines)):
        row = _row(lines[index], index, trailing, kills_at, total_at)
        if row is not None:
            rows.append(row)
        elif _looks_like_a_row(lines[index]):
            unread.append((index, lines[index].text))
    if rows:
        # Without a header, the table starts at its first row (titles above are not rows).
        first = start if start else rows[0].line
        unread = [text for index, text in unread if first <= index <= rows[-1].line]
    else:
        unread = []
    return rows, unread


BADGE_PLACEMENT_CONFIDENCE = 0.9  # a badge row whose place both the table's start and the next number agree on


def _badge_placements(rows: list[_Row]) -> list[_Row]:
    """Badge rows (no number) take their placement from the row order: counted down from the
    next numbered row and up from the row above (or from the table's start). When both agree the
    placement is as sure as a read number; when they disagree a row is missing, and it is doubtful."""
    known = [(i, row.placement.value) for i, row in enumerate(rows) if row.placement is not None]
    out = []
    for i, row in enumerate(rows):
        if row.placement is not None:
            out.append(row)
            continue
        above = next(((j, value) for j, value in reversed(known) if j < i), None)
        below = next(((j, value) for j, value in known if j > i), None)
        from_above = above[1] + (i - above[0]) if above else i + 1
        from_below = below[1] - (below[0] - i) if below else None
        if from_below is None or from_below == from_above:
            value, confidence = from_above, BADGE_PLACEMENT_CONFIDENCE if from_below is not None else 0.45
        else:
            value, confidence = max(1, from_below), 0.3
        out.append(replace(row, placement=Number(value, confidence), inferred=True))
    return out


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
        rows[i] = replace(row, placement=Number(implied, min(row.placement.confidence, 0.5)), inferred=True)
        repaired += 1
    return repaired


CHECKED_CONFIDENCE = 0.9  # a number that the rest of the table agrees with
FAILED_CHECK_CONFIDENCE = 0.4  # a number that the rest of the table contradicts


def _checked(number: Number, ok: bool | None) -> Number:
    """Tesseract's own confidence in a digit does not tell right from wrong (a right `0` at 0.00,
    a wrong `7` at 0.96): what the table says about the number, when it says something, does."""
    if ok is None:
        return number
    value = max(number.confidence, CHECKED_CONFIDENCE) if ok else min(number.confidence, FAILED_CHECK_CONFIDENCE)
    return replace(number, confidence=value)


def _check_placements(rows: list[_Row]) -> list[_Row]:
    """Placements run 1, 2, 3 … down the table: one that follows the row above and leads to the row below is right."""
    values = [row.placement.value for row in rows]
    out = []
    for i, row in enumerate(rows):
        neighbours = []
        if i > 0:
            neighbours.append(values[i - 1] == values[i] - 1)
        if i + 1 < len(rows):
            neighbours.append(values[i + 1] == values[i] + 1)
        ok = all(neighbours) if neighbours and not row.inferred else None  # inferred ones agree by construction
        out.append(replace(row, placement=_checked(row.placement, ok)))
    return out


def _check_kills(rows: list[_Row]) -> list[_Row]:
    """Points = placement points + kill points, and placement points never rise down the table:
    kills that leave placement points negative, or above a row higher up's, or below a lower
    row's, are wrong (or the points are). A row whose points were themselves read doubtfully
    neither checks nor is checked: it cannot tell which of its two numbers is wrong."""
    if any(row.total is None for row in rows):
        return rows
    placement_points = [
        row.total.value - row.kills.value if row.total.confidence >= CHECKED_CONFIDENCE else None for row in rows
    ]
    out = []
    for i, row in enumerate(rows):
        value = placement_points[i]
        if value is None:
            out.append(row)
            continue
        above = [points for points in placement_points[:i] if points is not None]
        below = [points for points in placement_points[i + 1 :] if points is not None]
        ok = 0 <= value <= max(above, default=value) and value >= min(below, default=value)
        out.append(replace(row, kills=_checked(row.kills, ok)))
    return out


def _team_confidence(score: float, runner_up: float) -> float:
    """The registered name is the evidence: an exact match is sure whatever Tesseract thought of
    the letters, every misread letter costs more than linearly, and a name nearly as close to
    another team of the lobby is doubtful."""
    confidence = min(0.99, (score / 100) ** 2)
    return confidence * 0.5 if score - runner_up < 10 else confidence


def parse_battle_royale(result: OcrResult, teams: list[TeamName]) -> tuple[dict, dict]:
    """→ (extracted_data, confidence). Raises ParseError when no row matches a lobby team."""
    rows, unread = _rows(result)
    if not rows:
        raise ParseError("No result rows (placement, team, kills) were found in the screenshot.")
    inferred = sum(row.placement is None for row in rows)
    rows = _badge_placements(rows)
    repaired = _repair_placements(rows, lobby_size=len(teams)) + inferred
    rows = _check_kills(_check_placements(rows))
    scores = []
    runner_up: dict[int, list[float]] = {}
    for row_index, row in enumerate(rows):
        for team in teams:
            best = (0.0, "", 0.0)
            for name, words_confidence in row.names:
                score = name_similarity(name, team.name)
                if team.tag and default_process(name) == default_process(team.tag):
                    score = 100.0
                best = max(best, (score, name, words_confidence))
            runner_up.setdefault(row_index, []).append(best[0])
            if best[0] >= TEAM_MATCH_THRESHOLD:
                scores.append((best[0], row_index, team, best[1], best[2]))
    # Greedy by score: each row and each team is used once, best pairs first.
    matched: dict[int, tuple[TeamName, float, str, float]] = {}
    used_teams: set[int] = set()
    for score, row_index, team, name, words_confidence in sorted(scores, key=lambda s: (-s[0], s[1], s[2].id)):
        if row_index not in matched and team.id not in used_teams:
            matched[row_index] = (team, score, name, words_confidence)
            used_teams.add(team.id)
    if not matched:
        raise ParseError("None of the rows matched a team registered in this match.")

    placements = [rows[i].placement.value for i in matched]
    warnings = [f"{repaired} placement(s) were inferred from the row order."] if repaired else []
    out_rows, out_confidence, unmatched = [], [], []
    for row_index, row in enumerate(rows):
        if row_index not in matched:
            unmatched.append(
                {"read_as": row.names[0][0], "placement": row.placement.value, "kills": row.kills.value, "raw": row.raw}
            )
            continue
        team, score, name, words_confidence = matched[row_index]
        placement_confidence = row.placement.confidence
        if placements.count(row.placement.value) > 1 or not 1 <= row.placement.value <= len(teams):
            placement_confidence *= 0.3
        out_rows.append(
            {
                "team_id": team.id,
                "team_name": team.name,
                "read_as": name,
                "placement": row.placement.value,
                "kills": row.kills.value,
            }
        )
        out_confidence.append(
            {
                "placement": _round(placement_confidence),
                "team": _round(_team_confidence(score, sorted(runner_up[row_index])[-2] if len(teams) > 1 else 0)),
                "kills": _round(row.kills.confidence),
            }
        )
    unmatched += [{"read_as": raw, "placement": None, "kills": None, "raw": raw} for raw in unread]
    if unread:
        warnings.append(f"{len(unread)} row(s) could not be read; see unmatched.")
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

# One or two digits a side, allowing the letters Tesseract reads digits as (a big bold 0 is
# often an O); not part of a word ("Division 5 - Season"), a percentage or a minute (23').
_SCORE_DIGIT = r"[0-9OoDQIl|SB\[\]]"
# A bold 1 beside the edge of the box the score is drawn in is read as a bracket.
SCORE_LOOKALIKES = {**DIGIT_LOOKALIKES, ord("]"): "1", ord("["): "1"}
SCORE = re.compile(rf"(?<![\w%.'])({_SCORE_DIGIT}{{1,2}})\s*[-–—:=~_]+\s*({_SCORE_DIGIT}{{1,2}})(?![\w%.'’°])")
# A scorer's minute: 23' 45+2' (the apostrophe read as ’ ° " or `).
MINUTE = re.compile(r"^\(?\d{1,3}(\+\d{1,2})?['‘’′°\"”`!]+\)?[,.;]?$")
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
    """The stored key of a stat label and how sure the match is; None for anything else
    (a header, a scorer line, an unknown stat): those never become stats."""
    processed = default_process(label)
    best = max(((fuzz.ratio(processed, known), key) for known, key in KNOWN_STATS.items()), default=(0, ""))
    if best[0] >= LABEL_MATCH_THRESHOLD:
        return best[1], best[0] / 100
    return None


def _score_value(token: str) -> tuple[int, bool]:
    """(goals, whether a letter had to be read as a digit)."""
    fixed = token.translate(SCORE_LOOKALIKES)
    return int(fixed), fixed != token


def _words_in(line: OcrLine, start: int, end: int) -> list[OcrWord]:
    words, position = [], 0
    for word in line.words:
        if position < end and position + len(word.text) > start:
            words.append(word)
        position += len(word.text) + 1
    return words


def _side_name(text: str) -> str:
    """A team's name from what is left of the score line: without the specks and separators around it."""
    words = [word for word in text.split() if _alnum(word)]
    while words and not _has_letters(words[0]):
        words.pop(0)
    while words and not _has_letters(words[-1]):
        words.pop()
    name = " ".join(words).strip(" -_|")
    return name if _has_letters(name) else ""


def _name_confidence(words: list[OcrWord]) -> float:
    """The confidence in the words of a name, not in the specks beside it."""
    return _words_confidence(word for word in words if _has_letters(word.text))


def _find_score(result: OcrResult) -> tuple[int, dict] | None:
    """The score line: the first with a `2 - 1` between two names, else the first with a score at all;
    a score written in digits is preferred to one that needed letters read as digits."""
    candidates = []
    for index, line in enumerate(result.lines):
        text = line.text
        if "%" in text:
            continue
        for found in SCORE.finditer(text):
            home, home_guessed = _score_value(found.group(1))
            away, away_guessed = _score_value(found.group(2))
            home_name, away_name = _side_name(text[: found.start()]), _side_name(text[found.end() :])
            guessed = home_guessed or away_guessed
            rank = (not (home_name and away_name), guessed, index)
            candidates.append((rank, index, line, found, home, away, guessed, home_name, away_name))
    if not candidates:
        return None
    _, index, line, found, home, away, guessed, home_name, away_name = min(candidates, key=lambda c: c[0])
    text = line.text
    # The digits' confidence: a lone dash between them says nothing about the goals.
    score_words = [word for word in _words_in(line, found.start(), found.end()) if _alnum(word.text)]
    score_confidence = min(word.confidence for word in score_words)
    return index, {
        "home_name": home_name,
        "away_name": away_name,
        "home_score": home,
        "away_score": away,
        "home_name_confidence": _name_confidence(_words_in(line, 0, found.start())),
        "away_name_confidence": _name_confidence(_words_in(line, found.end(), len(text))),
        "score_confidence": score_confidence * (GUESSED_DIGIT_PENALTY if guessed else 1),
    }


def _is_scorer_line(line: OcrLine) -> bool:
    return any(MINUTE.match(word.text) for word in line.words)


def _scorers(result: OcrResult, after: int) -> tuple[int, int] | None:
    """Goals listed under each side's name (one minute mark each), or None when none are listed or
    it cannot be told which side a mark is on (the engine gave no positions)."""
    home = away = 0
    seen = False
    for line in result.lines[after + 1 :]:
        if not _is_scorer_line(line):
            if any(read_number(word) for word in line.words):
                break  # the stats start: scorers are listed above them
            continue
        for word in line.words:
            if MINUTE.match(word.text):
                seen = True
                if word.x is None:
                    return None
                if word.x < 0.5:
                    home += 1
                else:
                    away += 1
    return (home, away) if seen else None  # a screen that lists no scorers tells nothing


def _stats(result: OcrResult, skip: int) -> tuple[dict, dict, list[str], list[dict]]:
    stats: dict[str, dict] = {}
    confidence: dict[str, float] = {}
    warnings: list[str] = []
    unread: list[dict] = []
    for index, line in enumerate(result.lines):
        if index <= skip or _is_scorer_line(line):
            continue  # the header above the score, the score, the scorers
        numbers, label_words = [], []
        for word in _trimmed(list(line.words)):
            number = read_number(word)
            if number is not None:
                numbers.append(number)
            elif _has_letters(word.text) and (len(_alnum(word.text)) > 2 or word.confidence >= 0.5):
                label_words.append(word)  # not a speck of background read as "a"
        if not numbers or not label_words:
            continue
        found = _stat_key(" ".join(word.text for word in label_words))
        if found is None or len(numbers) != 2 or found[0] in stats:
            if _looks_like_a_row(line):
                unread.append({"raw": line.text})
            continue
        key, label_score = found
        home, away = numbers
        # A label this close to a known one is that one ("Comer Kicks"); a looser match is doubtful.
        value_confidence = min(home.confidence, away.confidence) * (1 if label_score >= 0.9 else label_score)
        if key in PERCENT_STATS:
            if home.value > 100 or away.value > 100:
                unread.append({"raw": line.text})
                continue
            if key == "possession" and abs(home.value + away.value - 100) > 2:
                value_confidence = min(value_confidence, FAILED_CHECK_CONFIDENCE)
                warnings.append("Possession does not add up to 100%.")
            elif key == "possession" and home.percent and away.percent:
                value_confidence = max(value_confidence, CHECKED_CONFIDENCE)
        stats[key] = {"home": home.value, "away": away.value}
        confidence[key] = _round(value_confidence)
    for part, whole in (("shots_on_target", "shots"), ("successful_passes", "passes")):
        if part in stats and whole in stats:
            for side in ("home", "away"):
                if stats[part][side] > stats[whole][side]:
                    confidence[part] = _round(min(confidence[part], FAILED_CHECK_CONFIDENCE))
                    warnings.append(f"More {part.replace('_', ' ')} than {whole} ({side}).")
    return stats, confidence, warnings, unread


def parse_score_screen(result: OcrResult) -> tuple[dict, dict]:
    """→ (extracted_data, confidence): both sides' names and goals, and the stats, home (left) first."""
    found = _find_score(result)
    if found is None:
        raise ParseError("No score (like 2 - 1) was found in the screenshot.")
    index, score = found
    stats, stats_confidence, warnings, unmatched = _stats(result, skip=index)
    # The scorers listed under each name are a second reading of the score.
    scorers = _scorers(result, after=index)
    score_confidence = score["score_confidence"]
    if scorers is not None:
        agrees = scorers == (score["home_score"], score["away_score"])
        score_confidence = _checked(Number(0, score_confidence), agrees).confidence
        if not agrees:
            warnings.append(f"The scorers listed ({scorers[0]} and {scorers[1]}) do not match the score.")
    data = {
        "kind": "score",
        "home": {"name": score["home_name"], "score": score["home_score"]},
        "away": {"name": score["away_name"], "score": score["away_score"]},
        "stats": stats,
        "unmatched": unmatched,
        "warnings": warnings,
    }
    confidence = {
        "home": {"name": _round(score["home_name_confidence"]), "score": _round(score_confidence)},
        "away": {"name": _round(score["away_name_confidence"]), "score": _round(score_confidence)},
        "stats": stats_confidence,
        "overall": _round(min([score_confidence, *stats_confidence.values()])),
    }
    return data, confidence


def side_of(name: str, *, home: str, away: str) -> str | None:
    """Which side of a score screen `name` is on ("home" or "away"), or None when unclear."""
    home_score, away_score = name_similarity(name, home), name_similarity(name, away)
    if max(home_score, away_score) < TEAM_MATCH_THRESHOLD or home_score == away_score:
        return None
    return "home" if home_score > away_score else "away"
