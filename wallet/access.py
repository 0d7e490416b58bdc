"""Who may see and move which money: the only home of wallet's access rules.

* `visible_payments`: a user sees their own payments; an administrator sees every payment.
* `may_refund`: the system itself (withdrawals, cancellations) and administrators refund any payment;
  anyone else only what the purchase's registered rule allows (wallet.purchases).
"""

from django.db.models import QuerySet

from wallet.models import Payment
from wallet.purchases import purchase_get


def visible_payments(*, user) -> QuerySet[Payment]:
    payments = Payment.objects.all()
    return payments if user.is_admin else payments.filter(user=user)


def may_refund(*, actor, payment: Payment) -> bool:
    if actor is None or actor.is_admin:  # None: the system itself
        return True
    return purchase_get(payment.purpose).may_refund(actor=actor, payment=payment)
