from django.db.models import QuerySet

from webhooks.models import Delivery, Subscription


def subscription_list(*, tournament_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(tournament_id=tournament_id)


def delivery_list(*, tournament_id: int, status: str | None = None) -> QuerySet[Delivery]:
    deliveries = Delivery.objects.filter(subscription__tournament_id=tournament_id)
    return deliveries.filter(status=status) if status else deliveries
