from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja_jwt.authentication import JWTAuth

from accounts.models import User
from arena.exceptions import PermissionDenied

jwt_auth = JWTAuth()


def anonymous(request: HttpRequest) -> AnonymousUser:
    """Lets a request without a token through; a bad token still gets 401 from jwt_auth."""
    return AnonymousUser()


# For public reads that show more to the right user (own drafts, match room details).
optional_jwt = [jwt_auth, anonymous]


def require_admin(request: HttpRequest) -> User:
    if not request.user.is_admin:
        raise PermissionDenied("Only administrators can do this.", code="admin_only")
    return request.user
