"""Public reads cost a fixed number of queries, however many tournaments, teams or matches they show."""

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.competitions.conftest import create_published, make_team, register

pytestmark = pytest.mark.django_db

# Generous absolute ceilings: a handful of queries per endpoint (auth, the tournament, the page count,
# the rows and one query per prefetched relation). A per-row query would blow through them at once.
MAX_LIST_QUERIES = 8
MAX_DETAIL_QUERIES = 12


def _queries(api, path: str, **kw) -> tuple[int, dict | list]:
    with CaptureQueriesContext(connection) as context:
        response = api.get_json(path, **kw)
    assert response.status_code == 200, response.content
    return len(context.captured_queries), response.json()


def _diff(small: int, large: int, path: str) -> str:
    return f"{path}: {small} queries for the small case, {large} for the large one (N+1?)"


def _started(api, host, teams: int, **overrides) -> tuple[int, list]:
    """A started one-round BGMI tournament with `teams` teams in lobbies of 8, two matches a lobby,
    and results posted for its first match so result rows are part of every read."""
    tournament = create_published(
        api, host, max_teams=teams, group_size=8, rounds_count=1, qualify_per_group=0, **overrides
    )
    tid = tournament["id"]
    entered = [make_team(4) for _ in range(teams)]
    for team in entered:
        assert register(api, tid, team).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    rounds = api.get_json(f"/api/tournaments/{tid}/rounds").json()
    lobby = [team["id"] for team in rounds[0]["groups"][0]["teams"]]
    first = rounds[0]["matches"][0]
    results = [{"team_id": t, "placement": i, "kills": i % 3} for i, t in enumerate(lobby, start=1)]
    posted = api.put_json(f"/api/matches/{first['id']}/results", results, user=host)
    assert posted.status_code == 200, posted.content
    return tid, entered


def test_tournament_list_queries_do_not_grow(api, host, django_assert_max_num_queries):
    def publish(count: int) -> None:
        for i in range(count):
            plan = ("basic", "featured", "premium")[i % 3]
            tid = create_published(api, host, rounds_count=1, qualify_per_group=0, listing_plan=plan)["id"]
            if i % 2 == 0:
                assert register(api, tid, make_team(4)).status_code == 201

    publish(3)
    small_anonymous, page = _queries(api, "/api/tournaments")
    assert page["count"] == 3
    small_host, _ = _queries(api, "/api/tournaments", user=host)
    small_scrims, _ = _queries(api, "/api/scrims")

    publish(12)
    large_anonymous, page = _queries(api, "/api/tournaments")
    assert page["count"] == 15
    assert len(page["items"]) == 15
    assert sum(item["registered_teams"] for item in page["items"]) == 8
    large_host, _ = _queries(api, "/api/tournaments", user=host)
    large_scrims, _ = _queries(api, "/api/scrims")

    assert small_anonymous == large_anonymous, _diff(small_anonymous, large_anonymous, "/api/tournaments")
    assert small_host == large_host, _diff(small_host, large_host, "/api/tournaments as host")
    assert small_scrims == large_scrims, _diff(small_scrims, large_scrims, "/api/scrims")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        assert api.get_json("/api/tournaments?game=bgmi&q=cup", user=host).status_code == 200


def test_standings_queries_do_not_grow(api, host, django_assert_max_num_queries):
    small, _ = _started(api, host, 4)
    large, _ = _started(api, host, 16)
    for suffix in ("", "?round=1", "?round=1&group=A"):
        small_count, small_rows = _queries(api, f"/api/tournaments/{small}/standings{suffix}")
        large_count, large_rows = _queries(api, f"/api/tournaments/{large}/standings{suffix}")
        assert len(small_rows) == 4
        assert len(large_rows) == (16 if suffix != "?round=1&group=A" else 8)
        assert small_count == large_count, _diff(small_count, large_count, f"standings{suffix}")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        api.get_json(f"/api/tournaments/{large}/standings")


