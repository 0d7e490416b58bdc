"""A real Celery worker on the Redis broker runs what the API queues."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arena.celery import app as celery_app
from tests.e2e.cluster import database_url
from tests.factories import UserFactory
from wallet.models import Payment, Wallet

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.requires_redis,
    pytest.mark.requires_postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker(tmp_path):
    """A worker process (solo pool) sending email to files under tmp_path/outbox."""
    outbox = tmp_path / "outbox"
    # django-environ drops one leading slash of the path, hence four in filemail:////tmp/...
    env = {**os.environ, "DATABASE_URL": database_url(), "EMAIL_URL": f"filemail:///{outbox}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "arena", "worker", "--pool=solo", "--without-mingle",
         "--without-gossip", "--loglevel=warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    try:
        yield process, outbox
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(process, done, what: str) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and not done():
        assert process.poll() is None, process.stdout.read().decode()
        time.sleep(0.25)
    if not done():
        process.terminate()
        pytest.fail(f"the worker did not {what} within 45 s:\n{process.communicate(timeout=20)[0].decode()}")


def _mails(outbox: Path) -> list[str]:
    return [path.read_text() for path in outbox.iterdir()] if outbox.exists() else []


def test_password_reset_email_goes_through_broker_and_worker(api, worker):
    process, outbox = worker
    user = UserFactory(email="racer@example.com")
    response = api.post_json("/api/auth/password-reset", {"email": "RACER@example.com"})
    assert response.status_code == 202
    _wait_for(process, lambda: len(_mails(outbox)) == 1, "send the email")
    message = _mails(outbox)[0]
    assert f"To: {user.email}" in message
    assert "/reset-password?token=" in message


def test_a_payment_callback_is_answered_at_once_and_fulfilled_by_the_worker(api, worker):
    """The webhook only verifies and stores; the worker moves the payment, credits the XP and
    emails the receipt."""
    process, outbox = worker
    user = UserFactory(email="buyer@example.com")
    payment = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-100"}, user=user).json()
    page = api.post(payment["checkout"]["url"], {"outcome": "succeed"})
    assert page.status_code == 200
    _wait_for(process, lambda: Payment.objects.get(pk=payment["id"]).state == "succeeded", "process the callback")
    assert Wallet.objects.get(user=user).xp_balance == 100
    # The subject carries "₹", so it is MIME-encoded; the body's receipt number is plain.
    _wait_for(process, lambda: any(f"ARENA-{payment['id']}" in m for m in _mails(outbox)), "email the receipt")
    assert "To: buyer@example.com" in _mails(outbox)[0]
