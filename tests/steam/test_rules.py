"""The pure rules: reading what a player typed, and turning a Dota 2 match into a head-to-head score."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena.exceptions import Invalid
from steam import dota
from steam.ids import ID64_BASE, account_id_of, steam_id_of, steam_input_parse

account_ids = st.integers(min_value=1, max_value=2**32 - 1)


@given(
    account_ids,
    st.sampled_from(["{}", "https://steamcommunity.com/profiles/{}/", "http://www.steamcommunity.com/profiles/{}"]),
)
def test_every_steam_id_form_reads_back(account_id, form):
    steam_id = steam_id_of(account_id)

    parsed = steam_input_parse(form.format(steam_id))

    assert parsed.steam_id == steam_id
    assert account_id_of(parsed.steam_id) == account_id


@given(st.from_regex(r"[A-Za-z0-9_-]{2,32}", fullmatch=True))
def test_custom_url_names_are_resolved_not_guessed(name):
    forms = [name, f"https://steamcommunity.com/id/{name}/", f"steamcommunity.com/id/{name}"]
    for form in forms:
        parsed = steam_input_parse(form)
        if name.isdigit() and len(name) >= 16:
            pytest.fail("long digit strings are ids")  # pragma: no cover
        assert (parsed.steam_id, parsed.vanity) == (None, name)


@given(st.text(max_size=40))
def test_anything_else_is_either_read_or_refused_with_invalid(text):
    try:
        parsed = steam_input_parse(text)
    except Invalid as exc:
        code = exc.code
    else:
        code = None
        assert (parsed.steam_id is None) != (parsed.vanity is None)
        assert parsed.steam_id is None or ID64_BASE < parsed.steam_id < ID64_BASE + 2**32
    assert code in (None, "invalid_steam_input")


def result(radiant_win: bool, radiant_score: int, dire_score: int, players=()) -> dota.DotaResult:
    return dota.DotaResult(1, radiant_win, radiant_score, dire_score, None, None, tuple(players))


@given(st.booleans(), st.integers(0, 120), st.integers(0, 120), st.sampled_from([dota.RADIANT, dota.DIRE]))
def test_the_recorded_winner_is_always_dotas_winner(radiant_win, radiant_kills, dire_kills, home_side):
    score = dota.h2h_score(result(radiant_win, radiant_kills, dire_kills), home_side)

    home_won = radiant_win == (home_side == dota.RADIANT)
    assert (score.home_score > score.away_score) == home_won
    assert score.home_score != score.away_score
    kills = (radiant_kills, dire_kills) if home_side == dota.RADIANT else (dire_kills, radiant_kills)
    if score.note:
        assert (score.home_score, score.away_score) == (int(home_won), int(not home_won))
    else:
        assert (score.home_score, score.away_score) == kills


@given(
    home_radiant=st.integers(0, 5),
    home_dire=st.integers(0, 5),
    away_radiant=st.integers(0, 5),
    away_dire=st.integers(0, 5),
)
def test_teams_go_where_most_of_their_players_were(home_radiant, home_dire, away_radiant, away_dire):
    home = dota.Team(1, "Home", frozenset(range(100, 110)))
    away = dota.Team(2, "Away", frozenset(range(200, 210)))
    players = (
        [dota.DotaPlayer(100 + n, dota.RADIANT) for n in range(home_radiant)]
        + [dota.DotaPlayer(105 + n, dota.DIRE) for n in range(home_dire)]
        + [dota.DotaPlayer(200 + n, dota.RADIANT) for n in range(away_radiant)]
        + [dota.DotaPlayer(205 + n, dota.DIRE) for n in range(away_dire)]
        + [dota.DotaPlayer(999, dota.RADIANT)]
    )

    mapping = dota.sides_map(players, home, away)

    def side(radiant, dire):
        return None if radiant == dire else dota.RADIANT if radiant > dire else dota.DIRE

    home_side, away_side = side(home_radiant, home_dire), side(away_radiant, away_dire)
    if home_side and away_side and home_side != away_side:
        assert (mapping.home_side, mapping.reason) == (home_side, "")
    else:
        assert mapping.home_side is None
        assert mapping.reason
    assert mapping.seen[1] == {dota.RADIANT: home_radiant, dota.DIRE: home_dire}


def test_player_slots_and_team_numbers():
    assert dota.player_side({"player_slot": 4}) == dota.RADIANT
    assert dota.player_side({"player_slot": 130}) == dota.DIRE
    assert dota.player_side({"player_slot": 0, "team_number": 1}) == dota.DIRE
    anonymous = {"account_id": 4294967295, "player_slot": 1}
    assert dota.players_parse([anonymous, {"account_id": 7, "player_slot": 129, "kills": 3}]) == (
        dota.DotaPlayer(7, dota.DIRE, 3),
    )


def test_kills_are_summed_when_steam_leaves_out_the_side_scores():
    parsed = dota.match_details_parse(
        {
            "match_id": 5,
            "radiant_win": True,
            "players": [
                {"account_id": 1, "player_slot": 0, "kills": 4},
                {"account_id": 2, "player_slot": 128, "kills": 9},
            ],
        }
    )
    assert (parsed.radiant_score, parsed.dire_score) == (4, 9)
    with pytest.raises(dota.UnusableMatch):
        dota.match_details_parse({"match_id": 5, "players": []})