def test_rounds_and_matches_queries_do_not_grow(api, host, django_assert_max_num_queries):
    small, small_teams = _started(api, host, 8)
    large, large_teams = _started(api, host, 16)
    # Anonymous spectators, the host and a rostered player (who may see room details).
    viewers = {
        "anonymous": ({}, {}),
        "host": ({"user": host}, {"user": host}),
        "player": ({"user": small_teams[0].captain}, {"user": large_teams[0].captain}),
    }
    for resource in ("rounds", "matches"):
        for viewer, (small_kw, large_kw) in viewers.items():
            small_count, small_body = _queries(api, f"/api/tournaments/{small}/{resource}", **small_kw)
            large_count, large_body = _queries(api, f"/api/tournaments/{large}/{resource}", **large_kw)
            if resource == "rounds":
                assert [len(r["groups"]) for r in small_body] == [1]
                assert [len(r["groups"]) for r in large_body] == [2]
                assert sum(len(g["teams"]) for g in large_body[0]["groups"]) == 16
            else:
                assert len(small_body) == 2
                assert len(large_body) == 4
                assert len(large_body[0]["results"]) == 8
            assert small_count == large_count, _diff(small_count, large_count, f"{resource} as {viewer}")
        with django_assert_max_num_queries(MAX_DETAIL_QUERIES):
            api.get_json(f"/api/tournaments/{large}/{resource}", user=large_teams[0].captain)


def test_registration_list_queries_do_not_grow(api, host, django_assert_max_num_queries):
    small = create_published(api, host, rounds_count=1, qualify_per_group=0)["id"]
    large = create_published(api, host, rounds_count=1, qualify_per_group=0)["id"]
    for tid, count in ((small, 2), (large, 8)):
        for _ in range(count):
            assert register(api, tid, make_team(4)).status_code == 201

    for kw in ({}, {"user": host}):
        small_count, small_page = _queries(api, f"/api/tournaments/{small}/registrations", **kw)
        large_count, large_page = _queries(api, f"/api/tournaments/{large}/registrations", **kw)
        assert small_page["count"] == 2
        assert large_page["count"] == 8
        assert all(len(item["players"]) == 4 for item in large_page["items"])
        assert small_count == large_count, _diff(small_count, large_count, "registrations")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        api.get_json(f"/api/tournaments/{large}/registrations")


def test_unchanged_tournament_reads_cost_no_query_and_a_change_is_seen_at_once(api, host, django_assert_num_queries):
    tid, entered = _started(api, host, 4)
    paths = [
        f"/api/tournaments/{tid}",
        *(f"/api/tournaments/{tid}/standings{s}" for s in ("", "?round=1", "?round=1&group=A")),
    ]
    for path in paths:
        api.get_json(path)  # fills the cache
    for path in paths:
        with django_assert_num_queries(0):
            assert api.get_json(path).status_code == 200

    match = api.get_json(f"/api/tournaments/{tid}/matches").json()[1]
    results = [{"team_id": t.pk, "placement": i, "kills": 9} for i, t in enumerate(entered, start=1)]
    assert api.put_json(f"/api/matches/{match['id']}/results", results, user=host).status_code == 200
    _, standings = _queries(api, f"/api/tournaments/{tid}/standings")
    assert sum(row["matches_played"] for row in standings) == 8
    assert sum(row["kills"] for row in standings) == 4 * 9 + sum(i % 3 for i in range(1, 5))
    with django_assert_num_queries(0):
        assert api.get_json(f"/api/tournaments/{tid}/standings").json() == standings

    # A write that publishes nothing (the title) is seen too; a draft stays hidden from others.
    assert api.patch_json(f"/api/tournaments/{tid}", {"title": "Renamed Cup"}, user=host).status_code == 200
    assert api.get_json(f"/api/tournaments/{tid}").json()["title"] == "Renamed Cup"
    draft = api.post_json(
        "/api/tournaments", {"game": "bgmi", "title": "Hidden", "starts_at": "2031-01-01T00:00:00Z"}, user=host
    ).json()
    assert api.get_json(f"/api/tournaments/{draft['id']}", user=host).status_code == 200
    assert api.get_json(f"/api/tournaments/{draft['id']}").status_code == 404
    assert api.get_json(f"/api/tournaments/{draft['id']}/standings").status_code == 404
    assert api.get_json(f"/api/scrims/{tid}").status_code == 404


