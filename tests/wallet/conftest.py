import hashlib
import hmac
import time

import pytest

RAZORPAY_KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
RAZORPAY_KEY_SECRET = "thisisnotarealsecretkey"
RAZORPAY_WEBHOOK_SECRET = "whsec-arena-test"
PHONEPE_USERNAME, PHONEPE_PASSWORD = "arena_callback", "cb-password-123"
PHONEPE_PG = "https://api-preprod.phonepe.com/apis/pg-sandbox"


@pytest.fixture
def gateways(settings):
    """Razorpay and PhonePe enabled with test credentials; their HTTP is faked per test."""
    settings.PAYMENT_GATEWAYS = ["sandbox", "razorpay", "phonepe"]
    settings.RAZORPAY_KEY_ID = RAZORPAY_KEY_ID
    settings.RAZORPAY_KEY_SECRET = RAZORPAY_KEY_SECRET
    settings.RAZORPAY_WEBHOOK_SECRET = RAZORPAY_WEBHOOK_SECRET
    settings.PHONEPE_ENV = "sandbox"
    settings.PHONEPE_CLIENT_ID = "TEST-M22ARENA_2511"
    settings.PHONEPE_CLIENT_SECRET = "MjdkYTk0NTEtNzJiYS00ZmQ4LWE0NTAtMDAwMDAwMDAwMDAw"
    settings.PHONEPE_CLIENT_VERSION = 1
    settings.PHONEPE_CALLBACK_USERNAME = PHONEPE_USERNAME
    settings.PHONEPE_CALLBACK_PASSWORD = PHONEPE_PASSWORD
    return settings


def razorpay_signature(message: str, secret: str) -> str:
    """How Razorpay signs (the same HMAC the SDK's Utility.verify_signature recomputes)."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def phonepe_authorization(username: str = PHONEPE_USERNAME, password: str = PHONEPE_PASSWORD) -> str:
    """PhonePe's callback header: SHA256 of "username:password", hex."""
    return hashlib.sha256(f"{username}:{password}".encode()).hexdigest()


def phonepe_token_payload(lifetime: int = 3600) -> dict:
    now = int(time.time())
    return {
        "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.arena-test",
        "encrypted_access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.arena-test",
        "expires_in": None,
        "issued_at": now,
        "expires_at": now + lifetime,
        "session_expires_at": now + lifetime,
        "token_type": "O-Bearer",
    }
