"""Every error leaves the API as {"detail", "code"?, "errors"?} — mapped here, once."""

import logging
import sys

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.views.defaults import page_not_found, server_error
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja_extra.exceptions import APIException
from psycopg_pool import PoolTimeout

from arena.exceptions import ApplicationError

logger = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "throttled",
}


def error_body(detail: str, *, code: str | None = None, errors: list | None = None) -> dict:
    body: dict = {"detail": detail}
    if code:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return body


def _ninja_errors(errors: list[dict]) -> list[dict]:
    cleaned = []
    for error in errors:
        loc = [part for part in error.get("loc", []) if part not in ("payload", "data")]
        cleaned.append({"loc": loc, "msg": error.get("msg", "Invalid value."), "type": error.get("type", "invalid")})
    return cleaned


def _summary(errors: list[dict]) -> str:
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"][1:]) or str(first["loc"][0] if first["loc"] else "")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}" if where else f"{first['msg']}{more}"


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request, status: int, body: dict, headers: dict | None = None) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
        return respond(request, exc.status_code, error_body(exc.message, code=exc.code, errors=exc.errors), headers)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        errors = _ninja_errors(exc.errors)
        return respond(request, 422, error_body(_summary(errors), code="invalid", errors=errors))

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = [
                {"loc": ["body", field], "msg": message, "type": "invalid"}
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [{"loc": ["body"], "msg": message, "type": "invalid"} for message in exc.messages]
        return respond(request, 422, error_body(_summary(errors), code="invalid", errors=errors))

    @api.exception_handler(APIException)
    def ninja_extra_error(request, exc: APIException):
        # django-ninja-jwt raises these for bad, expired or blacklisted tokens.
        detail = exc.detail
        if isinstance(detail, dict):
            message, code = str(detail.get("detail", "Invalid request.")), str(detail.get("code", ""))
        else:
            message, code = str(detail), HTTP_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(message, code=code))

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc: AuthenticationError):
        return respond(
            request, 401, error_body("Authentication credentials were missing or invalid.", code="not_authenticated")
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return respond(request, exc.status_code, error_body(str(exc), code=HTTP_CODES.get(exc.status_code)))

    @api.exception_handler(Http404)
    def not_found(request, exc: Http404):
        return respond(request, 404, error_body("Not found.", code="not_found"))

    @api.exception_handler(RawPostDataException)
    def form_body_for_json(request, exc: RawPostDataException):
        # A form or multipart body, already parsed (api.middleware.RequestInputMiddleware), sent to
        # an operation that reads a JSON body.
        return respond(
            request,
            415,
            error_body(
                "This operation takes a JSON body (Content-Type: application/json).", code="unsupported_media_type"
            ),
        )

    @api.exception_handler(IntegrityError)
    def integrity_error(request, exc: IntegrityError):
        # A constraint caught a race the service's own checks could not see.
        logger.warning("IntegrityError on %s: %s", request.path, exc)
        return respond(request, 409, error_body("This conflicts with the current state; retry.", code="conflict"))

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        logger.exception("Unhandled error on %s", request.path)
        return respond(request, 500, error_body("Internal server error.", code="server_error"))

    @api.exception_handler(OperationalError)
    def database_unavailable(request, exc: OperationalError):
        if pool_exhausted(exc):
            logger.warning("Database pool exhausted on %s: %s", request.path, exc)
            return respond(request, 503, error_body(BUSY, code="server_busy"), {"Retry-After": "1"})
        return unexpected(request, exc)


BUSY = "The server is busy; retry shortly."


def pool_exhausted(exc: BaseException | None) -> bool:
    """Every pooled connection stayed busy for DATABASE_POOL_TIMEOUT: overload, worth a retry."""
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, PoolTimeout)


def json_not_found(request: HttpRequest) -> HttpResponse:
    return JsonResponse(error_body(f"No API endpoint at {request.path}.", code="not_found"), status=404)


def json_404_or_page(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Http404 raised outside Ninja (e.g. a bad media path) under /api/ still answers JSON."""
    if request.path.startswith("/api/"):
        return json_not_found(request)
    return page_not_found(request, exception)


def busy_or_server_error(request: HttpRequest) -> HttpResponse:
    """handler500: outside the API too (pages, admin, media, a middleware's session lookup), an
    exhausted pool is a 503 with Retry-After, not a 500."""
    exc = sys.exc_info()[1]  # Django calls handler500 while handling the exception
    if pool_exhausted(exc):
        logger.warning("Database pool exhausted on %s: %s", request.path, exc)
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body(BUSY, code="server_busy"), status=503)
        else:
            response = HttpResponse(BUSY, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "1"
        return response
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Internal server error.", code="server_error"), status=500)
    return server_error(request)
