"""Score screens (eFootball style): `Home 2 - 1 Away`, then stat rows such as `Possession 55% 45%`
or `55% Possession 45%`."""

import re

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from matchlog.ocr import OcrLine, OcrResult, OcrWord
from matchlog.parsing.common import (
    CHECKED_CONFIDENCE,
    DIGIT_LOOKALIKES,
    FAILED_CHECK_CONFIDENCE,
    GUESSED_DIGIT_PENALTY,
    LABEL_MATCH_THRESHOLD,
    TEAM_MATCH_THRESHOLD,
    Number,
    ParseError,
    _alnum,
    _checked,
    _has_letters,
    _looks_like_a_row,
    _round,
    _trimmed,
    _words_confidence,
    name_similarity,
    read_number,
)

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
