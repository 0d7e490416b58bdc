"""Daily check-in rules (wallet.streaks), checked against a reference written from the rules; no database.

The reference simulates the rules as stated (not as implemented):
- the day after the last check-in continues the streak (+1);
- exactly one missed day with a freeze in hand spends the freeze and continues the streak (+1);
- anything else starts again at 1 (a "reset" only if there was a previous check-in);
- the same day, or an earlier one, is refused;
- XP = 5 x ((streak - 1) mod 7 + 1);
- every 7th streak day earns a freeze, holding at most 2.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wallet.streaks import AlreadyCheckedIn, CheckInResult, StreakState, check_in, xp_for_streak_day

# The autouse fixtures in tests/conftest.py are function-scoped but harmless here (no state is shared between examples).
examples = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

XP_BY_CYCLE_DAY = (5, 10, 15, 20, 25, 30, 35)
HOLD_AT_MOST = 2


# --- reference -------------------------------------------------------------------------


@dataclass(frozen=True)
class RefState:
    streak: int = 0
    freezes: int = 0
    last: date | None = None


@dataclass(frozen=True)
class RefOutcome:
    state: RefState
    xp: int
    freeze_used: bool
    freeze_earned: bool
    reset: bool


def ref_xp(streak: int) -> int:
    return XP_BY_CYCLE_DAY[(streak - 1) % len(XP_BY_CYCLE_DAY)]


def ref_check_in(state: RefState, today: date) -> RefOutcome | None:
    """None means "refused: already checked in"."""
    if state.last is None:
        streak, freezes, used, reset = 1, state.freezes, False, False
    else:
        days_since = (today - state.last).days
        if days_since <= 0:
            return None
        if days_since == 1:
            streak, freezes, used, reset = state.streak + 1, state.freezes, False, False
        elif days_since == 2 and state.freezes >= 1:
            streak, freezes, used, reset = state.streak + 1, state.freezes - 1, True, False
        else:
            streak, freezes, used, reset = 1, state.freezes, False, True
    earned = streak % 7 == 0 and freezes < HOLD_AT_MOST
    if earned:
        freezes += 1
    return RefOutcome(RefState(streak, freezes, today), ref_xp(streak), used, earned, reset)


def to_state(ref: RefState) -> StreakState:
    return StreakState(streak=ref.streak, freezes=ref.freezes, last_check_in=ref.last)


def to_ref(state: StreakState) -> RefState:
    return RefState(state.streak, state.freezes, state.last_check_in)


def outcome_of(result: CheckInResult) -> RefOutcome:
    return RefOutcome(to_ref(result.state), result.xp, result.freeze_used, result.freeze_earned, result.reset)


def consecutive_total_xp(n: int) -> int:
    """Closed form: a full 7-day cycle is 5 x (1 + ... + 7) = 140; a partial cycle of r days is 5 x r(r+1)/2."""
    cycles, rest = divmod(n, 7)
    return 140 * cycles + 5 * rest * (rest + 1) // 2


def run(days: list[date], state: StreakState | None = None) -> list[CheckInResult]:
    state = state or StreakState()
    results = []
    for day in days:
        result = check_in(state, day)
        results.append(result)
        state = result.state
    return results


# --- strategies ------------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def states(draw) -> RefState:
    """Any state the rules can reach: never checked in (streak 0, possibly with bought freezes), or a streak ≥ 1."""
    freezes = draw(st.integers(0, HOLD_AT_MOST))
    if draw(st.booleans()):
        return RefState(0, freezes, None)
    return RefState(draw(st.integers(1, 400)), freezes, draw(dates))


# Days between successive check-ins: ≤ 0 is the same day or "earlier" (after a time-zone change); weighted to 1 and 2.
gaps = st.one_of(st.sampled_from([1, 1, 1, 2, 2]), st.integers(-2, 5))


# --- properties ------------------------------------------------------------------------


@examples
@given(start=dates, steps=st.lists(gaps, max_size=60), initial_freezes=st.integers(0, HOLD_AT_MOST))
def test_matches_reference_over_any_sequence_of_days(start, steps, initial_freezes):
    ref = RefState(freezes=initial_freezes)
    state = to_state(ref)
    today = start
    for gap in steps:
        today += timedelta(days=gap)
        expected = ref_check_in(ref, today)
        if expected is None:
            with pytest.raises(AlreadyCheckedIn):
                check_in(state, today)
            continue  # a refused check-in leaves the state as it was
        result = check_in(state, today)
        assert outcome_of(result) == expected
        ref, state = expected.state, result.state


@examples
@given(before=states(), gap=st.integers(-3, 6))
def test_one_check_in_from_any_state_keeps_the_invariants(before, gap):
    assume(before.last is not None or gap > 0)
    today = (before.last or date(2026, 6, 1)) + timedelta(days=gap)
    if before.last is not None and gap <= 0:
        with pytest.raises(AlreadyCheckedIn):
            check_in(to_state(before), today)
        return
    result = check_in(to_state(before), today)
    after = result.state

    assert result.xp in {5, 10, 15, 20, 25, 30, 35}
    assert result.xp == ref_xp(after.streak)
    assert 0 <= after.freezes <= HOLD_AT_MOST
    assert after.streak >= 1
    assert after.last_check_in == today

    had_streak = before.last is not None
    assert result.freeze_used == (had_streak and gap == 2 and before.freezes > 0)
    continued = had_streak and (gap == 1 or result.freeze_used)
    assert result.reset == (had_streak and not continued)
    assert after.streak == (before.streak + 1 if continued else 1)
    # Freezes are only spent by a one-day gap and only earned on a 7th streak day, never above the cap.
    assert after.freezes == before.freezes - result.freeze_used + result.freeze_earned
    assert result.freeze_earned == (after.streak % 7 == 0 and before.freezes - result.freeze_used < HOLD_AT_MOST)
    assert outcome_of(result) == ref_check_in(before, today)


@examples
@given(n=st.integers(1, 120), start=dates, initial_freezes=st.integers(0, HOLD_AT_MOST))
def test_a_run_of_consecutive_days_from_scratch(n, start, initial_freezes):
    results = run([start + timedelta(days=i) for i in range(n)], StreakState(freezes=initial_freezes))
    assert [r.state.streak for r in results] == list(range(1, n + 1))
    assert sum(r.xp for r in results) == consecutive_total_xp(n)
    assert not any(r.reset or r.freeze_used for r in results)
    assert results[-1].state.freezes == min(HOLD_AT_MOST, initial_freezes + n // 7)
    assert [i + 1 for i, r in enumerate(results) if r.freeze_earned] == [
        day for day in range(7, n + 1, 7) if initial_freezes + day // 7 <= HOLD_AT_MOST
    ]


@examples
@given(state=states().filter(lambda s: s.last is not None), back=st.integers(0, 400))
def test_same_day_or_earlier_is_refused(state, back):
    with pytest.raises(AlreadyCheckedIn):
        check_in(to_state(state), state.last - timedelta(days=back))


@examples
@given(state=states().filter(lambda s: s.last is not None), gap=st.integers(3, 400))
def test_missing_two_or_more_days_resets_even_with_freezes(state, gap):
    result = check_in(to_state(state), state.last + timedelta(days=gap))
    assert (result.state.streak, result.xp, result.reset, result.freeze_used) == (1, 5, True, False)
    assert result.state.freezes == state.freezes  # a freeze bridges one day only, and is kept for later


@given(streak=st.integers(1, 10_000))
def test_xp_for_streak_day_follows_the_seven_day_cycle(streak):
    assert xp_for_streak_day(streak) == ref_xp(streak)
    assert xp_for_streak_day(streak + 7) == xp_for_streak_day(streak)


# --- worked examples -------------------------------------------------------------------

DAY_1 = date(2026, 3, 2)


def day(n: int) -> date:
    return DAY_1 + timedelta(days=n - 1)


def test_the_nine_day_scenario():
    week = run([day(n) for n in range(1, 8)])
    assert [r.xp for r in week] == [5, 10, 15, 20, 25, 30, 35]
    assert sum(r.xp for r in week) == 140
    assert [r.freeze_earned for r in week] == [False] * 6 + [True]
    assert week[-1].state == StreakState(streak=7, freezes=1, last_check_in=day(7))

    day_8 = check_in(week[-1].state, day(8))
    assert (day_8.state.streak, day_8.xp, day_8.state.freezes) == (8, 5, 1)

    # Day 9 skipped; day 10 spends the freeze and the streak goes on.
    day_10 = check_in(day_8.state, day(10))
    assert day_10.freeze_used
    assert not day_10.reset
    assert not day_10.freeze_earned
    assert day_10.state == StreakState(streak=9, freezes=0, last_check_in=day(10))
    assert day_10.xp == 10


def test_first_check_in_ever_is_not_a_reset():
    result = check_in(StreakState(), day(1))
    assert result == CheckInResult(state=StreakState(1, 0, day(1)), xp=5)


def test_one_missed_day_without_a_freeze_resets():
    after = run([day(1), day(2), day(3)])[-1].state
    result = check_in(after, day(5))
    assert (result.state.streak, result.xp, result.reset, result.freeze_used) == (1, 5, True, False)


def test_two_missed_days_keep_the_freeze():
    after = run([day(n) for n in range(1, 8)])[-1].state  # holds 1 freeze
    result = check_in(after, day(10))
    assert result.reset
    assert not result.freeze_used
    assert result.state == StreakState(1, 1, day(10))


def test_freezes_are_capped_at_two():
    results = run([day(n) for n in range(1, 22)])
    assert [n for n, r in enumerate(results, 1) if r.freeze_earned] == [7, 14]
    assert results[-1].state.freezes == 2
    assert results[-1].xp == 35  # day 21 still pays the top of the cycle


def test_a_freeze_spent_on_a_seventh_day_is_replaced():
    state = run([day(n) for n in range(1, 14)])[-1].state  # streak 13, freezes 1 (earned on day 7)
    assert (state.streak, state.freezes) == (13, 1)
    result = check_in(state, day(15))  # day 14 missed: the freeze bridges it, streak day 14 earns a new one
    assert (result.freeze_used, result.freeze_earned) == (True, True)
    assert result.state == StreakState(14, 1, day(15))
    assert result.xp == 35


def test_same_day_twice_is_refused_and_earlier_too():
    state = check_in(StreakState(), day(5)).state
    with pytest.raises(AlreadyCheckedIn):
        check_in(state, day(5))
    with pytest.raises(AlreadyCheckedIn):
        check_in(state, day(4))
