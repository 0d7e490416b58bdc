"""Two daphne processes sharing PostgreSQL and Redis: what one process's REST API changes,
spectators on the other see in order, across reconnects and a Redis restart."""

import asyncio
import contextlib
import json
import shutil
import subprocess
import time

import pytest
import websockets
from asgiref.sync import async_to_sync
from django.conf import settings
from ninja_jwt.tokens import AccessToken

from tests.competitions.conftest import create_published, make_team, register
from tests.e2e.cluster import request, start_daphne
from tests.factories import UserFactory
from tests.realtime.asyncapi import assert_valid_message

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.requires_postgres,
    pytest.mark.requires_redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def cluster():
    # These tests follow every event in order; they run no Celery worker, so standings are sent on
    # each result rather than coalesced (tests/competitions/test_live_standings.py covers that).
    processes = [start_daphne(STANDINGS_COALESCE_SECONDS="0"), start_daphne(STANDINGS_COALESCE_SECONDS="0")]
    yield [base for _, base in processes]
    for process, _ in processes:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def tournament(api, games_catalog):
    host = UserFactory(role="host", host_status="approved")
    created = create_published(api, host, max_teams=4, group_size=4, rounds_count=1, matches_per_group=6)
    squads = [make_team(4) for _ in range(4)]
    for squad in squads:
        register(api, created["id"], squad)
    api.post_json(f"/api/tournaments/{created['id']}/start", user=host)
    matches = api.get_json(f"/api/tournaments/{created['id']}/matches").json()
    return {"id": created["id"], "token": str(AccessToken.for_user(host)), "teams": squads, "matches": matches}


class Spectator:
    """A client that follows seq and resumes with ?since= after any disconnect."""

    def __init__(self, url: str):
        self.url = url
        self.seq: int | None = None
        self.standings: list[dict] | None = None
        self.events: list[dict] = []
        self.snapshots = 0

    def apply(self, message: dict) -> None:
        assert_valid_message("tournament", message)
        if message["type"] == "snapshot":
            self.snapshots += 1
            self.standings = message["data"]["standings"]
        else:
            assert message["seq"] == self.seq + 1, f"gap: {self.seq} → {message['seq']}"
            self.events.append(message)
            if message["type"] == "standings.updated":
                self.standings = message["data"]["overall"]
        self.seq = message["seq"]

    async def follow(self, until: asyncio.Event, *, drop_after: int | None = None) -> None:
        while not until.is_set():
            url = self.url if self.seq is None else f"{self.url}?since={self.seq}"
            try:
                async with websockets.connect(url, origin="http://127.0.0.1", open_timeout=5) as ws:
                    while not until.is_set():
                        try:
                            raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
                        except TimeoutError:
                            continue
                        self.apply(json.loads(raw))
                        if drop_after is not None and len(self.events) >= drop_after:
                            drop_after = None
                            break  # leave for a while, then resume
                await asyncio.sleep(0.5)
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
                await asyncio.sleep(0.3)


def _results(teams: list, shift: int) -> list[dict]:
    order = teams[shift % len(teams) :] + teams[: shift % len(teams)]
    return [{"team_id": t.pk, "placement": i + 1, "kills": (i * 3 + shift) % 7} for i, t in enumerate(order)]


def _post(base: str, tournament: dict, match: dict, shift: int, *, retry_until: float) -> None:
    while True:
        try:
            status, _ = request(
                "PUT",
                f"http://{base}/api/matches/{match['id']}/results",
                _results(tournament["teams"], shift),
                tournament["token"],
            )
            if status == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < retry_until, "the API never recovered"
        time.sleep(0.3)


async def _settle(spectators: list[Spectator], base: str, tournament_id: int) -> dict:
    """Wait until every spectator is at the seq a fresh connection gets, and return that snapshot."""
    deadline = time.monotonic() + 30
    while True:
        async with websockets.connect(f"ws://{base}/ws/tournaments/{tournament_id}/", origin="http://127.0.0.1") as ws:
            fresh = json.loads(await ws.recv())
        if all(s.seq == fresh["seq"] for s in spectators) or time.monotonic() > deadline:
            return fresh
        await asyncio.sleep(0.3)


