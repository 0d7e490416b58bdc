"""The one domain error type. Services raise it; the API edge maps it to JSON once."""


class ApplicationError(Exception):
    status_code = 400
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.errors = errors


class NotAuthenticated(ApplicationError):
    status_code = 401
    default_code = "not_authenticated"


class PermissionDenied(ApplicationError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"


class PayloadTooLarge(ApplicationError):
    status_code = 413
    default_code = "too_large"


class UnsupportedMediaType(ApplicationError):
    status_code = 415
    default_code = "unsupported_media_type"


class Invalid(ApplicationError):
    status_code = 422
    default_code = "invalid"


class Throttled(ApplicationError):
    status_code = 429
    default_code = "throttled"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ServiceUnavailable(ApplicationError):
    """A service we depend on (a payment gateway, Steam) is down or refusing: worth retrying."""

    status_code = 503
    default_code = "service_unavailable"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int | None = None):
        super().__init__(message, code=code)
        if retry_after is not None:
            # The API's error handler turns this attribute into a Retry-After header.
            self.retry_after = retry_after
