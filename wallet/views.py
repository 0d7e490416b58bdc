"""The sandbox checkout: a local stand-in for a gateway's hosted page (development only)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from wallet import payments
from wallet.models import Payment


def _payment(payment_id: int) -> Payment:
    if "sandbox" not in settings.PAYMENT_GATEWAYS:
        raise Http404("The sandbox gateway is disabled.")
    payment = Payment.objects.filter(pk=payment_id, gateway=Payment.Gateway.SANDBOX).first()
    if payment is None:
        raise Http404("No such sandbox payment.")
    return payment


@require_http_methods(["GET", "POST"])
def sandbox_checkout(request: HttpRequest, payment_id: int) -> HttpResponse:
    """GET shows the payment with Succeed / Fail buttons; POST sends the gateway's signed
    callback through the same code as a real webhook, then shows what happened."""
    payment = _payment(payment_id)
    outcome = None
    if request.method == "POST":
        outcome = "succeed" if request.POST.get("outcome") == "succeed" else "fail"
        body = payments.sandbox_callback_body(payment=payment, outcome=outcome)
        payments.webhook_receive(
            gateway=Payment.Gateway.SANDBOX,
            body=body,
            headers={"X-Sandbox-Signature": payments.sandbox_signature(body)},
        )
        payment.refresh_from_db()
    return render(request, "payments/sandbox_checkout.html", {"payment": payment, "outcome": outcome})
