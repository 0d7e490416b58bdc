"""Qualification math for a battle-royale group in progress. Pure Python, no ORM.

For each team of a group: the best and worst final rank it can still reach, and whether it has
qualified (finishes within the ``places`` that go through in every outcome of the remaining matches),
is eliminated (in none), or is still alive, with the fewest points it must score to be sure.

The model (what "every outcome" means)
--------------------------------------
* Every team of the group plays each remaining match or is a no-show in it. The results endpoint
  accepts exactly that: distinct placements in 1..lobby size for the teams that played, kills from 0 to
  a ceiling, and ``absent`` teams, who score nothing. A no-show is an outcome, so a claim of
  "eliminated" must survive the other teams not turning up, and "qualified" must survive the team's
  own no-show.
* A team's points in one match are ``placement_points[p - 1] + kill points``, and the kill points do
  not depend on the placement (``Scoring``; the WWCD bonus belongs to placement 1, a tiered kill scale
  to the kill points). Kills are bounded by the kill cap, or else by the most kills the results
  endpoint accepts (1,000): with 1 point per kill that ceiling is as good as unbounded, and a team that
  still plays a match can catch up with anyone until the last match of its group. Kills of different
  teams are independent (the endpoint does not check them against the lobby's players), so they never
  trade off against each other; placements do: one team per placement per match.
* Points decide; the tie-breakers after them (wins, placement points, kills, latest placement, and
  team id at the cut) are treated as unknown while matches remain: a team level on points with ``X``
  counts against ``X`` for "qualified" and for the worst rank, and in its favour for "eliminated" and
  the best rank. Both claims are therefore sound under the full tie-breaker chain; they can be
  conservative only when the outcome that decides them ends in a tie on points. Once the group has no
  match left, the stored order is the truth and is used as it is.

The algorithm
-------------
Best case for ``X``: it wins every remaining match with the kill ceiling, and the other teams are
no-shows. Nobody else can lose points, so ``best_rank = 1 + #{Y: points_Y > points_X + m·(top + kills)}``
exactly, and ``X`` is eliminated when that exceeds ``places``.

Worst case for ``X``: it is a no-show (it scores nothing, and every placement is left to the others),
and each other team takes the kill ceiling in every match (that helps it and costs nobody). Team ``Y``
then still needs ``d_Y`` points from placements. How many of them can reach their ``d_Y`` at once is a
covering problem: if a set of ``j`` teams can, so can the ``j`` with the smallest needs, and those ``j``
may as well use the ``j`` best placements of every match. Counting how often each team gets each
placement gives a ``j × j`` matrix with every row and column summing to ``m``; by König's theorem every
such matrix is the sum of ``m`` permutation matrices, i.e. of ``m`` real matches. So the question is
only: can each team pick ``m`` placement-units (a placement value may repeat for one team), each value
available ``m ×`` its multiplicity times in total, with sum at least its need? That is a small exact
search (``_coverable``): teams in order of decreasing need, each choosing a multiset of units, pruned
by the necessary condition "the ``t`` neediest remaining teams need no more than the best ``t·m``
remaining units", memoised on the remaining capacities, and restricted to bundles where no unit could
move down to a value still left for later teams (an exchange argument shows some solution has that
form; the potential "sum over teams of processing position × bundle value" grows with every swap
that would break it). With one match left the search is not needed: Hall's condition on nested sets
(the ``i``-th neediest team needs at most the ``i``-th best placement) is exact.

Where it is conservative: the search has a budget of ``SEARCH_BUDGET`` steps per group (a 25-team
group with 6 matches left and placement points only, the hardest case, spends it in about 0.3 s).
Past it the necessary condition alone answers; that can only overstate what the other teams can do,
so the worst rank can come out worse than it is and "qualified" late (never wrongly), and "needs N"
higher than needed (still a guarantee).
The tests check the exact claims against brute force over every outcome (3-5 teams, 1-2 matches
left, kill caps 0-2) and the covering search against every schedule of up to 3 matches.

"Needs N points": the smallest score ``N`` over the remaining matches (one ``X`` can actually make)
such that every outcome where ``X`` scores at least ``N`` qualifies it. It is computed with the other
teams at full strength, as if ``X``'s placements took nothing from them; that holds exactly when
``X``'s last non-qualifying score could come from kills on the lowest placement, and otherwise makes
``N`` an upper bound (still a guarantee). ``None`` when no score guarantees qualification (a kill
ceiling that lets others always catch up, or ties ``X`` cannot escape), or when ``X`` is eliminated.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

QUALIFIED = "qualified"
ELIMINATED = "eliminated"
ALIVE = "alive"

# Steps of the exact covering search per group (a step is a few microseconds): past it, the sound
# necessary condition decides the rest, so one standings change costs a bounded, repeatable time.
SEARCH_BUDGET = 20_000


@dataclass(frozen=True)
class Scoring:
    """What one team can score in one match: placement points per placement (1..lobby size) plus
    kill points, which do not depend on the placement."""

    placement_points: tuple[int, ...]
    kill_points: tuple[int, ...]  # every kill-point total a team can earn in one match, ascending, from 0

    def __post_init__(self) -> None:
        if not self.placement_points or any(p < 0 for p in self.placement_points):
            raise ValueError("placement points must be a non-empty list of non-negative integers")
        if not self.kill_points or self.kill_points[0] != 0 or list(self.kill_points) != sorted(set(self.kill_points)):
            raise ValueError("kill points must be ascending, distinct and start at 0")

    @classmethod
    def from_table(cls, table: Sequence[int], *, kill_points: int, lobby: int, max_kills: int) -> "Scoring":
        """Today's scoring: a placement table (0 beyond its end) and a flat number of points per kill."""
        placement = tuple(table[p] if p < len(table) else 0 for p in range(lobby))
        return cls(
            placement_points=placement, kill_points=tuple(sorted({kill_points * k for k in range(max_kills + 1)}))
        )


