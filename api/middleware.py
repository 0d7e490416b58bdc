import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.deprecation import MiddlewareMixin

from api.errors import error_body

# A JSON string escape for U+0000: `\u0000` after an even run of backslashes (`\\u0000` is the
# text "\u0000", not a NUL).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


class JsonMethodNotAllowedMiddleware(MiddlewareMixin):
    """Ninja answers a wrong method with a plain-text 405; API clients get the JSON error shape."""

    def process_response(self, request, response):
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and "json" not in response.get("Content-Type", "")
        ):
            allowed = response.get("Allow", "")
            json_response = JsonResponse(
                error_body(
                    f"Method {request.method} is not allowed here. Allowed: {allowed}.", code="method_not_allowed"
                ),
                status=405,
            )
            json_response["Allow"] = allowed
            return json_response
        return response


class _CloseDelimiterWatch:
    """Wraps the request stream while Django's multipart parser reads it. Django parses an empty,
    truncated or garbage body as an empty form; a whole multipart body ends with `--boundary--`."""

    def __init__(self, stream, boundary: bytes):
        self._stream = stream
        self._marker = b"--" + boundary + b"--"
        self._tail = b""
        self.seen = False

    def _watch(self, data: bytes) -> bytes:
        if not self.seen:
            window = self._tail + data
            self.seen = self._marker in window
            self._tail = window[-len(self._marker) :]
        return data

    def read(self, *args, **kwargs) -> bytes:
        return self._watch(self._stream.read(*args, **kwargs))

    def readline(self, *args, **kwargs) -> bytes:
        return self._watch(self._stream.readline(*args, **kwargs))


class RequestInputMiddleware(MiddlewareMixin):
    """Input refused once, before any view, for every endpoint:

    - a NUL character anywhere (path, query string, header, JSON body, form field): PostgreSQL cannot
      store one in text, so it would be a DataError 500 wherever it reached a query → 400 `nul_character`;
    - bodies Django refuses to parse: over DATA_UPLOAD_MAX_MEMORY_SIZE → 413 `too_large`; multipart
      without a valid boundary, empty, truncated or malformed, too many fields or files → 400 `bad_multipart`.

    Under /api/ the answer is the API's JSON error; elsewhere (admin, checkout pages) a plain 400, or
    Django's own handling of its parse errors."""

    def process_request(self, request):
        api = request.path_info.startswith("/api/")
        try:
            if _has_nul(request, parse_body=api or request.content_type in _FORMS):
                if not api:
                    return HttpResponseBadRequest("NUL characters are not allowed.")
                return _error(400, "Text must not contain NUL (\\u0000) characters.", "nul_character")
        except RequestDataTooBig:
            if not api:
                raise
            return _error(413, "The request body is too large.", "body_too_large")
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as error:
            if not api:
                raise
            return _error(400, f"Malformed multipart body: {error}", "bad_multipart")
        return None


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse(error_body(detail, code=code), status=status)


def _has_nul(request, *, parse_body: bool) -> bool:
    if "\x00" in request.path_info:
        return True
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return True
    if any("\x00" in value for name, value in request.META.items() if name.startswith("HTTP_")):
        return True
    if not parse_body:
        return False
    if request.content_type == "multipart/form-data":
        # Django parses multipart bodies of POSTs only (nothing here takes another method's).
        return request.method == "POST" and _multipart_has_nul(request)
    if request.content_type == "application/x-www-form-urlencoded" and request.method == "POST":
        return _fields_have_nul(request)
    if not request.META.get("CONTENT_LENGTH"):
        return False
    # Ninja reads any other body as JSON.
    body = request.body
    return b"\x00" in body or _JSON_NUL.search(body) is not None


def _fields_have_nul(request) -> bool:
    fields = any("\x00" in key or any("\x00" in value for value in values) for key, values in request.POST.lists())
    return fields or any("\x00" in upload.name for upload in request.FILES.values())


def _multipart_has_nul(request) -> bool:
    boundary = request.content_params.get("boundary", "")
    if not request.META.get("CONTENT_LENGTH") or request.META["CONTENT_LENGTH"] == "0":
        raise MultiPartParserError("the body is empty")
    if hasattr(request, "_body") or not boundary.isascii():
        return _fields_have_nul(request)  # Django's parser reports the bad boundary
    watch = request._stream = _CloseDelimiterWatch(request._stream, boundary.encode())
    has_nul = _fields_have_nul(request)
    if not watch.seen:
        raise MultiPartParserError("it does not end with its closing boundary (empty, truncated or malformed)")
    return has_nul
