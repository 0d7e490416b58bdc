"""The sandbox checkout: a local stand-in for a gateway's hosted page (development only)."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
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
    if not payments.sandbox_link_valid(payment=payment, token=request.GET.get("sig", "")):
        # Only the link POST /api/payments returned (to the payer) opens the page.
        return HttpResponseForbidden("This checkout link is not valid (or has expired).", content_type="text/plain")
    outcome = None
    if request.method == "POST":
        outcome = "succeed" if request.POST.get("outcome") == "succeed" else "fail"
        payment = payments.sandbox_outcome_send(payment=payment, outcome=outcome)
    return render(request, "payments/sandbox_checkout.html", {"payment": payment, "outcome": outcome})
