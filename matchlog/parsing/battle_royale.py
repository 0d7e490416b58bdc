"""Battle-royale results tables: one row per team, `placement  team name  kills` (a header row such
as `# TEAM KILLS PTS` tells which trailing column holds the kills); team names are matched to the
registered ones with fuzzy matching."""

from dataclasses import dataclass, replace

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from matchlog.ocr import OcrLine, OcrResult
from matchlog.parsing.common import (
    CHECKED_CONFIDENCE,
    TEAM_MATCH_THRESHOLD,
    Number,
    ParseError,
    _checked,
    _has_letters,
    _looks_like_a_row,
    _round,
    _trimmed,
    _words_confidence,
    name_similarity,
    read_number,
)

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
