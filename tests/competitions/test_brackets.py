"""Tournament formats (competitions.brackets), checked by playing whole tournaments in memory; no database."""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from competitions.brackets import (
    BracketMatch,
    Link,
    advance,
    double_elimination,
    grand_final_needs_reset,
    round_name,
    round_robin,
    single_elimination,
    swiss_pairings,
    swiss_round_count,
)

# The autouse fixtures in tests/conftest.py are function-scoped but harmless here (no state is shared between examples).
examples = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Picks the winner of a playable match from (match, home, away).
Decide = Callable[[BracketMatch, int, int], int]


@dataclass
class Played:
    key: str
    home: int
    away: int
    winner: int


@dataclass
class Result:
    played: list[Played]
    losses: Counter[int]
    champion: int
    runner_up: int


def seeds_for(count: int) -> list[int]:
    # Ids unrelated to seed order, so no test passes just because "lower id" and "better seed" coincide.
    return [1000 - 7 * index if index % 2 else 500 + 3 * index for index in range(count)]


def better_seed(seeds: list[int]) -> Decide:
    rank = {team: index for index, team in enumerate(seeds)}
    return lambda match, home, away: min(home, away, key=rank.__getitem__)


def at_random(rnd: random.Random) -> Decide:
    return lambda match, home, away: rnd.choice((home, away))


def play(matches: list[BracketMatch], decide: Decide) -> Result:
    """Drive a bracket the way the lead's service will: fill slots via `advance`, auto-advance byes, skip GF2 unless
    the reset is needed. Fails if a slot is filled twice or if any match is left waiting."""
    by_key = {match.key: match for match in matches}
    slots = {match.key: {"home": match.home, "away": match.away} for match in matches}
    done: set[str] = set()
    played: list[Played] = []
    losses: Counter[int] = Counter()
    progress = True
    while progress:
        progress = False
        for match in matches:
            home, away = slots[match.key]["home"], slots[match.key]["away"]
            if match.key in done or home is None or (away is None and not match.is_bye):
                continue
            if match.is_bye:
                assert away is None, f"{match.key} is a bye but received a second team"
                winner, loser = home, None
            else:
                assert away is not None
                winner = decide(match, home, away)
                loser = away if winner == home else home
                played.append(Played(match.key, home, away, winner))
                losses[loser] += 1
            done.add(match.key)
            progress = True
            if match.key == "GF" and not grand_final_needs_reset("home" if winner == home else "away"):
                done.add("GF2")
                continue
            for link, team in advance(by_key, match.key, winner, loser):
                assert slots[link.match_key][link.side] is None, f"{link} filled twice"
                slots[link.match_key][link.side] = team
    waiting = [key for key in by_key if key not in done]
    assert not waiting, f"matches waiting forever: {waiting}"
    final = played[-1]  # every other match feeds the final, so it is decided last
    return Result(played, losses, final.winner, final.away if final.winner == final.home else final.home)


def assert_well_formed(matches: list[BracketMatch]) -> None:
    """Every bye has exactly one team coming, on the home side; every other match exactly two; no slot is fed twice;
    links only point forward, so the bracket has no cycles."""
    position = {match.key: index for index, match in enumerate(matches)}
    assert len(position) == len(matches), "duplicate keys"
    incoming: Counter[Link] = Counter()
    for index, match in enumerate(matches):
        for link in (match.winner_to, match.loser_to):
            if link is not None:
                assert position[link.match_key] > index
                incoming[link] += 1
        if match.is_bye:
            assert match.loser_to is None
    assert all(count == 1 for count in incoming.values())
    for match in matches:
        arriving = {side for side in ("home", "away") if incoming[Link(match.key, side)]}
        known = {side for side, team in (("home", match.home), ("away", match.away)) if team is not None}
        assert not arriving & known
        expected = {"home"} if match.is_bye else {"home", "away"}
        assert arriving | known == expected, match


