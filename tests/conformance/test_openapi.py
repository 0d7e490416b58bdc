"""Schemathesis over /api/openapi.json, in-process through the WSGI app on the test database, as
anonymous, a player, a host and an admin, with a fixed seed and every check on."""

import os

import pytest
import respx
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from arena.wsgi import application
from tests.conftest import ApiClient, bearer
from tests.factories import UserFactory
from tests.steam.conftest import (
    DETAILS,
    HISTORY,
    SUMMARIES,
    VANITY,
    details_missing,
    history_private,
    summaries,
    vanity_missing,
)

MAX_EXAMPLES = int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "5"))
PHASES = os.environ.get("CONFORMANCE_PHASES", "examples,fuzzing").split(",")
SEED = int(os.environ.get("CONFORMANCE_SEED", "20261129"))

config = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        # NUL characters are refused before any view (400 nul_character), tested in tests/api/test_client_input.py.
        # The token is each role's own (as_role), not generated.
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "mode": "all",
            "allow-x00": False,
            "with-security-parameters": False,
        },
        "phases": {phase: {"enabled": phase in PHASES} for phase in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {
            # Schema-valid requests can still break rules a JSON schema cannot state: an unknown game slug
            # or XP pack, a gateway that is not enabled, a zero XP adjustment (422 with a code), bytes
            # that are not an image (415).
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "415", "422", "429"]},
        },
    }
)


def committed(environ, start_response):
    """The WSGI app, running each request's on_commit callbacks as a commit would (see ApiClient)."""
    return ApiClient._committed(lambda: application(environ, start_response))


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", committed, config=config)

ROLES = {
    "anonymous": None,
    "player": {"role": "player"},
    "host": {"role": "host", "host_status": "approved"},
    "admin": {"role": "admin", "is_staff": True},
}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: the end of a request must not close the connection that holds
    the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _steam(settings):
    """Steam configured, its Web API faked at the HTTP layer: it knows no one and no match."""
    settings.STEAM_API_KEY = "TEST-STEAM-KEY"
    settings.STEAM_API_URL = "https://api.steampowered.com"
    with respx.mock(base_url=settings.STEAM_API_URL, assert_all_called=False) as steam:
        steam.get(VANITY).mock(return_value=vanity_missing())
        steam.get(SUMMARIES).mock(return_value=summaries())
        steam.get(DETAILS).mock(return_value=details_missing())
        steam.get(HISTORY).mock(return_value=history_private())
        yield


@pytest.fixture(params=list(ROLES))
def as_role(request, db, games_catalog) -> dict:
    fields = ROLES[request.param]
    if fields is None:
        return {}
    token = bearer(UserFactory(**fields))["HTTP_AUTHORIZATION"]
    return {"Authorization": token}


@schema.parametrize()
# The role's user lives for all of an operation's examples; each operation starts on a clean database.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_conforms_to_its_schema(case, as_role):
    case.call_and_validate(headers=as_role)
