import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from ninja import Router, Schema, Status

router = Router(tags=["operations"])


class HealthOut(Schema):
    status: str


class ReadyOut(Schema):
    status: str
    checks: dict[str, str]


@router.get("/health", response=HealthOut, summary="Liveness: the process answers")
def get_health(request):
    return {"status": "ok"}


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"ready:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _check_channel_layer() -> None:
    layer = get_channel_layer()

    async def round_trip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "ready.check"})
        message = await layer.receive(channel)
        if message.get("type") != "ready.check":
            raise RuntimeError("channel layer returned another message")

    async_to_sync(round_trip)()


@router.get(
    "/ready",
    response={200: ReadyOut, 503: ReadyOut},
    summary="Readiness: database, cache (Redis) and channel layer all answer",
)
def get_ready(request):
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("channel_layer", _check_channel_layer),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; say which and why
            checks[name] = f"error: {exc.__class__.__name__}: {exc}"[:200]
    ok = all(value == "ok" for value in checks.values())
    return Status(200 if ok else 503, {"status": "ok" if ok else "unavailable", "checks": checks})