# --- round robin ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", range(2, 13))
def test_round_robin_every_pair_meets_once_and_nobody_plays_twice_a_round(count):
    teams = seeds_for(count)
    matches = round_robin(teams)

    pairs = Counter(frozenset((match.home, match.away)) for match in matches)
    assert set(pairs) == {frozenset(pair) for pair in combinations(teams, 2)}
    assert set(pairs.values()) == {1}
    rounds = {match.round for match in matches}
    assert rounds == set(range(1, (count - 1 if count % 2 == 0 else count) + 1))
    for round_ in rounds:
        playing = [team for match in matches if match.round == round_ for team in (match.home, match.away)]
        assert len(playing) == len(set(playing)) == count - count % 2  # with an odd count one team sits out
    assert len({match.key for match in matches}) == len(matches)
    assert all(match.bracket == "round_robin" and not match.is_bye for match in matches)


@pytest.mark.parametrize("count", range(2, 13))
def test_round_robin_balances_home_and_away(count):
    matches = round_robin(seeds_for(count))
    home = Counter(match.home for match in matches)
    away = Counter(match.away for match in matches)
    # Even counts play an odd number of matches each, so a difference of one is the best possible.
    assert {abs(home[team] - away[team]) for team in seeds_for(count)} == ({1} if count % 2 == 0 else {0})


@pytest.mark.parametrize("teams", [[], [1], [1, 2, 1]])
def test_formats_reject_too_few_or_duplicate_teams(teams):
    for make in (round_robin, single_elimination, double_elimination):
        with pytest.raises(ValueError, match="team"):
            make(teams)


# --- single elimination --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [*range(2, 34), 64])
def test_single_elimination_is_well_formed_and_the_best_seeds_reach_the_final(count):
    seeds = seeds_for(count)
    matches = single_elimination(seeds)
    assert_well_formed(matches)
    assert [match.key for match in matches if match.winner_to is None] == [matches[-1].key]
    assert all(match.loser_to is None for match in matches)

    result = play(matches, better_seed(seeds))
    assert (result.champion, result.runner_up) == (seeds[0], seeds[1])


@examples
@given(count=st.integers(2, 33), rnd=st.randoms(use_true_random=False))
def test_single_elimination_crowns_one_champion_and_everyone_else_loses_once(count, rnd):
    seeds = seeds_for(count)
    result = play(single_elimination(seeds), at_random(rnd))

    assert result.losses == Counter({team: 1 for team in seeds if team != result.champion})
    assert len(result.played) == count - 1


def test_single_elimination_six_teams_gives_the_top_two_seeds_byes():
    seeds = seeds_for(6)
    matches = single_elimination(seeds)
    byes = [match for match in matches if match.is_bye]
    assert {match.home for match in byes} == {seeds[0], seeds[1]}
    assert all(match.round == 1 and match.away is None and match.winner_to for match in byes)
    first_round = [(match.home, match.away) for match in matches if match.round == 1 and not match.is_bye]
    assert first_round == [(seeds[3], seeds[4]), (seeds[2], seeds[5])]  # 4 v 5 and 3 v 6


def test_single_elimination_standard_seeding_for_eight():
    seeds = seeds_for(8)
    first_round = [(match.home, match.away) for match in single_elimination(seeds) if match.round == 1]
    expected = [(1, 8), (4, 5), (2, 7), (3, 6)]
    assert first_round == [(seeds[home - 1], seeds[away - 1]) for home, away in expected]


