from typing import Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Status, UploadedFile
from ninja.pagination import paginate

from accounts import selectors, services
from accounts.models import User
from api.auth import jwt_auth
from api.routers import oauth
from api.schemas.accounts import (
    HostApplicationOut,
    LeaderboardRowOut,
    MeOut,
    MePatchIn,
    PublicProfileOut,
)
from api.schemas.common import ErrorOut
from api.throttle import throttle

router = Router(tags=["accounts"])

# Linked social accounts: /api/me/social, /{provider}/url, /{provider}/callback, DELETE /{provider}.
router.add_router("/me/social", oauth.me_router)


def _me(user: User) -> User:
    return User.objects.select_related("wallet").get(pk=user.pk)


@router.get("/me", auth=jwt_auth, response={200: MeOut, 401: ErrorOut})
def get_me(request: HttpRequest):
    return _me(request.user)


@router.patch("/me", auth=jwt_auth, response={200: MeOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def update_me(request: HttpRequest, payload: MePatchIn):
    services.user_profile_update(user=request.user, data=payload.dict(exclude_unset=True, exclude_none=True))
    return _me(request.user)


@router.post(
    "/me/avatar",
    auth=jwt_auth,
    response={200: MeOut, 401: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut},
)
def upload_avatar(request: HttpRequest, image: File[UploadedFile]):
    """PNG, JPEG, WebP or GIF up to 5 MiB. Re-encoded (metadata stripped) and resized to at most 512×512."""
    services.user_avatar_set(user=request.user, image=image)
    return _me(request.user)


@router.post(
    "/me/host-application",
    auth=jwt_auth,
    response={
        201: HostApplicationOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 413: ErrorOut, 415: ErrorOut,
        422: ErrorOut, 429: ErrorOut,
    },
)  # fmt: skip
def apply_to_host(request: HttpRequest, message: Form[str] = "", identity_document: File[UploadedFile] = None):
    """Multipart. Optional `identity_document` (PDF, PNG, JPEG or WebP, ≤ 10 MiB) is kept in private
    storage, rebuilt rather than stored as sent: images re-encoded without metadata, PDFs parsed and
    re-written (415 if unreadable; 422 `pdf_encrypted` / `pdf_active_content` for encrypted PDFs or
    ones with JavaScript, launch/submit actions or embedded files).
    Needs a verified email. An admin approves or rejects the application. Throttled per account
    and client IP (`THROTTLE_HOST_APPLICATION`, 429 with `Retry-After`)."""
    throttle(request, "host_application", account=str(request.user.pk))
    return Status(
        201, services.host_application_submit(user=request.user, message=message.strip(), document=identity_document)
    )


@router.get("/users/{username}", response={200: PublicProfileOut, 404: ErrorOut})
def get_public_profile(request: HttpRequest, username: str):
    return selectors.user_get_by_username(username=username)


@router.get("/leaderboard", response=list[LeaderboardRowOut])
@paginate
def get_leaderboard(request: HttpRequest, by: Literal["xp"] = "xp"):
    """Players ranked by XP (equal XP shares a rank). Ranking by tournament wins
    (`by=wins`) arrives with the competitions engine."""
    return selectors.leaderboard()