def test_standings_are_revalidated_with_their_etag(api, host, django_assert_num_queries):
    """A warm read answers the stored bytes (the same JSON as the first read) with an ETag; sending it
    back gets 304 without a body while nothing changed, and the new table once a result changes it."""
    tid, entered = _started(api, host, 4)
    path = f"/api/tournaments/{tid}/standings"
    first = api.get_json(path)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert first["Cache-Control"] == "no-cache"
    with django_assert_num_queries(0):
        warm = api.get_json(path)
        not_modified = api.get_json(path, HTTP_IF_NONE_MATCH=etag)
    assert warm.content == first.content
    assert warm["ETag"] == etag
    assert warm["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert api.get_json(path, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304

    match = api.get_json(f"/api/tournaments/{tid}/matches").json()[1]
    results = [{"team_id": t.pk, "placement": i, "kills": 9} for i, t in enumerate(entered, start=1)]
    assert api.put_json(f"/api/matches/{match['id']}/results", results, user=host).status_code == 200
    changed = api.get_json(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert sum(row["matches_played"] for row in changed.json()) == 8


def test_draft_standings_are_never_served_from_the_shared_cache(api, host):
    """What the host of a draft reads is not stored for everyone: the next anonymous read is still 404."""
    draft = api.post_json(
        "/api/tournaments", {"game": "bgmi", "title": "Hidden", "starts_at": "2031-01-01T00:00:00Z"}, user=host
    ).json()
    path = f"/api/tournaments/{draft['id']}/standings"
    for _ in range(2):
        assert api.get_json(path, user=host).status_code == 200
        assert api.get_json(path).status_code == 404


def test_the_public_tournament_list_is_served_from_the_cache_until_a_tournament_changes(
    api, host, django_assert_num_queries
):
    """Anonymous pages (and those of signed-in users who run no draft) are the stored bytes while no
    tournament changed: no query, the same JSON as ninja renders for the host (who runs a draft and so
    always reads the database), 304 with the ETag. A registration, a new tournament and a draft's
    publication are seen at once; a search is never stored; a draft never shows to others."""
    first = create_published(api, host, rounds_count=1, qualify_per_group=0)
    create_published(api, host, rounds_count=1, qualify_per_group=0, listing_plan="premium")
    player = make_team(4)
    paths = [
        "/api/tournaments",
        "/api/tournaments?page=1&page_size=20",
        "/api/tournaments?game=bgmi&status=registration_open",
    ]
    cold = {path: api.get_json(path) for path in paths}
    for path in paths:
        with django_assert_num_queries(0):
            warm = api.get_json(path)
        assert warm.status_code == 200
        assert warm.content == cold[path].content, path
    with CaptureQueriesContext(connection) as signed_in:
        assert api.get_json("/api/tournaments", user=player.captain).content == cold["/api/tournaments"].content
    # Besides authentication, one read: whether the signed-in player runs a draft.
    reads = [query["sql"] for query in signed_in.captured_queries if "competitions_tournament" in query["sql"]]
    assert len(reads) == 1, reads
    assert "'draft'" in reads[0], reads
    assert cold["/api/tournaments?page=1&page_size=20"].json()["count"] == 2
    # Only the first pages at the default size, with items, are stored: asking for other sizes, far
    # pages or unknown games never adds entries (each read goes to the database).
    for path in (
        "/api/tournaments?page_size=1",
        "/api/tournaments?page=11",
        "/api/tournaments?game=nope",
        "/api/scrims",
    ):
        for _ in range(2):
            with CaptureQueriesContext(connection) as uncached:
                assert api.get_json(path).status_code == 200
            assert uncached.captured_queries, path
    assert api.get_json("/api/tournaments?page_size=1").json()["count"] == 2
    assert api.get_json("/api/scrims").json() == {"items": [], "count": 0}

    draft = api.post_json(
        "/api/tournaments", {"game": "bgmi", "title": "Hidden", "starts_at": "2031-01-01T00:00:00Z"}, user=host
    ).json()
    as_host = api.get_json("/api/tournaments", user=host).json()
    assert draft["id"] in {item["id"] for item in as_host["items"]}
    anonymous = api.get_json("/api/tournaments").json()
    assert draft["id"] not in {item["id"] for item in anonymous["items"]}
    assert anonymous["items"] == [item for item in as_host["items"] if item["id"] != draft["id"]]

    etag = api.get_json("/api/tournaments")["ETag"]
    assert api.get_json("/api/tournaments", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert register(api, first["id"], player).status_code == 201
    changed = api.get_json("/api/tournaments", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert {item["id"]: item["registered_teams"] for item in changed.json()["items"]}[first["id"]] == 1

    with CaptureQueriesContext(connection) as searched:
        assert api.get_json("/api/tournaments?q=Weekend").json()["count"] == 2
        assert api.get_json("/api/tournaments?q=Weekend").json()["count"] == 2
    assert len(searched.captured_queries) >= 4  # both searches read the database


def test_a_cached_list_page_expires_when_a_registration_window_closes(api, host):
    """registration_open_now flips with the clock, not with a write: a stored page lasts no longer."""
    from datetime import timedelta

    from django.utils import timezone

    closes = timezone.now() + timedelta(seconds=3)
    tournament = create_published(
        api, host, rounds_count=1, qualify_per_group=0, registration_closes_at=closes.isoformat()
    )
    [item] = api.get_json("/api/tournaments").json()["items"]
    assert (item["id"], item["registration_open_now"]) == (tournament["id"], True)
    time.sleep(max(0.0, (closes - timezone.now()).total_seconds()) + 0.5)
    [item] = api.get_json("/api/tournaments").json()["items"]
    assert item["registration_open_now"] is False


def test_reads_of_tournaments_that_do_not_exist_leave_nothing_in_the_cache(api, host):
    """A client walking through ids gets 404s and adds no key: a tournament's version key is written by
    its first change, never by a read (it was a permanent key per id asked for)."""
    from django.core.cache import cache

    from competitions.standings_selectors import _version_key, tournament_scope

    missing = 987_654
    for path in (f"/api/tournaments/{missing}", f"/api/tournaments/{missing}/standings", f"/api/scrims/{missing}"):
        assert api.get_json(path).status_code == 404
    assert cache.get(_version_key(tournament_scope(missing))) is None

    tid = create_published(api, host, rounds_count=1, qualify_per_group=0)["id"]
    assert cache.get(_version_key(tournament_scope(tid))) >= 1  # its changes created it


def test_a_match_read_does_not_join_the_matches_its_winner_and_loser_go_to(api, host, games_catalog):
    """Where a match's winner and loser go is read as the targets' keys (subqueries): as two more joins,
    PostgreSQL spent ~9 ms planning every match read for ten relations (2.5 ms with eight)."""
    tid = create_published(
        api, host, game="efootball", format="single_elimination", max_teams=4, rounds_count=1, qualify_per_group=0
    )["id"]
    for _ in range(4):
        assert register(api, tid, make_team(1)).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    semi = next(m for m in api.get_json(f"/api/tournaments/{tid}/matches").json() if m["winner_to"])
    with CaptureQueriesContext(connection) as read:
        match = api.get_json(f"/api/matches/{semi['id']}").json()
    # Read before the next request: Django clears the query log when a request starts.
    selects = [q["sql"] for q in read.captured_queries if 'FROM "competitions_match" ' in q["sql"]]
    assert len(selects) == 1, [q["sql"][:200] for q in read.captured_queries]
    assert 'JOIN "competitions_match"' not in selects[0], selects[0]
    assert match["winner_to"] == semi["winner_to"]
    final = api.get_json(f"/api/matches/{match['winner_to']['match_id']}").json()
    assert match["winner_to"]["key"] == final["key"] != ""


def test_standings_of_rounds_and_groups_that_do_not_exist_are_not_stored(api, host):
    """Any number of ?round= and ?group= values: empty tables are read, never kept (one entry each)."""
    from django.core.cache import cache

    tid, _ = _started(api, host, 4)
    assert api.get_json(f"/api/tournaments/{tid}/standings").status_code == 200
    keys_before = _standings_keys(cache, tid)
    assert keys_before  # the test sees the standings' entries (those of the overall table)
    for suffix in ("?round=7", "?round=1&group=ZZ", "?round=2&group=A"):
        for _ in range(2):
            response = api.get_json(f"/api/tournaments/{tid}/standings{suffix}")
            assert (response.status_code, response.json()) == (200, [])
    assert _standings_keys(cache, tid) == keys_before


def _standings_keys(cache, tournament_id: int) -> set[str]:
    """The test cache's keys (Redis or local memory) of one tournament's standings."""
    if hasattr(cache._cache, "get_client"):
        keys = [key.decode() for key in cache._cache.get_client().scan_iter("*")]
    else:
        keys = list(cache._cache.keys())
    return {key for key in keys if f"competitions:tournament:{tournament_id}:" in key and "standings" in key}
