"""/metrics after real traffic: the series an operator's dashboards and alerts read."""

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.cluster import start_server, stop

ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> list[tuple[str, dict, float]]:
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def _value(samples, name: str, **labels) -> float:
    return sum(v for n, lab, v in samples if n == name and labels.items() <= lab.items())


@pytest.mark.django_db
def test_http_and_celery_traffic_show_in_metrics(api, settings):
    before = _samples(api.get("/metrics").content.decode())
    assert api.get("/api/health").status_code == 200
    assert api.get("/api/tournaments/987654/standings").status_code == 404
    registered = api.post_json(
        "/api/auth/register",
        {"email": "m@example.com", "password": "a-long-fresh-pass", "username": "metrics", "role": "player"},
    )
    assert registered.status_code == 201  # queues the verification email (run eagerly here)

    response = api.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    after = _samples(response.content.decode())

    def grew(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("arena_http_requests_total", method="GET", route="/api/health", status="200") == 1
    # By route pattern, not by raw path: one series whatever the id.
    standings = "/api/tournaments/<tournament_id>/standings"
    assert grew("arena_http_requests_total", method="GET", route=standings, status="404") == 1
    assert grew("arena_http_request_duration_seconds_count", method="POST", route="/api/auth/register") == 1
    task = "accounts.tasks.send_verification_email"
    assert grew("arena_celery_tasks_total", task=task, outcome="success") == 1
    assert grew("arena_celery_task_duration_seconds_count", task=task) == 1
    if connection.vendor == "postgresql":  # the psycopg pool (SQLite has none)
        assert _value(after, "arena_db_pool_max") == settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
        assert 1 <= _value(after, "arena_db_pool_size") <= _value(after, "arena_db_pool_max")
        assert _value(after, "arena_db_requests_waiting") == 0


def test_metrics_need_the_token_when_one_is_set(tmp_path):
    """Booted from the environment as an operator would."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(METRICS_TOKEN="s3cret-scrape-token", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    process, address = start_server(env, inherit=False)
    base = f"http://{address}"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{base}/metrics", timeout=5)
        assert refused.value.code == 401
        wrong = urllib.request.Request(f"{base}/metrics", headers={"Authorization": "Bearer nope"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(wrong, timeout=5)
        assert refused.value.code == 401
        right = urllib.request.Request(f"{base}/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
        with urllib.request.urlopen(right, timeout=5) as response:
            text = response.read().decode()
        assert _value(_samples(text), "arena_http_requests_total", route="/api/health", status="200") >= 1
    finally:
        stop(process)


@pytest.mark.django_db(transaction=True)
def test_websocket_publish_and_payment_traffic_show_in_metrics(api, games_catalog, settings):
    """A spectator follows a tournament while its host announces; a payment succeeds."""
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.testing import WebsocketCommunicator

    from arena.asgi import application
    from tests.competitions.conftest import create_published
    from tests.factories import UserFactory

    settings.REALTIME_POSITION_SECONDS = 3600
    host = UserFactory(role="host", host_status="approved")
    tournament = create_published(api, host)
    before = _samples(api.get("/metrics").content.decode())

    async def follow_an_announcement() -> float:
        spectator = WebsocketCommunicator(
            application, f"/ws/tournaments/{tournament['id']}/", headers=[(b"origin", b"http://localhost")]
        )
        assert (await spectator.connect())[0]
        await spectator.receive_from(timeout=5)  # the snapshot
        during = _samples((await sync_to_async(api.get)("/metrics")).content.decode())
        response = await sync_to_async(api.post_json)(
            f"/api/tournaments/{tournament['id']}/announcements", {"text": "Round 1 in 5"}, user=host
        )
        assert response.status_code == 202
        await spectator.receive_from(timeout=5)  # the announcement
        await spectator.disconnect()
        return _value(during, "arena_ws_connections", kind="tournament")

    open_during = async_to_sync(follow_an_announcement)()
    after = _samples(api.get("/metrics").content.decode())

    def grew(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert open_during - _value(before, "arena_ws_connections", kind="tournament") == 1
    assert _value(after, "arena_ws_connections", kind="tournament") == _value(
        before, "arena_ws_connections", kind="tournament"
    )
    assert grew("arena_realtime_publishes_total", kind="tournament") >= 1
    assert grew("arena_ws_messages_sent_total", kind="tournament") >= 1

    buyer = UserFactory()
    payment = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=buyer).json()
    api.post(payment["checkout"]["url"], {"outcome": "succeed"})
    final = _samples(api.get("/metrics").content.decode())
    assert (
        _value(final, "arena_payment_transitions_total", gateway="sandbox", to_state="succeeded")
        - _value(after, "arena_payment_transitions_total", gateway="sandbox", to_state="succeeded")
        == 1
    )