def test_spectators_on_one_process_follow_results_posted_on_another(cluster, tournament):
    spectator_base, api_base = cluster
    url = f"ws://{spectator_base}/ws/tournaments/{tournament['id']}/"

    async def scenario():
        stop = asyncio.Event()
        steady = [Spectator(url) for _ in range(3)]
        wanderer = Spectator(url)
        tasks = [asyncio.create_task(s.follow(stop)) for s in steady]
        tasks.append(asyncio.create_task(wanderer.follow(stop, drop_after=2)))
        await asyncio.sleep(1)
        for shift, match in enumerate(tournament["matches"][:4]):
            await asyncio.to_thread(_post, api_base, tournament, match, shift, retry_until=time.monotonic() + 20)
        fresh = await _settle([*steady, wanderer], spectator_base, tournament["id"])
        stop.set()
        await asyncio.gather(*tasks)
        return steady, wanderer, fresh

    steady, wanderer, fresh = async_to_sync(scenario)()
    for spectator in [*steady, wanderer]:
        assert spectator.seq == fresh["seq"]
        assert spectator.standings == fresh["data"]["standings"]
    for spectator in steady:
        assert spectator.snapshots == 1
        assert [e["type"] for e in spectator.events] == ["match.result", "standings.updated"] * 4
    # The wanderer left after two events and came back with ?since=: replayed, not re-snapshotted.
    assert wanderer.snapshots == 1
    assert len(wanderer.events) == 8
    status, rest = request("GET", f"http://{spectator_base}/api/tournaments/{tournament['id']}/standings")
    assert status == 200
    assert [(r["team"]["id"], r["points"]) for r in rest] == [
        (r["team_id"], r["points"]) for r in fresh["data"]["standings"]
    ]


def _restart_redis() -> None:
    with contextlib.suppress(subprocess.CalledProcessError):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], check=True, timeout=10)  # noqa: S607
    time.sleep(0.5)
    subprocess.run(  # noqa: S603
        [shutil.which("redis-server"), "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
         "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"],
        check=True,
        timeout=10,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while subprocess.run(["redis-cli", "-h", "127.0.0.1", "ping"], capture_output=True).returncode != 0:  # noqa: S607
        assert time.monotonic() < deadline, "Redis did not come back"
        time.sleep(0.2)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs a local redis-server to restart")
def test_spectators_recover_from_a_redis_restart_during_a_burst(cluster, tournament):
    assert settings.REDIS_URL.startswith("redis://127.0.0.1:6379")
    spectator_base, api_base = cluster
    url = f"ws://{spectator_base}/ws/tournaments/{tournament['id']}/"

    async def scenario():
        stop = asyncio.Event()
        spectators = [Spectator(url) for _ in range(4)]
        tasks = [asyncio.create_task(s.follow(stop)) for s in spectators]
        await asyncio.sleep(1)

        def burst():
            deadline = time.monotonic() + 60
            for shift, match in enumerate(tournament["matches"]):
                _post(api_base, tournament, match, shift, retry_until=deadline)
                if shift == 2:
                    _restart_redis()

        await asyncio.to_thread(burst)
        fresh = await _settle(spectators, spectator_base, tournament["id"])
        stop.set()
        await asyncio.gather(*tasks)
        return spectators, fresh

    spectators, fresh = async_to_sync(scenario)()
    for spectator in spectators:
        assert spectator.seq == fresh["seq"]
        assert spectator.standings == fresh["data"]["standings"]
    assert all(row["matches_played"] == 6 for row in fresh["data"]["standings"])
    # Redis lost every seq and buffer: each spectator resynced from a fresh snapshot at least once.
    assert all(spectator.snapshots >= 2 for spectator in spectators)