@examples
@given(count=st.integers(4, 33), rnd=st.randoms(use_true_random=False))
def test_third_place_match_is_played_by_the_semi_final_losers(count, rnd):
    seeds = seeds_for(count)
    matches = single_elimination(seeds, third_place=True)
    assert_well_formed(matches)
    by_key = {match.key: match for match in matches}
    final = next(match for match in matches if match.bracket == "winners" and match.winner_to is None)
    third = by_key["3P"]
    assert (third.bracket, third.round, third.is_bye) == ("third_place", final.round, False)
    assert (third.winner_to, third.loser_to) == (None, None)
    semis = [match for match in matches if match.round == final.round - 1 and match.bracket == "winners"]
    assert [semi.loser_to for semi in semis] == [Link("3P", "home"), Link("3P", "away")]

    result = play(matches, at_random(rnd))
    games = {game.key: game for game in result.played}

    def loser(game: Played) -> int:
        return game.home if game.winner == game.away else game.away

    champion, runner_up = games[final.key].winner, loser(games[final.key])
    assert {games["3P"].home, games["3P"].away} == {loser(games[semi.key]) for semi in semis}
    assert games["3P"].winner not in (champion, runner_up)
    # Everyone but the champion goes out once, and the fourth-placed team loses once more in the third-place match.
    assert len(result.played) == count
    expected = Counter({team: 1 for team in seeds if team != champion})
    expected[loser(games["3P"])] += 1
    assert result.losses == expected


def test_third_place_with_three_teams_goes_to_the_only_semi_final_loser_through_a_bye():
    seeds = seeds_for(3)
    by_key = {match.key: match for match in single_elimination(seeds, third_place=True)}
    assert by_key["W1-1"].is_bye
    assert by_key["W1-2"].loser_to == Link("3P", "home")
    assert (by_key["3P"].is_bye, by_key["3P"].home, by_key["3P"].away) == (True, None, None)


def test_two_teams_have_no_semi_finals_so_no_third_place_match():
    assert [match.key for match in single_elimination([4, 2], third_place=True)] == ["W1-1"]


def test_round_names():
    assert [round_name("winners", n, 4) for n in range(1, 5)] == ["Round 1", "Quarter-finals", "Semi-finals", "Final"]
    assert round_name("winners", 1, 1) == "Final"
    assert round_name("winners", 2, 3, double=True) == "Winners semi-finals"
    assert [round_name("losers", n, 4) for n in (1, 4)] == ["Losers round 1", "Losers final"]
    assert [round_name("grand_final", n, 2) for n in (1, 2)] == ["Grand final", "Grand final reset"]
    assert round_name("third_place", 3, 3) == "Third-place match"
    assert round_name("swiss", 2, 3) == round_name("round_robin", 2, 5) == "Round 2"


# --- double elimination --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [*range(2, 33), 64])
def test_double_elimination_with_better_seeds_winning(count):
    seeds = seeds_for(count)
    matches = double_elimination(seeds)
    assert_well_formed(matches)

    result = play(matches, better_seed(seeds))
    assert (result.champion, result.runner_up) == (seeds[0], seeds[1])
    assert result.losses == Counter({team: 2 for team in seeds if team != seeds[0]})
    assert len(result.played) == 2 * count - 2  # the WB champion wins GF, so no reset


@examples
@given(count=st.integers(2, 32), rnd=st.randoms(use_true_random=False))
def test_double_elimination_always_completes_with_two_losses_per_eliminated_team(count, rnd):
    seeds = seeds_for(count)
    result = play(double_elimination(seeds), at_random(rnd))

    assert result.losses[result.champion] in (0, 1)
    assert all(result.losses[team] == 2 for team in seeds if team != result.champion)
    reset = any(game.key == "GF2" for game in result.played)
    assert len(result.played) == 2 * count - 2 + reset
    assert reset == (result.losses[result.champion] == 1)


@examples
@given(count=st.integers(5, 32), rnd=st.randoms(use_true_random=False))
def test_double_elimination_first_drop_round_has_no_rematch_of_round_one(count, rnd):
    # From eight slots up, reversing the WB round-2 losers sends them away from the teams they beat in round 1.
    result = play(double_elimination(seeds_for(count)), at_random(rnd))
    round_one = {frozenset((game.home, game.away)) for game in result.played if game.key.startswith("W1-")}
    drop_round = [frozenset((game.home, game.away)) for game in result.played if game.key.startswith("L2-")]
    assert drop_round
    assert not round_one.intersection(drop_round)


