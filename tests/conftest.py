import importlib
import json
import logging
import os
import shutil

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from ninja_jwt.tokens import RefreshToken

from arena.celery import app as celery_app
from tests.factories import UserFactory
from tests.matchlog.screens import dejavu_sans

REQUIRE_SERVICES = os.environ.get("ARENA_REQUIRE_SERVICES") == "1"


def pytest_configure(config):
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        if engine != "django.db.backends.postgresql" or not settings.REDIS_URL:
            raise pytest.UsageError("ARENA_REQUIRE_SERVICES=1 needs DATABASE_URL (PostgreSQL) and REDIS_URL to be set.")


def pytest_runtest_setup(item):
    # marker → (available, what makes it available)
    needs = {
        "requires_redis": (bool(settings.REDIS_URL), "set REDIS_URL"),
        "requires_postgres": (
            settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
            "set DATABASE_URL",
        ),
        "requires_tesseract": (
            bool(shutil.which("tesseract")) and dejavu_sans() is not None,
            "install tesseract-ocr and fonts-dejavu-core",
        ),
    }
    for marker, (available, how) in needs.items():
        if item.get_closest_marker(marker) and not available:
            if REQUIRE_SERVICES:
                pytest.fail(f"{marker}: not available here but ARENA_REQUIRE_SERVICES=1 ({how})")
            pytest.skip(f"{marker}: {how} to run")


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()


def bearer(user) -> dict:
    """Request headers authenticating as `user` (tokens minted directly, no login throttle)."""
    return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}


@pytest.fixture(autouse=True)
def _celery_inline():
    """Run Celery tasks in-process, as the embedded mode does; tests/e2e runs a real worker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


class ApiClient(Client):
    """Django's test client speaking JSON: api.post_json(path, body, user=u)."""

    def _call(self, method: str, path: str, body=None, *, user=None, token=None, **extra):
        if user is not None:
            extra.update(bearer(user))
        if token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        send = getattr(super(), method)
        if method in ("get", "delete"):
            return send(path, **extra)
        data = "" if body is None else json.dumps(body)
        return send(path, data, content_type="application/json", **extra)

    def request(self, **request):
        return self._committed(lambda: super(ApiClient, self).request(**request))

    @staticmethod
    def _committed(send):
        """Each request commits in production; the test transaction never does. Run the
        request's on_commit callbacks (emails, tasks, broadcasts, cache invalidation) when it
        returns, as a commit would, and take them off the pending list so they run once."""
        start = len(connection.run_on_commit)
        response = send()
        # Read the list afresh: rolling back a savepoint (e.g. after an IntegrityError) replaces it.
        while len(connection.run_on_commit) > start:
            callbacks = connection.run_on_commit[start:]
            del connection.run_on_commit[start:]
            for _, callback, robust in callbacks:
                if not robust:
                    callback()
                    continue
                try:  # as Django's commit does: a robust callback's failure is logged, not raised
                    callback()
                except Exception:
                    logging.getLogger("django.db.backends.base").exception("robust on_commit callback failed")
        return response

    def get_json(self, path, **kw):
        return self._call("get", path, **kw)

    def post_json(self, path, body=None, **kw):
        return self._call("post", path, body, **kw)

    def patch_json(self, path, body=None, **kw):
        return self._call("patch", path, body, **kw)

    def put_json(self, path, body=None, **kw):
        return self._call("put", path, body, **kw)

    def delete_json(self, path, **kw):
        return self._call("delete", path, **kw)


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def games_catalog(db):
    """The games the data migration adds: transactional tests flush them with every table."""
    from django.apps import apps

    importlib.import_module("competitions.migrations.0002_games_catalog").add_games(apps, None)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", is_staff=True)
