from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from api.auth import jwt_auth
from api.schemas.common import ErrorOut
from realtime import notifications
from realtime.edge.tickets import ticket_issue

router = Router(tags=["realtime"], auth=jwt_auth)


class TicketOut(Schema):
    ticket: str
    expires_in: int = Field(..., description="seconds")


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    data: dict
    read_at: str | None
    created_at: str

    @staticmethod
    def resolve_read_at(obj) -> str | None:
        return obj.read_at.isoformat() if obj.read_at else None

    @staticmethod
    def resolve_created_at(obj) -> str:
        return obj.created_at.isoformat()


class ReadIn(Schema):
    ids: list[int] = Field(..., min_length=1, max_length=200)


class ReadOut(Schema):
    marked: int


@router.post("/realtime/ticket", response={201: TicketOut, 401: ErrorOut})
def create_ticket(request: HttpRequest):
    """A single-use ticket for `?ticket=` on WebSocket URLs, valid for 30 seconds."""
    return Status(
        201, {"ticket": ticket_issue(user_id=request.user.pk), "expires_in": settings.REALTIME_TICKET_SECONDS}
    )


@router.get("/notifications", response={200: list[NotificationOut], 401: ErrorOut})
@paginate
def list_notifications(request: HttpRequest, unread: bool = False):
    """Newest first; `?unread=true` for unread only. New ones are also pushed on /ws/me/."""
    return notifications.notification_list(user_id=request.user.pk, unread=unread)


@router.post("/notifications/read", response={200: ReadOut, 401: ErrorOut, 422: ErrorOut})
def mark_notifications_read(request: HttpRequest, payload: ReadIn):
    """Marks your notifications with these ids read; ids that are not yours are ignored."""
    return {"marked": notifications.notifications_mark_read(user_id=request.user.pk, ids=payload.ids)}
