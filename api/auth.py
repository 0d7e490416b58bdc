from django.http import HttpRequest
from ninja_jwt.authentication import JWTAuth

from accounts.models import User
from arena.exceptions import PermissionDenied

jwt_auth = JWTAuth()


def require_admin(request: HttpRequest) -> User:
    if not request.user.is_admin:
        raise PermissionDenied("Only administrators can do this.", code="admin_only")
    return request.user