def test_double_elimination_eight_teams_plays_fourteen_or_fifteen_matches():
    seeds = seeds_for(8)
    matches = double_elimination(seeds)
    assert not any(match.is_bye for match in matches)
    assert len(play(matches, better_seed(seeds)).played) == 14

    def lb_champion_forces_reset(match: BracketMatch, home: int, away: int) -> int:
        return away if match.key == "GF" else better_seed(seeds)(match, home, away)

    result = play(matches, lb_champion_forces_reset)
    assert len(result.played) == 15
    assert [(game.key, game.winner) for game in result.played[-2:]] == [("GF", seeds[1]), ("GF2", seeds[0])]
    assert result.losses[seeds[0]] == 1


def test_grand_final_links_both_teams_to_the_reset_keeping_the_wb_champion_at_home():
    by_key = {match.key: match for match in double_elimination(seeds_for(8))}
    gf, gf2 = by_key["GF"], by_key["GF2"]
    assert (gf.bracket, gf.round, gf2.bracket, gf2.round) == ("grand_final", 1, "grand_final", 2)
    assert (gf.winner_to, gf.loser_to) == (Link("GF2", "away"), Link("GF2", "home"))
    assert (gf2.winner_to, gf2.loser_to, gf2.is_bye) == (None, None, False)
    assert by_key["W3-1"].winner_to == Link("GF", "home")
    assert by_key["L4-1"].winner_to == Link("GF", "away")
    assert grand_final_needs_reset("away")
    assert not grand_final_needs_reset("home")


def test_double_elimination_two_teams_sends_the_loser_straight_to_the_grand_final():
    matches = double_elimination([7, 9])
    assert [match.key for match in matches] == ["W1-1", "GF", "GF2"]
    assert matches[0].loser_to == Link("GF", "away")


def test_double_elimination_resolves_losers_bracket_slots_left_empty_by_byes():
    # Five teams in eight slots: seeds 1-3 have byes, so only W1-2 sends a loser to round 1 of the losers bracket.
    by_key = {match.key: match for match in double_elimination(seeds_for(5))}
    assert by_key["L1-1"].is_bye
    assert "L1-2" not in by_key  # both its feeders were byes: nobody could ever play it
    assert by_key["L2-2"].is_bye  # so the WB round-2 loser it would have met passes through alone
    assert by_key["W2-1"].loser_to == Link("L2-2", "home")
    assert not by_key["L2-1"].is_bye


def test_double_elimination_crosses_drop_downs():
    by_key = {match.key: match for match in double_elimination(seeds_for(16))}
    assert [by_key[f"W2-{number}"].loser_to for number in range(1, 5)] == [
        Link(f"L2-{number}", "away") for number in (4, 3, 2, 1)
    ]
    assert [by_key[f"W3-{number}"].loser_to for number in range(1, 3)] == [Link("L4-2", "away"), Link("L4-1", "away")]


def test_advance_returns_the_linked_slots():
    by_key = {match.key: match for match in double_elimination(seeds_for(8))}
    w11 = by_key["W1-1"]
    assert advance(by_key, "W1-1", 1, 2) == [(w11.winner_to, 1), (w11.loser_to, 2)]
    assert advance(by_key, "GF2", 1, 2) == []
    with pytest.raises(ValueError, match="loser is required"):
        advance(by_key, "W1-1", 1, None)
    bye = next(match for match in single_elimination(seeds_for(3)) if match.is_bye)
    assert advance({bye.key: bye}, bye.key, 5, None) == [(bye.winner_to, 5)]


# --- swiss ---------------------------------------------------------------------------------------------------------