@dataclass(frozen=True)
class Outlook:
    status: str | None  # QUALIFIED / ELIMINATED / ALIVE; None when the group sends nobody through
    best_rank: int
    worst_rank: int
    points_needed: int | None  # 0 once qualified; None when eliminated or no score is enough

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "best_rank": self.best_rank,
            "worst_rank": self.worst_rank,
            "points_needed": self.points_needed,
        }


class _Undecided(Exception):
    pass


def group_outlook(
    points: Mapping[int, int],
    *,
    remaining: int,
    scoring: Scoring,
    places: int | None,
    order: Sequence[int] = (),
    ranks: Mapping[int, int] | None = None,
) -> dict[int, Outlook]:
    """team_id -> Outlook for one group.

    points: each team's current points; remaining: matches left in the group (every team is in each);
    places: how many teams of the group go through (None or 0: none, only the ranks are given);
    order and ranks: the stored order (rank, then team id, as the round is advanced) and ranks, used
    as they are once no match remains.
    """
    places = places or None
    teams = sorted(points)
    if remaining <= 0:
        position = {team_id: index for index, team_id in enumerate(order or teams, start=1)}
        out = {}
        for team_id in teams:
            rank = (ranks or {}).get(team_id) or position[team_id]
            status = None if places is None else (QUALIFIED if position[team_id] <= places else ELIMINATED)
            out[team_id] = Outlook(status, rank, rank, 0 if status == QUALIFIED else None)
        return out

    m = remaining
    lobby = len(teams)
    values = sorted((scoring.placement_points + (0,) * lobby)[:lobby], reverse=True)
    kill_ceiling = scoring.kill_points[-1]
    best_gain = m * (values[0] + kill_ceiling)
    gains = _sumset({0} | {v + k for v in set(values) for k in scoring.kill_points}, m)

    budget = [SEARCH_BUDGET]
    out = {}
    for x in teams:
        others = [points[y] for y in teams if y != x]
        best_rank = 1 + sum(1 for p in others if p > points[x] + best_gain)

        def reach(gain: int, x: int = x, others: list[int] = others) -> int:
            """How many other teams can end level with or above X when X scores `gain` (an upper
            bound if the search ran out of budget)."""
            needs = [points[x] + gain - p - m * kill_ceiling for p in others]
            return _max_covered(needs, values, m, budget)

        worst_rank = 1 + reach(0)
        status, needed = None, None
        if places is not None:
            if places >= lobby or worst_rank <= places:
                status, needed = QUALIFIED, 0
            elif best_rank > places:
                status = ELIMINATED
            else:
                status = ALIVE
                # The largest score with which X can still miss out (reach is monotone in the score).
                low, high = 0, best_gain
                while low < high:
                    middle = (low + high + 1) // 2
                    if reach(middle) >= places:
                        low = middle
                    else:
                        high = middle - 1
                missing = max(g for g in gains if g <= low)
                needed = min((g for g in gains if g > missing), default=None)
        out[x] = Outlook(status, best_rank, worst_rank, needed)
    return out


def _sumset(values: set[int], times: int) -> set[int]:
    """Every total of `times` values (repeats allowed), as a set, through an integer bitmask."""
    total = 1
    for _ in range(times):
        combined = 0
        for value in values:
            combined |= total << value
        total = combined
    return {index for index in range(total.bit_length()) if total >> index & 1}


