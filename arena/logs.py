"""Request ids and structured logs.

Every HTTP request and WebSocket connection gets an id (the client's `X-Request-ID` when it is a
sane token, else a new one), kept in a context variable so that every log line written while it
is handled carries it, and Celery tasks queued meanwhile carry it too (a message header read back
by the worker). `LOG_FORMAT=json` writes one JSON object per line (python-json-logger).
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from arena.metrics import http_observe

request_id: ContextVar[str] = ContextVar("request_id", default="")
HEADER = "X-Request-ID"
_WS_HEADER = HEADER.lower().encode()
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
access_log = logging.getLogger("arena.access")


def request_id_from(value: str | None) -> str:
    """The client's id when it is safe to log and echo, else a fresh one."""
    return value if value and _SANE.fullmatch(value) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class RequestIdMiddleware:
    """Sets the request id, echoes it in the response, writes one access line per request and
    counts it in the HTTP metrics (one timing for both)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        token, started = self._begin(request)
        try:
            return self._end(request, self.get_response(request), started)
        finally:
            request_id.reset(token)

    async def _acall(self, request):
        token, started = self._begin(request)
        try:
            return self._end(request, await self.get_response(request), started)
        finally:
            request_id.reset(token)

    @staticmethod
    def _begin(request):
        return request_id.set(request_id_from(request.headers.get(HEADER))), time.perf_counter()

    @staticmethod
    def _end(request, response, started):
        seconds = time.perf_counter() - started
        http_observe(request, response.status_code, seconds)
        response[HEADER] = request_id.get()
        access_log.info(
            '"%s %s" %s',
            request.method,
            request.get_full_path(),
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response


class WebSocketRequestId:
    """The same id for a WebSocket connection: everything its consumer logs carries it."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        # No dict of the headers: this frame lives as long as the socket, and so would its locals.
        given = next((value for name, value in scope.get("headers", ()) if name == _WS_HEADER), b"")
        token = request_id.set(request_id_from(given.decode("latin-1")))
        del given
        try:
            return await self.application(scope, receive, send)
        finally:
            request_id.reset(token)


def celery_connect(app) -> None:
    """Carry the id from the code that queues a task into the worker that runs it."""
    from celery import signals

    @signals.before_task_publish.connect(weak=False)
    def _stamp(headers=None, **_):
        if headers is not None and request_id.get():
            headers["request_id"] = request_id.get()

    @signals.task_prerun.connect(weak=False)
    def _enter(task=None, **_):
        task.request.request_id_token = request_id.set(
            getattr(task.request, "request_id", None) or request_id.get() or uuid.uuid4().hex
        )

    @signals.task_postrun.connect(weak=False)
    def _leave(task=None, **_):
        token = getattr(task.request, "request_id_token", None)
        if token is not None:
            request_id.reset(token)
