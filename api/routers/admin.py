from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from accounts import selectors, services
from api.auth import jwt_auth, require_admin
from api.schemas.accounts import AdminStatsOut, AdminUserOut, HostApplicationOut, HostDecisionIn
from api.schemas.common import ErrorOut

router = Router(tags=["admin"], auth=jwt_auth)


@router.get("/stats", response={200: AdminStatsOut, 403: ErrorOut})
def get_admin_stats(request: HttpRequest):
    require_admin(request)
    return selectors.admin_stats()


@router.get("/users", response={200: list[AdminUserOut], 403: ErrorOut})
@paginate
def list_admin_users(
    request: HttpRequest, role: str | None = None, host_status: str | None = None, q: str | None = None
):
    """Filter by `role`, `host_status` (e.g. `pending` for the approval queue) or `q` (username/email)."""
    require_admin(request)
    return selectors.user_list(role=role, host_status=host_status, q=q)


@router.post(
    "/hosts/{user_id}/approve", response={200: HostApplicationOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def approve_host(request: HttpRequest, user_id: int, payload: HostDecisionIn | None = None):
    reviewer = require_admin(request)
    note = payload.note if payload else ""
    return services.host_application_decide(user_id=user_id, approve=True, reviewer=reviewer, note=note)


@router.post("/hosts/{user_id}/reject", response={200: HostApplicationOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def reject_host(request: HttpRequest, user_id: int, payload: HostDecisionIn | None = None):
    reviewer = require_admin(request)
    note = payload.note if payload else ""
    return services.host_application_decide(user_id=user_id, approve=False, reviewer=reviewer, note=note)
