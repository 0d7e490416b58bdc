"""Who may say a request came over HTTPS: in production, `X-Forwarded-Proto` counts only from
the proxies in FORWARDED_ALLOW_IPS (uvicorn decides), never from any client that sends it."""

import os
import urllib.error
import urllib.request

import pytest

from tests.e2e.cluster import database_url, start_server, stop
from tests.ops.test_boot import GATEWAY_CREDENTIALS, SECRET_KEY

pytestmark = [
    pytest.mark.requires_postgres,
    pytest.mark.requires_redis,
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(base: str, path: str, **headers: str) -> tuple[int, dict]:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"http://{base}{path}", headers=headers)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def production_server(forwarded_allow_ips: str):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        "PAYMENT_GATEWAYS": "razorpay",
        **GATEWAY_CREDENTIALS["razorpay"],
        "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
    }
    return start_server(env)


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [
        # 10.9.9.9 is the balancer; the test client (127.0.0.1) is not it: its header is ignored.
        ("10.9.9.9", 301),
        # The test client is the trusted proxy: its header is believed, no redirect.
        ("127.0.0.1", 200),
    ],
)
def test_forwarded_proto_is_believed_only_from_trusted_proxies(trusted, expected):
    process, base = production_server(trusted)
    try:
        status, headers = get(base, "/api/tournaments", **{"X-Forwarded-Proto": "https"})
        assert status == expected, headers
        if expected == 301:
            assert headers["Location"] == f"https://{base}/api/tournaments"
        # Without the header the plain-HTTP request is redirected either way.
        assert get(base, "/api/tournaments")[0] == 301
    finally:
        stop(process)
