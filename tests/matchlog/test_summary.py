"""GET /api/me/stats/summary against an independent computation, in a constant number of queries."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from matchlog.models import MatchRecord
from matchlog.selectors import match_stats_summary
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATUSES = ["confirmed"] * 6 + ["extracted", "failed", "processing"]
SHARES = ["pending", "confirmed", "disputed"]
STATS = ("possession", "shots", "shots_on_target", "passes")


def _stats(rng: random.Random) -> dict:
    stats = {}
    for key in STATS:
        if rng.random() < 0.8:  # some screens do not show every stat
            if key == "possession":
                mine = rng.randint(25, 75)
                stats[key] = {"user": mine, "opponent": 100 - mine}
            else:
                stats[key] = {"user": rng.randint(0, 600), "opponent": rng.randint(0, 600)}
    return stats


def _make(rng: random.Random, me, others, count: int) -> list[MatchRecord]:
    records = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.7:
            owner, opponent, share = me, rng.choice([None, *others]), rng.choice(SHARES)
        elif kind < 0.9:
            owner, opponent, share = rng.choice(others), me, rng.choice(SHARES)
        else:
            owner, opponent, share = others[0], others[1], "confirmed"  # not mine at all
        status = rng.choice(STATUSES)
        scored = status == "confirmed" or rng.random() < 0.5
        records.append(
            MatchRecord(
                owner=owner,
                opponent=opponent,
                opponent_name="someone",
                share_status=share if opponent else "none",
                status=status,
                screenshot="match-log/x.png",
                score_user=rng.randint(0, 6) if scored else None,
                score_opponent=rng.randint(0, 6) if scored else None,
                stats=_stats(rng) if scored else {},
            )
        )
    return MatchRecord.objects.bulk_create(records)


def _expected(records: list[MatchRecord], me) -> dict:
    """Straight from the rows: my confirmed records, and confirmed ones shared with me that I confirmed."""
    rows = []
    for r in records:
        if r.status != "confirmed":
            continue
        if r.owner_id == me.pk:
            rows.append((r.score_user, r.score_opponent, {k: v["user"] for k, v in r.stats.items()}))
        elif r.opponent_id == me.pk and r.share_status == "confirmed":
            rows.append((r.score_opponent, r.score_user, {k: v["opponent"] for k, v in r.stats.items()}))
    n = len(rows)
    wins = sum(1 for f, a, _ in rows if f > a)
    draws = sum(1 for f, a, _ in rows if f == a)
    scored, conceded = sum(f for f, _, _ in rows), sum(a for _, a, _ in rows)

    def mean(values):
        return round(sum(values) / len(values), 2) if values else None

    return {
        "matches": n,
        "wins": wins,
        "draws": draws,
        "losses": n - wins - draws,
        "goals_for": scored,
        "goals_against": conceded,
        "goal_difference": scored - conceded,
        "win_rate": round(wins / n, 2) if n else None,
        "averages": {
            "goals_for": round(scored / n, 2) if n else None,
            "goals_against": round(conceded / n, 2) if n else None,
            **{key: mean([s[key] for _, _, s in rows if key in s]) for key in STATS},
        },
    }


def _summary(api, me) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        response = api.get_json("/api/me/stats/summary", user=me)
    assert response.status_code == 200
    return response.json(), len(queries)


def _assert_matches(actual: dict, expected: dict) -> None:
    averages, expected_averages = actual.pop("averages"), expected.pop("averages")
    assert actual == expected
    assert averages == {
        key: pytest.approx(value, abs=0.011) if value is not None else None for key, value in expected_averages.items()
    }


def test_summary_matches_an_independent_computation_in_constant_queries(api, django_assert_num_queries):
    rng = random.Random(20261122)
    me = UserFactory()
    others = [UserFactory() for _ in range(5)]

    empty, _ = _summary(api, me)
    assert empty["matches"] == 0
    assert empty["win_rate"] is None
    assert empty["averages"]["goals_for"] is None

    few = _make(rng, me, others, 10)
    small, small_queries = _summary(api, me)
    _assert_matches(small, _expected(few, me))

    many = few + _make(rng, me, others, 2000)
    large, large_queries = _summary(api, me)
    assert large["matches"] > 1000
    _assert_matches(large, _expected(many, me))
    assert large_queries == small_queries

    with django_assert_num_queries(1):
        match_stats_summary(user=me)


def test_a_shared_record_counts_for_the_opponent_only_once_they_confirm(api, user, static_ocr):
    from tests.matchlog.conftest import upload_record

    opponent = UserFactory()
    static_ocr("Red Dragons 4 - 1 Blue Lions")
    record = upload_record(api, user).json()
    api.put_json(f"/api/me/matches/{record['id']}", {}, user=user)
    api.post_json(f"/api/me/matches/{record['id']}/share", {"username": opponent.username}, user=opponent)
    api.post_json(f"/api/me/matches/{record['id']}/share", {"username": opponent.username}, user=user)
    assert api.get_json("/api/me/stats/summary", user=opponent).json()["matches"] == 0
    api.post_json(f"/api/me/matches/{record['id']}/confirm", user=opponent)
    theirs = api.get_json("/api/me/stats/summary", user=opponent).json()
    mine = api.get_json("/api/me/stats/summary", user=user).json()
    assert (theirs["losses"], theirs["goals_for"], theirs["goals_against"]) == (1, 1, 4)
    assert (mine["wins"], mine["goals_for"], mine["goals_against"]) == (1, 4, 1)
