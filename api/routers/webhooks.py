"""A tournament's outgoing webhooks: its host subscribes endpoints, reads the delivery log, replays."""

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from api.auth import jwt_auth
from api.schemas.common import ErrorOut
from api.schemas.webhooks import DeliveryOut, SubscriptionIn, SubscriptionOut
from competitions.access import tournament_for_host
from webhooks import selectors, services

router = Router(tags=["webhooks"], auth=jwt_auth)
ERRORS = {401: ErrorOut, 404: ErrorOut}


@router.post("/{tournament_id}/webhooks", response={201: SubscriptionOut, 409: ErrorOut, 422: ErrorOut, **ERRORS})
def create_webhook(request: HttpRequest, tournament_id: int, payload: SubscriptionIn):
    """Subscribe an endpoint to this tournament's events. Each delivery is a POST of
    `{id, type, created_at, tournament_id, data}` signed in `Arena-Signature`; a non-2xx answer
    is retried with exponential backoff for 24 h. `kind: "discord"` posts Discord embeds instead."""
    tournament = tournament_for_host(tournament_id=tournament_id, user=request.user)
    subscription = services.subscription_create(
        tournament_id=tournament.pk, url=payload.url, events=list(payload.events), kind=payload.kind
    )
    return Status(201, subscription)


@router.get("/{tournament_id}/webhooks", response={200: list[SubscriptionOut], **ERRORS})
def list_webhooks(request: HttpRequest, tournament_id: int):
    tournament = tournament_for_host(tournament_id=tournament_id, user=request.user)
    return selectors.subscription_list(tournament_id=tournament.pk)


@router.delete("/{tournament_id}/webhooks/{webhook_id}", response={204: None, **ERRORS})
def delete_webhook(request: HttpRequest, tournament_id: int, webhook_id: int):
    tournament = tournament_for_host(tournament_id=tournament_id, user=request.user)
    services.subscription_delete(tournament_id=tournament.pk, subscription_id=webhook_id)
    return Status(204, None)


@router.get("/{tournament_id}/webhook-deliveries", response={200: list[DeliveryOut], **ERRORS})
@paginate
def list_webhook_deliveries(request: HttpRequest, tournament_id: int, status: str | None = None):
    """The delivery log, newest first: status, attempts, the endpoint's last answer."""
    tournament = tournament_for_host(tournament_id=tournament_id, user=request.user)
    return selectors.delivery_list(tournament_id=tournament.pk, status=status)


@router.post("/{tournament_id}/webhook-deliveries/{delivery_id}/replay", response={202: DeliveryOut, **ERRORS})
def replay_webhook_delivery(request: HttpRequest, tournament_id: int, delivery_id: int):
    """Send the same event (same id and payload) again, as a new delivery."""
    tournament = tournament_for_host(tournament_id=tournament_id, user=request.user)
    return Status(202, services.delivery_replay(tournament_id=tournament.pk, delivery_id=delivery_id))
