"""A newcomer's first run in a real browser: the landing page, then the verification link that
a freshly registered account is sent, read from the server's log as a developer would."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from accounts.models import User
from tests.e2e.cluster import database_url, free_port, request
from tests.e2e.test_spectator_page import chromium  # noqa: F401 - the headless Chromium fixture

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"Email to (\S+): Confirm your Arena email address — (\S+)")


@pytest.fixture
def server(transactional_db, tmp_path):
    """daphne as `make run` starts it: FRONTEND_URL names its own port, emails go to its log."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "FRONTEND_URL": base,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("EMAIL_URL", None)
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own server
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "arena.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if request("GET", f"{base}/api/health")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the server did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def _poll(cdp, expression: str, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cdp.evaluate(expression)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"the page never showed {what}")


@pytest.mark.e2e
# The server is another process: it needs a database both share (SQLite's test database is in memory).
@pytest.mark.requires_postgres
def test_landing_page_then_the_emailed_verification_link_verifies(chromium, server):  # noqa: F811
    base, log = server
    chromium.call("Page.navigate", url=f"{base}/")
    links = _poll(
        chromium,
        "document.readyState === 'complete' && Array.from(document.querySelectorAll('a'), a => a.pathname)",
        "the landing page",
    )
    assert {"/api/docs", "/api/openapi.json", "/api/asyncapi.json", "/admin/", "/api/health"} <= set(links)
    for path in ("/api/docs", "/api/asyncapi.json"):
        with urllib.request.urlopen(f"{base}{path}", timeout=10) as response:
            assert response.status == 200

    status, body = request(
        "POST",
        f"{base}/api/auth/register",
        {"email": "newcomer@example.com", "password": "a-long-fresh-pass", "username": "newcomer", "role": "player"},
    )
    assert status == 201, body
    matches = []
    deadline = time.monotonic() + 10
    while not matches and time.monotonic() < deadline:
        matches = LINK.findall(log.read_text(errors="replace"))
        time.sleep(0.1)
    assert matches, log.read_text(errors="replace")
    recipient, link = matches[-1]
    assert recipient == "newcomer@example.com"
    assert link.startswith(f"{base}/verify-email?token="), "the link must point at the port the server runs on"
    assert "MIME-Version" not in log.read_text(errors="replace")

    chromium.call("Page.navigate", url=link)
    _poll(chromium, "document.readyState === 'complete' && !!document.querySelector('[data-testid=submit]')", "a form")
    assert not User.objects.get(email="newcomer@example.com").email_verified_at
    chromium.evaluate("document.querySelector('[data-testid=submit]').click()")
    text = _poll(
        chromium,
        "(() => { const r = document.querySelector('[data-testid=result]');"
        " return {done: r.textContent, error: 'ERROR ' + r.textContent}[r.dataset.state] || null; })()",
        "the answer",
    )
    assert text == "Your email address is verified.", text
    assert User.objects.get(email="newcomer@example.com").email_verified_at is not None
    assert not chromium.exceptions