def _max_covered(needs: Sequence[int], values: Sequence[int], m: int, budget: list[int]) -> int:
    """The most teams that can each score at least their need from placements over m matches."""
    free = sum(1 for need in needs if need <= 0)
    positive = sorted(need for need in needs if need > 0)

    # The j smallest needs are coverable for j = 0 .. answer (monotone): binary search, below the
    # largest j the necessary condition allows.
    def necessary(j: int) -> bool:
        return _necessary(sorted(positive[:j], reverse=True), 0, *_classes(values[:j], m), m)

    low, high = 0, len(positive)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if necessary(middle) else (low, middle - 1)
    low, high = 0, high
    while low < high:
        middle = (low + high + 1) // 2
        if _coverable(sorted(positive[:middle], reverse=True), values[:middle], m, budget):
            low = middle
        else:
            high = middle - 1
    return free + low


def _coverable(needs: list[int], values: Sequence[int], m: int, budget: list[int]) -> bool:
    """Can each team (needs descending) take m units of placement value, each value usable
    m × (its multiplicity in `values`) times, with a sum of at least its need? Exact within the
    search budget; past it, the necessary condition answers (it can only say yes too often)."""
    if m == 1:
        # One match: Hall's condition on nested sets, the neediest team takes the best placement.
        return all(need <= value for need, value in zip(needs, values, strict=False))
    worth, capacity = _classes(values, m)
    if budget[0] <= 0:
        return _necessary(needs, 0, worth, capacity, m)
    try:
        return _search(needs, worth, m, tuple(capacity), budget)
    except _Undecided:
        return _necessary(needs, 0, worth, capacity, m)


def _classes(values: Sequence[int], m: int) -> tuple[list[int], list[int]]:
    """Distinct placement values (descending) and how many units of each m matches hand out."""
    worth: list[int] = []
    capacity: list[int] = []
    for value in values:
        if worth and worth[-1] == value:
            capacity[-1] += m
        else:
            worth.append(value)
            capacity.append(m)
    return worth, capacity


def _necessary(needs: Sequence[int], start: int, worth: Sequence[int], capacity: Sequence[int], m: int) -> bool:
    """The t neediest remaining teams need at most the t·m best remaining units, for every t."""
    units = [w for w, c in zip(worth, capacity, strict=True) for _ in range(c)]
    need_total = unit_total = 0
    for t, index in enumerate(range(start, len(needs)), start=1):
        need_total += needs[index]
        unit_total += sum(units[(t - 1) * m : t * m])
        if need_total > unit_total:
            return False
    return True


def _search(needs: list[int], worth: list[int], m: int, capacity: tuple[int, ...], budget: list[int]) -> bool:
    memo: dict[tuple[int, tuple[int, ...]], bool] = {}
    classes = len(worth)

    def bundles(need: int, caps: tuple[int, ...]):
        """Multisets of m units (counts per value class) worth at least `need` from which no unit
        could move down to a lower value still left for later teams and keep the need met."""
        counts = [0] * classes

        def best_from(i: int, units: int) -> int:
            total = 0
            for j in range(i, classes):
                take = min(units, caps[j])
                total += take * worth[j]
                units -= take
                if not units:
                    break
            return total

        # When the lowest value left cannot run out, a bundle using value w (above it) can only be
        # minimal if its surplus over the need is below w - lowest: that bounds the walk.
        floor = max((j for j in range(classes) if caps[j]), default=0)
        bounded = caps[floor] > m

        def walk(i: int, units: int, total: int, limit: int):
            budget[0] -= 1
            if budget[0] < 0:
                raise _Undecided
            if units == 0:
                if total >= need:
                    yield tuple(counts)
                return
            if i == classes or total + best_from(i, units) < need:
                return
            if bounded and total + units * worth[floor] - need >= limit:
                return
            for take in range(min(units, caps[i]), -1, -1):
                counts[i] = take
                gap = worth[i] - worth[floor] if take and i != floor else limit
                yield from walk(i + 1, units - take, total + take * worth[i], min(limit, gap))
            counts[i] = 0

        for bundle in walk(0, m, 0, 1 << 62):
            total = sum(c * w for c, w in zip(bundle, worth, strict=True))
            minimal = True
            for i in range(classes):
                if not bundle[i]:
                    continue
                lower = next((j for j in range(i + 1, classes) if caps[j] - bundle[j] > 0), None)
                if lower is not None and total - worth[i] + worth[lower] >= need:
                    minimal = False
                    break
            if minimal:
                yield bundle

    def fits(index: int, caps: tuple[int, ...]) -> bool:
        if index == len(needs):
            return True
        key = (index, caps)
        if key in memo:
            return memo[key]
        budget[0] -= 1
        if budget[0] < 0:
            raise _Undecided
        result = _necessary(needs, index, worth, caps, m) and any(
            fits(index + 1, tuple(c - b for c, b in zip(caps, bundle, strict=True)))
            for bundle in bundles(needs[index], caps)
        )
        memo[key] = result
        return result

    return fits(0, capacity)
