"""Head-to-head tournament formats as pure functions (no ORM, so they can be property-tested by simulation).

Every function returns the matches of a format up front. The caller persists one Match per BracketMatch, keyed by
`key`, and when a result is recorded fills the slots that `advance` returns. Byes (`is_bye=True`) have exactly one
team, always on the home side, and are advanced without being played as soon as that team is known.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Side = Literal["home", "away"]
Bracket = Literal["winners", "losers", "grand_final", "third_place", "round_robin", "swiss"]


@dataclass(frozen=True)
class Link:
    match_key: str
    side: Side


@dataclass(frozen=True)
class BracketMatch:
    key: str  # unique within the tournament and stable: "W1-1", "L2-3", "GF", "GF2", "RR3-2", "S2-4"
    round: int  # 1-based round number within its bracket
    bracket: Bracket
    home: int | None  # team id when known at creation time, else None (filled by progression)
    away: int | None
    winner_to: Link | None = None
    loser_to: Link | None = None
    is_bye: bool = False  # exactly one team and no opponent will ever arrive: it advances without playing


def round_robin(team_ids: Sequence[int]) -> list[BracketMatch]:
    """Circle method: every pair meets exactly once in n-1 rounds (even n) or n rounds (odd n, one team sits out
    each round and gets no BracketMatch). Every team's home and away counts differ by at most one."""
    _check_teams(team_ids)
    circle = list(team_ids)
    # One team stays put while the others turn around a circle of odd length. With an odd count nobody stays put:
    # the team at the round's pivot would meet the missing placeholder, so it sits the round out.
    fixed = circle.pop() if len(circle) % 2 == 0 else None
    size = len(circle)
    matches: list[BracketMatch] = []
    for index in range(size):
        pivot = circle[index]
        pairs: list[tuple[int, int]] = []
        if fixed is not None:
            # Nobody else shares the fixed team's place, so simply alternate its side.
            pairs.append((fixed, pivot) if index % 2 == 0 else (pivot, fixed))
        for distance in range(1, size // 2 + 1):
            first, second = circle[(index - distance) % size], circle[(index + distance) % size]
            # Read the circle as a clock: a team hosts the teams less than half a turn clockwise from it. That rule
            # doesn't depend on the round, so each team hosts exactly half of the rest of the circle.
            pairs.append((first, second) if 2 * distance <= size // 2 else (second, first))
        matches += [
            BracketMatch(key=f"RR{index + 1}-{number}", round=index + 1, bracket="round_robin", home=home, away=away)
            for number, (home, away) in enumerate(pairs, start=1)
        ]
    return matches


def single_elimination(seeds: Sequence[int], *, third_place: bool = False) -> list[BracketMatch]:
    """seeds[0] is the top seed. Keys "W{round}-{n}", bracket "winners". The bracket is padded to a power of two
    with byes for the top seeds; seeds 1 and 2 can only meet in the final. The final has no winner_to.

    third_place adds "3P" (bracket "third_place", the final's round number) between the semi-final losers; with
    fewer than three teams there are no semi-finals, so no such match. A semi-final that is a bye has no loser, so
    the other semi-final's loser takes third place through a bye.
    """
    _check_teams(seeds)
    plan = _winners_bracket(seeds)
    final_round = plan[-1].round
    if third_place and final_round > 1:
        semi = final_round - 1
        plan.append(
            _Planned("3P", final_round, "third_place", _From("loser", f"W{semi}-1"), _From("loser", f"W{semi}-2"))
        )
    return _resolve(plan)


def double_elimination(seeds: Sequence[int]) -> list[BracketMatch]:
    """Winners bracket as in single_elimination plus loser_to links, a losers bracket "L{round}-{n}", the grand
    final "GF" (home = WB champion, away = LB champion) and the reset "GF2".

    GF links both teams to GF2, but GF2 is only played when the LB champion wins GF: the caller checks
    `grand_final_needs_reset` before following GF's links and otherwise skips GF2. In GF2 the WB champion stays at
    home, so GF's winner (the LB champion) goes to GF2's away side and its loser to the home side.

    Losers-bracket slots fed by a winners-bracket bye are never filled: matches left with one team are byes and
    matches left with none are not emitted, so no match waits forever.
    """
    _check_teams(seeds)
    plan = _winners_bracket(seeds)
    wb_rounds = plan[-1].round
    wb_final = f"W{wb_rounds}-1"
    # With two teams there is no losers bracket: the WB final's loser goes straight to the grand final.
    lb_champion = _From("loser", wb_final)
    if wb_rounds > 1:
        plan += _losers_bracket(wb_rounds)
        lb_champion = _From("winner", f"L{plan[-1].round}-1")
    plan.append(_Planned("GF", 1, "grand_final", _From("winner", wb_final), lb_champion))
    plan.append(_Planned("GF2", 2, "grand_final", _From("loser", "GF"), _From("winner", "GF")))
    return _resolve(plan)


def round_name(bracket: str, number: int, last: int, *, double: bool = False) -> str:
    """What a drawn bracket calls a round: `last` is the highest round number of that bracket, `double` says the
    winners bracket has a losers bracket beside it (its rounds are then prefixed "Winners")."""
    if bracket == "third_place":
        return "Third-place match"
    if bracket == "grand_final":
        return "Grand final" if number == 1 else "Grand final reset"
    if bracket == "losers":
        return "Losers final" if number == last else f"Losers round {number}"
    if bracket == "winners":
        names = {last: "Final", last - 1: "Semi-finals", last - 2: "Quarter-finals"}
        name = names.get(number, f"Round {number}") if last > 1 else "Final"
        return f"Winners {name[0].lower()}{name[1:]}" if double else name
    return f"Round {number}"


def grand_final_needs_reset(gf_winner_side: Side) -> bool:
    """GF2 is played only when the LB champion (away) wins GF, because only then do both teams have one loss."""
    return gf_winner_side == "away"


def advance(matches: Mapping[str, BracketMatch], key: str, winner: int, loser: int | None) -> list[tuple[Link, int]]:
    """Slots to fill after `key` is decided: [(winner_to, winner), (loser_to, loser)] for the links that exist.

    `loser` is None for a bye. GF always returns both links: skipping GF2 is the caller's decision
    (`grand_final_needs_reset`), since the ids alone don't tell which side won.
    """
    match = matches[key]
    if winner == loser:
        raise ValueError(f"{key}: winner and loser are the same team")
    slots = [(match.winner_to, winner)] if match.winner_to is not None else []
    if match.loser_to is not None:
        if loser is None:
            raise ValueError(f"{key} sends its loser on, so a loser is required")
        slots.append((match.loser_to, loser))
    return slots


def swiss_pairings(
    ranking: Sequence[int], played: Collection[frozenset[int]], had_bye: Collection[int], round_number: int
) -> list[BracketMatch]:
    """Pair `ranking` (best first) for Swiss round `round_number` without rematches, keys "S{round_number}-{n}".

    Top-down: each team meets the highest-ranked available opponent it has not played, backtracking when that would
    strand a later team; the higher-ranked team is at home. With an odd count the lowest-ranked team without a bye
    sits out (a bye match, listed last); a team gets a second bye only if no fresh bye allows a rematch-free round.
    Raises ValueError if no rematch-free pairing exists.
    """
    _check_teams(ranking)
    if round_number < 1:
        raise ValueError("round_number starts at 1")
    met = set(played)
    dead_ends: set[tuple[int, ...]] = set()
    if len(ranking) % 2 == 0:
        candidates: list[int | None] = [None]
    else:
        lowest_first = list(reversed(ranking))
        rested = set(had_bye)
        candidates = [team for team in lowest_first if team not in rested]
        candidates += [team for team in lowest_first if team in rested]
    for bye in candidates:
        pairs = _pair_without_rematches(tuple(team for team in ranking if team != bye), met, dead_ends)
        if pairs is not None:
            break
    else:
        raise ValueError(f"no rematch-free pairing exists for round {round_number}")
    matches = [
        BracketMatch(key=f"S{round_number}-{number}", round=round_number, bracket="swiss", home=home, away=away)
        for number, (home, away) in enumerate(pairs, start=1)
    ]
    if bye is not None:
        key = f"S{round_number}-{len(matches) + 1}"
        matches.append(BracketMatch(key=key, round=round_number, bracket="swiss", home=bye, away=None, is_bye=True))
    return matches


def swiss_round_count(team_count: int) -> int:
    """ceil(log2(n)), at least 1: enough rounds for a single unbeaten team to remain."""
    if team_count < 1:
        raise ValueError("a Swiss stage needs at least one team")
    # Integer arithmetic: (n - 1).bit_length() is ceil(log2(n)) without float rounding.
    return max(1, (team_count - 1).bit_length())


# --- internals -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _From:
    """A slot filled by progression: the winner or the loser of an earlier match."""

    outcome: Literal["winner", "loser"]
    key: str


# A slot's origin: a team known now, a team still to come, or nobody ever (a missing seed).
_Source = int | _From | None


@dataclass(frozen=True)
class _Planned:
    """An elimination match before byes are resolved: where each slot's team comes from."""

    key: str
    round: int
    bracket: Bracket
    home: _Source
    away: _Source


def _check_teams(team_ids: Sequence[int]) -> None:
    if len(team_ids) < 2:
        raise ValueError("at least two teams are needed")
    if len(set(team_ids)) != len(team_ids):
        raise ValueError("team ids must be unique")


def _seed_order(size: int) -> list[int]:
    """1-based seeds in bracket order, e.g. 8 → [1, 8, 4, 5, 2, 7, 3, 6].

    Each doubling pairs every seed s with (new size + 1 - s), which keeps 1 and 2 in opposite halves, 1-4 in
    different quarters, and so on.
    """
    order = [1]
    while len(order) < size:
        mirror = 2 * len(order) + 1
        order = [seed for top in order for seed in (top, mirror - top)]
    return order


def _winners_bracket(seeds: Sequence[int]) -> list[_Planned]:
    size = 1 << (len(seeds) - 1).bit_length()  # next power of two
    order = _seed_order(size)

    def team(seed: int) -> int | None:
        # Seeds past the field are missing; they always face a top seed, who thereby gets the bye.
        return seeds[seed - 1] if seed <= len(seeds) else None

    plan = [
        _Planned(f"W1-{number}", 1, "winners", team(order[2 * number - 2]), team(order[2 * number - 1]))
        for number in range(1, size // 2 + 1)
    ]
    for round_ in range(2, size.bit_length()):
        plan += [
            _Planned(
                f"W{round_}-{number}",
                round_,
                "winners",
                _From("winner", f"W{round_ - 1}-{2 * number - 1}"),
                _From("winner", f"W{round_ - 1}-{2 * number}"),
            )
            for number in range(1, (size >> round_) + 1)
        ]
    return plan


def _losers_bracket(wb_rounds: int) -> list[_Planned]:
    """Round 1 pairs the WB round-1 losers. Then, for each later WB round, a 'minor' round where LB survivors play
    each other (none before the first drop-in, which already has one survivor per dropping team) and a 'major'
    round where the survivors meet that WB round's losers."""
    size = 1 << wb_rounds
    plan = [
        _Planned(
            f"L1-{number}", 1, "losers", _From("loser", f"W1-{2 * number - 1}"), _From("loser", f"W1-{2 * number}")
        )
        for number in range(1, size // 4 + 1)
    ]
    previous = 1
    for wb_round in range(2, wb_rounds + 1):
        count = size >> wb_round
        if wb_round > 2:
            minor = previous + 1
            plan += [
                _Planned(
                    f"L{minor}-{number}",
                    minor,
                    "losers",
                    _From("winner", f"L{previous}-{2 * number - 1}"),
                    _From("winner", f"L{previous}-{2 * number}"),
                )
                for number in range(1, count + 1)
            ]
            previous = minor
        major = previous + 1
        drops = _drop_order(count, wb_round)
        plan += [
            _Planned(
                f"L{major}-{number}",
                major,
                "losers",
                _From("winner", f"L{previous}-{number}"),
                _From("loser", f"W{wb_round}-{drops[number - 1]}"),
            )
            for number in range(1, count + 1)
        ]
        previous = major
    return plan


def _drop_order(count: int, wb_round: int) -> list[int]:
    """WB match numbers whose losers drop into LB major matches 1..count, in that order.

    Alternating reversed and half-swapped orders send each dropping team to the far side of the losers bracket, away
    from the teams it has just beaten, which avoids most early rematches.
    """
    straight = list(range(1, count + 1))
    if wb_round % 2 == 0:
        return straight[::-1]
    return straight[count // 2 :] + straight[: count // 2]


def _resolve(plan: Sequence[_Planned]) -> list[BracketMatch]:
    """Turn a plan into matches: link every feeder to its slot, mark matches with one team as byes and drop matches
    nobody can reach. `plan` lists every match after its feeders, so one pass knows what each feeder yields."""
    team_count: dict[str, int] = {}
    filled: dict[str, list[tuple[Side, int | _From]]] = {}

    def arrives(source: _Source) -> bool:
        if source is None:
            return False
        if isinstance(source, int):
            return True
        # A bye yields a winner but no loser; a match with no team yields neither.
        return team_count[source.key] >= (1 if source.outcome == "winner" else 2)

    for planned in plan:
        slots: list[tuple[Side, int | _From]] = [
            (side, source) for side, source in (("home", planned.home), ("away", planned.away)) if arrives(source)
        ]
        if len(slots) == 1:
            slots = [("home", slots[0][1])]  # a bye's team always sits at home, so the away side of a bye stays empty
        team_count[planned.key] = len(slots)
        filled[planned.key] = slots

    winner_to: dict[str, Link] = {}
    loser_to: dict[str, Link] = {}
    for planned in plan:
        for side, source in filled[planned.key]:
            if isinstance(source, _From):
                links = winner_to if source.outcome == "winner" else loser_to
                links[source.key] = Link(planned.key, side)

    matches: list[BracketMatch] = []
    for planned in plan:
        known = {side: source for side, source in filled[planned.key] if isinstance(source, int)}
        if not filled[planned.key]:
            continue  # both feeders were byes: emitting it would leave a match waiting forever
        matches.append(
            BracketMatch(
                key=planned.key,
                round=planned.round,
                bracket=planned.bracket,
                home=known.get("home"),
                away=known.get("away"),
                winner_to=winner_to.get(planned.key),
                loser_to=loser_to.get(planned.key),
                is_bye=team_count[planned.key] == 1,
            )
        )
    return matches


def _pair_without_rematches(
    teams: tuple[int, ...], met: set[frozenset[int]], dead_ends: set[tuple[int, ...]]
) -> list[tuple[int, int]] | None:
    """Pair `teams` (best first) top-down with backtracking; None if every pairing has a rematch.

    `dead_ends` remembers team sets already proven unpairable, so backtracking never repeats a failed search; it is
    shared across bye candidates because a dead end doesn't depend on who sits out.
    """
    if not teams:
        return []
    if teams in dead_ends:
        return None
    first, others = teams[0], teams[1:]
    for index, opponent in enumerate(others):
        if frozenset((first, opponent)) in met:
            continue
        rest = _pair_without_rematches(others[:index] + others[index + 1 :], met, dead_ends)
        if rest is not None:
            return [(first, opponent), *rest]
    dead_ends.add(teams)
    return None
