"""What competitions sell through the wallet: a team's entry fee and a tournament's listing plan.
Registered with wallet.purchases when Django starts (CompetitionsConfig.ready()), so the wallet
prices, fulfils and refunds them without importing competitions."""

from accounts.models import User
from arena.exceptions import Conflict, Invalid, NotFound, PermissionDenied
from competitions import access
from competitions.models import Registration, Tournament
from competitions.services import registration_confirm_paid, tournament_listing_paid
from wallet import catalog
from wallet.models import Payment
from wallet.purchases import Purchase, purchase_register


def _id(ref: str) -> int:
    if not ref.isdigit():
        raise Invalid("ref must be the id of the registration or tournament.", code="unknown_item")
    return int(ref)


class EntryFee(Purchase):
    """A team's entry fee: paid by its captain, confirms the registration. The host of the
    tournament may refund it (administrators always may)."""

    purpose = Payment.Purpose.REGISTRATION

    def price(self, *, user: User, ref: str) -> int:
        registration = Registration.objects.select_related("tournament", "team").filter(pk=_id(ref)).first()
        if registration is None:
            raise NotFound("No such registration.")
        if registration.team.captain_id != user.pk:
            raise PermissionDenied("Only the team captain pays the entry fee.", code="not_captain")
        if registration.status != Registration.Status.PENDING_PAYMENT:
            raise Conflict(f"This registration is {registration.status}; nothing to pay.", code="nothing_to_pay")
        return registration.tournament.entry_fee

    def fulfil(self, *, payment: Payment) -> bool:
        return registration_confirm_paid(registration_id=int(payment.ref))

    def may_refund(self, *, actor: User, payment: Payment) -> bool:
        registration = Registration.objects.select_related("tournament").filter(pk=int(payment.ref)).first()
        return registration is not None and access.manages(tournament=registration.tournament, user=actor)


class ListingPlan(Purchase):
    """A tournament's listing plan: paid by those who run it, before it can be published."""

    purpose = Payment.Purpose.LISTING_PLAN

    def price(self, *, user: User, ref: str) -> int:
        tournament = Tournament.objects.filter(pk=_id(ref)).first()
        if tournament is None:
            raise NotFound("No such tournament.")
        if not access.manages(tournament=tournament, user=user):
            raise PermissionDenied("Only the tournament's host pays its listing plan.", code="not_host")
        if tournament.listing_paid_at:
            raise Conflict("This tournament's listing plan is already paid.", code="already_paid")
        return catalog.LISTING_PLANS[tournament.listing_plan].price

    def fulfil(self, *, payment: Payment) -> bool:
        return tournament_listing_paid(tournament_id=int(payment.ref))


def purchases_register() -> None:
    purchase_register(EntryFee())
    purchase_register(ListingPlan())
