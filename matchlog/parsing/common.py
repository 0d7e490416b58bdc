"""What both parsers share: reading numbers OCR may have garbled, confidences, fuzzy name matching
and the specks a textured background adds."""

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from matchlog.ocr import OcrLine, OcrWord


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


def _looks_like_a_row(line: OcrLine) -> bool:
    """A line worth showing in `unmatched`: some word that was read with confidence, not specks."""
    return any(len(_alnum(word.text)) >= 2 and word.confidence >= 0.5 for word in line.words)


CHECKED_CONFIDENCE = 0.9  # a number that the rest of the table agrees with
FAILED_CHECK_CONFIDENCE = 0.4  # a number that the rest of the table contradicts


def _checked(number: Number, ok: bool | None) -> Number:
    """Tesseract's own confidence in a digit does not tell right from wrong (a right `0` at 0.00,
    a wrong `7` at 0.96): what the table says about the number, when it says something, does."""
    if ok is None:
        return number
    value = max(number.confidence, CHECKED_CONFIDENCE) if ok else min(number.confidence, FAILED_CHECK_CONFIDENCE)
    return replace(number, confidence=value)
