"""Daily check-in rules: pure functions of the previous state and the user's local date.

- Checking in on the day after the last check-in continues the streak (+1).
- Missing exactly one day with a freeze in hand spends the freeze; the streak continues.
- Otherwise the streak starts again at 1.
- Checking in twice on the same local day (or "earlier" after a time-zone change) is refused.
- XP follows a 7-day cycle: day 1 → 5 XP … day 7 → 35 XP, then day 8 → 5 XP again.
- Every 7th streak day earns a freeze, holding at most MAX_FREEZES.
"""

from dataclasses import dataclass, replace
from datetime import date

XP_PER_CYCLE_DAY = 5
CYCLE_DAYS = 7
MAX_FREEZES = 2


class AlreadyCheckedIn(Exception):
    pass


@dataclass(frozen=True)
class StreakState:
    streak: int = 0
    freezes: int = 0
    last_check_in: date | None = None


@dataclass(frozen=True)
class CheckInResult:
    state: StreakState
    xp: int
    freeze_used: bool = False
    freeze_earned: bool = False
    reset: bool = False


def xp_for_streak_day(streak: int) -> int:
    return XP_PER_CYCLE_DAY * ((streak - 1) % CYCLE_DAYS + 1)


def check_in(state: StreakState, today: date) -> CheckInResult:
    freeze_used = reset = False
    freezes = state.freezes
    if state.last_check_in is not None and today <= state.last_check_in:
        raise AlreadyCheckedIn(today)
    gap = None if state.last_check_in is None else (today - state.last_check_in).days
    if gap == 1:
        streak = state.streak + 1
    elif gap == 2 and freezes > 0:
        streak, freezes, freeze_used = state.streak + 1, freezes - 1, True
    else:
        streak, reset = 1, state.last_check_in is not None
    freeze_earned = streak % CYCLE_DAYS == 0 and freezes < MAX_FREEZES
    if freeze_earned:
        freezes += 1
    new_state = replace(state, streak=streak, freezes=freezes, last_check_in=today)
    return CheckInResult(
        state=new_state, xp=xp_for_streak_day(streak), freeze_used=freeze_used, freeze_earned=freeze_earned, reset=reset
    )
