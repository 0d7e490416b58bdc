"""RAZORPAY_API_BASE / PHONEPE_API_BASE point a real server's gateway calls at a local fake:
offline development, CI, and this test, which sees the order requests arrive."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from tests.e2e.cluster import start_server, stop
from tests.ops.conftest import shell
from tests.ops.test_boot import GATEWAY_CREDENTIALS

USER = """
import json
from ninja_jwt.tokens import RefreshToken
from tests.factories import UserFactory
print(json.dumps({"token": str(RefreshToken.for_user(UserFactory()).access_token)}))
"""


class FakeGateways(BaseHTTPRequestHandler):
    """Razorpay's order API and PhonePe's token and pay APIs, answering as their references show."""

    seen: list[dict] = []

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append({"path": self.path, "headers": dict(self.headers), "body": raw.decode()})
        if self.path == "/v1/orders":
            body = json.loads(raw)
            answer = {
                "id": "order_IluGWxBm9U8zJ8",
                "entity": "order",
                "amount": body["amount"],
                "amount_paid": 0,
                "amount_due": body["amount"],
                "currency": body["currency"],
                "receipt": body["receipt"],
                "status": "created",
                "attempts": 0,
                "notes": body.get("notes", {}),
                "created_at": int(time.time()),
            }
        elif self.path == "/v1/oauth/token":
            now = int(time.time())
            answer = {
                "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.fake",
                "expires_at": now + 3600,
                "issued_at": now,
                "token_type": "O-Bearer",
            }
        elif self.path == "/checkout/v2/pay":
            body = json.loads(raw)
            answer = {
                "orderId": "OMO2403282020198641071317",
                "state": "PENDING",
                "expireAt": int(time.time() * 1000) + 1_200_000,
                "redirectUrl": f"https://mercury-uat.phonepe.com/transact/uat_v2?token={body['merchantOrderId']}",
            }
        else:
            self.send_error(404)
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake():
    FakeGateways.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGateways)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeGateways.seen
    server.shutdown()
    server.server_close()


def test_a_real_server_sends_its_gateway_calls_to_the_configured_bases(sqlite_url, fake):
    base_url, seen = fake
    env = {
        "DATABASE_URL": sqlite_url,
        "PAYMENT_GATEWAYS": "razorpay,phonepe",
        **GATEWAY_CREDENTIALS["razorpay"],
        **GATEWAY_CREDENTIALS["phonepe"],
        "RAZORPAY_API_BASE": base_url,
        "PHONEPE_API_BASE": base_url,
    }
    token = shell(USER, env)["token"]
    process, base = start_server(env, inherit=False)
    try:
        with httpx.Client(base_url=f"http://{base}", headers={"Authorization": f"Bearer {token}"}) as client:
            razorpay = client.post("/api/payments", json={"purpose": "xp_pack", "ref": "xp-100", "gateway": "razorpay"})
            phonepe = client.post("/api/payments", json={"purpose": "xp_pack", "ref": "xp-600", "gateway": "phonepe"})
    finally:
        stop(process)

    assert razorpay.status_code == 201, razorpay.text
    assert razorpay.json()["checkout"]["order_id"] == "order_IluGWxBm9U8zJ8"
    assert phonepe.status_code == 201, phonepe.text
    assert phonepe.json()["checkout"]["url"].startswith("https://mercury-uat.phonepe.com/transact/uat_v2?token=")

    assert [call["path"] for call in seen] == ["/v1/orders", "/v1/oauth/token", "/checkout/v2/pay"]
    order, oauth, pay = seen
    key_id, secret = (
        GATEWAY_CREDENTIALS["razorpay"]["RAZORPAY_KEY_ID"],
        GATEWAY_CREDENTIALS["razorpay"]["RAZORPAY_KEY_SECRET"],
    )
    assert order["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{key_id}:{secret}".encode()).decode()
    assert json.loads(order["body"])["receipt"] == str(razorpay.json()["id"])
    assert parse_qs(oauth["body"])["client_id"] == [GATEWAY_CREDENTIALS["phonepe"]["PHONEPE_CLIENT_ID"]]
    assert pay["headers"]["Authorization"] == "O-Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.fake"
