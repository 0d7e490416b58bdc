"""What can be bought, by payment purpose: a typed registry the wallet consults for pricing,
fulfilment and refund permission, so the wallet knows how to take money without knowing the
apps that sell something.

The wallet registers its own XP packs here; other apps register their purchases when Django
starts (competitions: the registration entry fee and the listing plan, in
CompetitionsConfig.ready()). An app that sells something depends on the wallet, never the
other way round.
"""

import math

from arena.exceptions import Conflict, Invalid
from wallet import catalog
from wallet.models import LedgerEntry, Payment, Refund
from wallet.services import xp_credit, xp_debit


class Purchase:
    """One thing a payment can buy. Subclasses set `purpose` and override what differs."""

    purpose: str

    def price(self, *, user, ref: str) -> int:
        """What `user` pays, in paise, for the item named by `ref`, checked inside the transaction
        that creates the payment. Raises the API's errors (unknown item, not yours, already paid)."""
        raise NotImplementedError

    def fulfil(self, *, payment: Payment) -> bool:
        """Deliver what was paid for, inside the payment's transition to `succeeded` (exactly once).
        False when there is nothing left to deliver: the wallet then refunds the payment in full."""
        raise NotImplementedError

    def may_refund(self, *, actor, payment: Payment) -> bool:
        """Whether `actor` may refund this payment, besides administrators and the system."""
        return False

    def refund_reserved(self, *, payment: Payment, refund: Refund, reserved: int) -> None:
        """Undo what the refunded share delivered, under the payment's lock, when the refund is
        recorded. Raises Conflict to refuse the refund (nothing is then written)."""


_registry: dict[str, Purchase] = {}


def purchase_register(purchase: Purchase) -> None:
    """At startup (an AppConfig.ready()). Registering a purpose twice is a programming error."""
    registered = _registry.get(purchase.purpose)
    if registered is not None and type(registered) is not type(purchase):
        raise RuntimeError(f"Payment purpose {purchase.purpose!r} is already registered by {registered!r}.")
    _registry[purchase.purpose] = purchase


def purchase_get(purpose: str) -> Purchase:
    purchase = _registry.get(purpose)
    if purchase is None:
        raise Invalid(f"Nothing is sold as {purpose!r}.", code="unknown_item")
    return purchase


class XPPackPurchase(Purchase):
    purpose = Payment.Purpose.XP_PACK

    def price(self, *, user, ref: str) -> int:
        pack = catalog.XP_PACKS.get(ref)
        if pack is None:
            raise Invalid(f"Unknown XP pack {ref!r}; see GET /api/payments/catalog.", code="unknown_item")
        return pack.price

    def fulfil(self, *, payment: Payment) -> bool:
        xp_credit(
            user_id=payment.user_id,
            amount=catalog.XP_PACKS[payment.ref].xp,
            source_kind=LedgerEntry.Source.XP_PACK,
            source_id=payment.pk,
            idempotency_key=f"payment:{payment.pk}",
            reason=catalog.XP_PACKS[payment.ref].name,
        )
        return True

    def refund_reserved(self, *, payment: Payment, refund: Refund, reserved: int) -> None:
        """A refund takes back the XP the refunded share bought (rounded up, so refunding a pack
        in parts takes back exactly the whole pack); refused if the buyer has spent it."""
        pack_xp = catalog.XP_PACKS[payment.ref].xp
        xp = math.ceil(pack_xp * (reserved + refund.amount) / payment.amount) - math.ceil(
            pack_xp * reserved / payment.amount
        )
        if xp <= 0:
            return
        try:
            xp_debit(
                user_id=payment.user_id, amount=xp, source_kind=LedgerEntry.Source.REFUND, source_id=payment.pk,
                idempotency_key=f"refund:{refund.pk}", reason=f"Refund of {catalog.XP_PACKS[payment.ref].name}",
            )  # fmt: skip
        except Conflict:
            raise Conflict(
                f"The buyer has already spent the {xp} XP this refund would take back; an admin must decide.",
                code="xp_already_spent",
            ) from None
        refund.xp_debited = xp
        refund.save(update_fields=["xp_debited"])


purchase_register(XPPackPurchase())
