"""What a newcomer sees first: the landing page, the email link pages, and a quiet seed."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_landing_page_links_docs_admin_asyncapi_and_the_demo_live_page(api):
    from tests.competitions.conftest import create_published
    from tests.factories import UserFactory

    host = UserFactory(role="host", host_status="approved")
    tournament = create_published(api, host, title="Demo Cup")
    response = api.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for href in (
        "/api/docs",
        "/api/openapi.json",
        "/api/asyncapi.json",
        "/admin/",
        f"/live/tournaments/{tournament['id']}/",
    ):
        assert f'href="{href}"' in html, href
    assert "Demo Cup" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "endpoint"),
    [("/verify-email", "/api/auth/verify-email"), ("/reset-password", "/api/auth/password-reset/confirm")],
)
def test_email_link_pages_post_their_token_to_the_api(api, path, endpoint):
    html = api.get(f"{path}?token=abc%3Cdef").content.decode()
    assert f'data-endpoint="{endpoint}"' in html
    assert 'name="token" value="abc&lt;def"' in html  # escaped, never executable
    assert 'data-testid="submit"' in html
    assert "no token" in api.get(path).content.decode()


def test_seed_prints_no_mime_and_no_warning(tmp_path):
    """`make run` seeds a demo: its output is a summary and one log line per email, not a MIME dump."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'seed.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "m"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "p"),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seed = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    output = seed.stdout + seed.stderr
    assert "Demo data ready" in output
    assert re.search(r"INFO arena.mail \[\S*\] Email to host@arena.local: Your Arena receipt", output), output
    assert "MIME-Version" not in output
    assert " WARNING " not in output
    assert len(output.splitlines()) < 10, output
