"""Prometheus metrics (prometheus-client, the official client), served at /metrics.

Each ASGI process serves its own figures: run one scrape target per process, or set
PROMETHEUS_MULTIPROC_DIR (an empty directory shared by the processes of one host, as
prometheus-client's multiprocess mode requires) and any process answers for all of them.
Labels stay bounded: HTTP by route pattern (never the raw path), WebSockets by topic kind.
"""

import hmac
import os
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

HTTP_REQUESTS = Counter("arena_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "arena_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WS_CONNECTIONS = Gauge("arena_ws_connections", "Open WebSocket connections", ["kind"], multiprocess_mode="livesum")
WS_MESSAGES = Counter("arena_ws_messages_sent", "Messages sent to WebSocket clients", ["kind"])
PUBLISHES = Counter("arena_realtime_publishes", "Events published to a topic", ["kind"])
RESYNCS = Counter("arena_realtime_resyncs", "Clients brought back in step (refill or snapshot)", ["kind", "how"])
CELERY_TASKS = Counter("arena_celery_tasks", "Celery tasks finished", ["task", "outcome"])
CELERY_DURATION = Histogram("arena_celery_task_duration_seconds", "Celery task run time", ["task"])
PAYMENT_TRANSITIONS = Counter(
    "arena_payment_transitions", "Payment state changes", ["gateway", "from_state", "to_state"]
)


def topic_kind(topic: str) -> str:
    """'tournament.12' → 'tournament': one label value per kind of topic, not per topic."""
    return topic.split(".", 1)[0]


class DatabasePoolCollector:
    """psycopg_pool's own figures for this process's pool, read at scrape time."""

    def describe(self):
        # Without describe(), registering would call collect() at import time, reading the
        # database settings while they may still be loading (and failing, in a bad config).
        return []

    def collect(self):
        pool = getattr(connections[DEFAULT_DB_ALIAS], "pool", None)
        if pool is None:
            return
        stats = pool.get_stats()
        for key, help_text in (
            ("pool_size", "Connections the pool holds"),
            ("pool_available", "Idle connections in the pool"),
            ("requests_waiting", "Requests waiting for a connection"),
            ("pool_max", "Most connections the pool may hold"),
        ):
            family = GaugeMetricFamily(f"arena_db_{key}", help_text)
            family.add_metric([], stats.get(key, 0))
            yield family


REGISTRY.register(DatabasePoolCollector())


def http_observe(request: HttpRequest, status: int, seconds: float) -> None:
    """Called once per request by arena.logs.RequestIdMiddleware, which already times it."""
    match = getattr(request, "resolver_match", None)
    route = f"/{match.route}" if match is not None and match.route else "unmatched"
    HTTP_REQUESTS.labels(request.method, route, status).inc()
    HTTP_LATENCY.labels(request.method, route).observe(seconds)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """With METRICS_TOKEN set, only `Authorization: Bearer <token>`; in production without one, 404."""
    token = settings.METRICS_TOKEN
    if not token and settings.PRODUCTION:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    if token:
        presented = request.headers.get("Authorization", "").removeprefix("Bearer ").encode()
        if not hmac.compare_digest(presented, token.encode()):
            return HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


def _registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def celery_connect() -> None:
    from celery import signals
    from prometheus_client import start_http_server

    started: dict[str, float] = {}

    @signals.worker_ready.connect(weak=False)
    def _serve(**_):
        # A worker has no HTTP server of its own: METRICS_WORKER_PORT gives it one for scrapes.
        if settings.METRICS_WORKER_PORT:
            start_http_server(settings.METRICS_WORKER_PORT, registry=_registry())

    @signals.task_prerun.connect(weak=False)
    def _start(task_id=None, **_):
        started[task_id] = time.perf_counter()

    @signals.task_postrun.connect(weak=False)
    def _finish(task_id=None, task=None, state=None, **_):
        begun = started.pop(task_id, None)
        if begun is not None:
            CELERY_DURATION.labels(task.name).observe(time.perf_counter() - begun)
        CELERY_TASKS.labels(task.name, (state or "unknown").lower()).inc()
