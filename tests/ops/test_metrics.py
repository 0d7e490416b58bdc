"""/metrics after real traffic: the series an operator's dashboards and alerts read."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> list[tuple[str, dict, float]]:
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def _value(samples, name: str, **labels) -> float:
    return sum(v for n, lab, v in samples if n == name and labels.items() <= lab.items())


@pytest.mark.django_db
def test_http_and_celery_traffic_show_in_metrics(api):
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


def test_metrics_need_the_token_when_one_is_set(tmp_path):
    """Booted from the environment as an operator would."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(METRICS_TOKEN="s3cret-scrape-token", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    process = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=2).close()
                break
            except OSError:
                assert process.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
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
        process.terminate()
        process.wait(timeout=10)
