"""Standings messages under a burst of results: coalesced per tournament, and always ending on the exact
table. Counted as a spectator sees them (the tournament topic, resumed with ?since=), with a real Celery
worker on the Redis broker running the trailing publishes."""

import json
import math
import time

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker
from channels.testing import WebsocketCommunicator

from arena.asgi import application
from arena.celery import app as celery_app
from competitions.selectors import standings_table
from tests.competitions.conftest import create_published, make_team, register
from tests.conftest import ApiClient
from tests.factories import UserFactory

ORIGIN = [(b"origin", b"http://localhost")]
WINDOW = 2  # STANDINGS_COALESCE_SECONDS for this test
RESULTS = 20


async def _events(tournament_id: int, since: dict | None) -> list[dict]:
    """Every message the topic sends a spectator resuming after `since` (a message: its seq and
    epoch), or the snapshot without; periodic position messages (they only repeat a seq) left out."""
    resume = f"?since={since['seq']}&epoch={since['epoch']}" if since is not None else ""
    path = f"/ws/tournaments/{tournament_id}/{resume}"
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect()
    assert connected
    messages = []
    while not await communicator.receive_nothing(timeout=0.5):
        message = json.loads(await communicator.receive_from())
        if message["type"] != "position":
            messages.append(message)
    await communicator.disconnect()
    return messages


@pytest.mark.requires_postgres
@pytest.mark.requires_redis
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_results_yields_few_standings_messages_ending_on_the_final_table(games_catalog, settings):
    settings.STANDINGS_COALESCE_SECONDS = WINDOW
    host = UserFactory(role="host", host_status="approved")
    api = ApiClient()
    tid = create_published(
        api, host, max_teams=4, group_size=4, rounds_count=1, qualify_per_group=0, matches_per_group=6
    )["id"]
    squads = [make_team(4) for _ in range(4)]
    for squad in squads:
        assert register(api, tid, squad).status_code == 201
    assert api.post_json(f"/api/tournaments/{tid}/start", user=host).status_code == 200
    matches = api.get_json(f"/api/tournaments/{tid}/matches").json()[:5]  # the sixth stays unplayed
    (snapshot,) = async_to_sync(_events)(tid, None)

    celery_app.conf.task_always_eager = False  # restored by tests/conftest.py's _celery_inline
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        started = time.monotonic()
        for n in range(RESULTS):
            order = squads[n % 4 :] + squads[: n % 4]
            body = [{"team_id": s.pk, "placement": p, "kills": (n + p) % 5} for p, s in enumerate(order, start=1)]
            response = api.put_json(f"/api/matches/{matches[n % 5]['id']}/results", body, user=host)
            assert response.status_code == 200, response.content
        burst = time.monotonic() - started

        final = standings_table(tournament_id=tid)
        deadline = time.monotonic() + 30
        while True:  # until the trailing publish has run (or give up and let the asserts say why)
            events = async_to_sync(_events)(tid, snapshot)
            standings = [e for e in events if e["type"] == "standings.updated"]
            if (standings and standings[-1]["data"]["overall"] == final) or time.monotonic() > deadline:
                break
            time.sleep(0.5)

    assert [e["seq"] for e in events] == list(range(snapshot["seq"] + 1, snapshot["seq"] + 1 + len(events)))
    assert len([e for e in events if e["type"] == "match.result"]) == RESULTS
    # At most one standings message per window (the first at once, the last after the burst) ...
    assert 1 <= len(standings) <= math.floor(burst / WINDOW) + 2, (len(standings), burst)
    assert len(standings) < RESULTS
    # ... and the last one is the table as it stands, after the last result.
    assert standings[-1]["data"]["overall"] == final
    assert standings[-1]["seq"] > max(e["seq"] for e in events if e["type"] == "match.result")
    rest = api.get_json(f"/api/tournaments/{tid}/standings").json()
    assert rest == final  # one row shape for REST and WebSocket
