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

One import path (`from matchlog import parsing`) in front of common, battle_royale and score_screen.
"""

from matchlog.parsing.battle_royale import (
    BADGE_PLACEMENT_CONFIDENCE,
    KILL_WORDS,
    MODIFIER_WORDS,
    POINT_WORDS,
    TEAM_WORDS,
    TeamName,
    parse_battle_royale,
)
from matchlog.parsing.common import (
    CHECKED_CONFIDENCE,
    DIGIT_LOOKALIKES,
    FAILED_CHECK_CONFIDENCE,
    GUESSED_DIGIT_PENALTY,
    LABEL_MATCH_THRESHOLD,
    ORDINAL,
    TEAM_MATCH_THRESHOLD,
    Number,
    ParseError,
    name_similarity,
    read_number,
)
from matchlog.parsing.score_screen import (
    KNOWN_STATS,
    MINUTE,
    PERCENT_STATS,
    SCORE,
    SCORE_LOOKALIKES,
    STAT_KEY,
    parse_score_screen,
    side_of,
)

__all__ = [
    "BADGE_PLACEMENT_CONFIDENCE",
    "CHECKED_CONFIDENCE",
    "DIGIT_LOOKALIKES",
    "FAILED_CHECK_CONFIDENCE",
    "GUESSED_DIGIT_PENALTY",
    "KILL_WORDS",
    "KNOWN_STATS",
    "LABEL_MATCH_THRESHOLD",
    "MINUTE",
    "MODIFIER_WORDS",
    "ORDINAL",
    "PERCENT_STATS",
    "POINT_WORDS",
    "SCORE",
    "SCORE_LOOKALIKES",
    "STAT_KEY",
    "TEAM_MATCH_THRESHOLD",
    "TEAM_WORDS",
    "Number",
    "ParseError",
    "TeamName",
    "name_similarity",
    "parse_battle_royale",
    "parse_score_screen",
    "read_number",
    "side_of",
]
