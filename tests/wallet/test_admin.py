import pytest

from tests.competitions.conftest import pay
from tests.factories import UserFactory
from wallet.models import Payment

pytestmark = pytest.mark.django_db


def test_admin_shows_payments_refunds_and_ledger_read_only(api, client, user):
    superuser = UserFactory(role="admin", is_staff=True, is_superuser=True)
    payment = pay(api, user, "xp_pack", "xp-100")
    refunded = api.post_json(
        f"/api/payments/{payment['id']}/refund", {"amount": 4900}, user=superuser, HTTP_IDEMPOTENCY_KEY="admin-test-1"
    )
    assert refunded.status_code == 202
    client.force_login(superuser)
    for path in ("/admin/wallet/payment/", "/admin/wallet/ledgerentry/", "/admin/wallet/paymentevent/"):
        page = client.get(path)
        assert page.status_code == 200, path
    detail = client.get(f"/admin/wallet/payment/{payment['id']}/change/")
    assert detail.status_code == 200
    assert b"sandbox_rfnd_" in detail.content, "the refund is listed inline"
    assert b'name="_save"' not in detail.content, "money rows are not editable by hand"
    assert client.get("/admin/wallet/payment/add/").status_code == 403

    open_payment = api.post_json("/api/payments", {"purpose": "xp_pack", "ref": "xp-275"}, user=user).json()
    action = client.post(
        "/admin/wallet/payment/", {"action": "reconcile_now", "_selected_action": [open_payment["id"]]}, follow=True
    )
    assert action.status_code == 200
    assert Payment.objects.get(pk=open_payment["id"]).state == "pending", "the sandbox keeps no state to report"