def play_swiss(count: int, rounds: int, rnd: random.Random) -> tuple[list[list[BracketMatch]], set[frozenset[int]]]:
    teams = seeds_for(count)
    wins: Counter[int] = Counter()
    played: set[frozenset[int]] = set()
    had_bye: set[int] = set()
    history = []
    for round_number in range(1, rounds + 1):
        ranking = sorted(teams, key=lambda team: (-wins[team], team))
        matches = swiss_pairings(ranking, played, had_bye, round_number)
        history.append(matches)

        playing = [team for match in matches for team in (match.home, match.away) if team is not None]
        assert sorted(playing) == sorted(teams), "every team appears exactly once per round"
        for match in matches:
            assert match.key == f"S{round_number}-{matches.index(match) + 1}"
            if match.is_bye:
                assert match.away is None
                had_bye.add(match.home)
                wins[match.home] += 1
                continue
            pair = frozenset((match.home, match.away))
            assert pair not in played, "rematch"
            played.add(pair)
            wins[rnd.choice((match.home, match.away))] += 1
    return history, played


@examples
@given(rnd=st.randoms(use_true_random=False))
def test_swiss_eight_teams_three_rounds_never_rematch(rnd):
    history, played = play_swiss(8, swiss_round_count(8), rnd)
    assert len(history) == 3
    assert all(len(matches) == 4 and not any(match.is_bye for match in matches) for matches in history)
    assert len(played) == 12


@examples
@given(count=st.sampled_from([3, 5, 7, 9, 11]), rnd=st.randoms(use_true_random=False))
def test_swiss_odd_counts_give_one_bye_per_round_never_twice_to_a_team(count, rnd):
    history, _ = play_swiss(count, swiss_round_count(count), rnd)
    byes = [match.home for matches in history for match in matches if match.is_bye]
    assert len(byes) == len(history)
    assert len(set(byes)) == len(byes)


def test_swiss_three_teams_rotate_the_bye_until_everyone_has_met():
    history, played = play_swiss(3, 3, random.Random(0))
    assert len({match.home for matches in history for match in matches if match.is_bye}) == 3
    assert len(played) == 3  # a full round robin, so a fourth round can only rematch
    with pytest.raises(ValueError, match="rematch-free"):
        swiss_pairings([1, 2, 3], played={frozenset(p) for p in combinations([1, 2, 3], 2)}, had_bye=[], round_number=4)


def test_swiss_pairs_top_down_and_backtracks():
    assert [(m.home, m.away) for m in swiss_pairings([1, 2, 3, 4], [], [], 1)] == [(1, 2), (3, 4)]
    # Greedy 1 v 2 would leave 3 v 4, a rematch.
    assert [(m.home, m.away) for m in swiss_pairings([1, 2, 3, 4], [frozenset({3, 4})], [], 2)] == [(1, 3), (2, 4)]


def test_swiss_bye_goes_to_the_lowest_ranked_team_without_one():
    def bye(ranking, played=(), had_bye=()):
        return [m.home for m in swiss_pairings(ranking, played, had_bye, 2) if m.is_bye]

    assert bye([1, 2, 3]) == [3]
    assert bye([1, 2, 3], had_bye=[3]) == [2]
    assert bye([1, 2, 3], had_bye=[1, 2, 3]) == [3]  # unavoidable repeat: back to the lowest-ranked
    # A bye for 3 would force the rematch 1 v 2, so the next candidate sits out instead.
    assert bye([1, 2, 3], played=[frozenset({1, 2})]) == [2]


def test_swiss_raises_when_no_rematch_free_pairing_exists():
    everyone_met = {frozenset(pair) for pair in combinations([1, 2, 3, 4], 2)}
    with pytest.raises(ValueError, match="rematch-free"):
        swiss_pairings([1, 2, 3, 4], everyone_met, [], 4)
    top_team_met_all = {frozenset({1, other}) for other in (2, 3, 4)}
    with pytest.raises(ValueError, match="rematch-free"):
        swiss_pairings([1, 2, 3, 4], top_team_met_all, [], 4)


@pytest.mark.parametrize(
    ("teams", "rounds"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (8, 3), (9, 4), (16, 4), (17, 5), (64, 6)]
)
def test_swiss_round_count(teams, rounds):
    assert swiss_round_count(teams) == rounds
