"""A real Celery worker on the Redis broker sends what the API queues."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arena.celery import app as celery_app
from tests.e2e.cluster import database_url
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.requires_redis
@pytest.mark.requires_postgres
@pytest.mark.django_db(transaction=True)
def test_password_reset_email_goes_through_broker_and_worker(api, tmp_path):
    user = UserFactory(email="racer@example.com")
    outbox = tmp_path / "outbox"
    # django-environ drops one leading slash of the path, hence four in filemail:////tmp/...
    env = {**os.environ, "DATABASE_URL": database_url(), "EMAIL_URL": f"filemail:///{outbox}"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "arena",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.task_always_eager = False
    try:
        response = api.post_json("/api/auth/password-reset", {"email": "RACER@example.com"})
        assert response.status_code == 202
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and not (outbox.exists() and any(outbox.iterdir())):
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.25)
        files = list(outbox.iterdir()) if outbox.exists() else []
        assert len(files) == 1, "the worker sent nothing within 45 s"
        message = files[0].read_text()
        assert f"To: {user.email}" in message
        assert "/reset-password?token=" in message
    finally:
        worker.terminate()
        worker.wait(timeout=20)
