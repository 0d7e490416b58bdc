"""Login-style throttles, per client IP and per account.

django-ratelimit counts with cache.add + cache.incr, which are atomic in Redis, so
the limits hold across every ASGI process sharing REDIS_URL.
"""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from arena.exceptions import Throttled


def throttle(request: HttpRequest, scope: str, *, account: str | None = None) -> None:
    rate = settings.ARENA_THROTTLES[scope]
    # No client address (a unix socket, a proxy header missing): those requests share one bucket
    # instead of failing (django-ratelimit raises ImproperlyConfigured: a 500).
    has_ip = bool(request.META.get(settings.RATELIMIT_IP_META_KEY))
    keys: list[tuple[str, object]] = [("ip", "ip" if has_ip else (lambda group, req: "unknown-address"))]
    if account:
        normalized = account.strip().lower()
        keys.append(("account", lambda group, req: normalized))
    for kind, key in keys:
        usage = get_usage(request, group=f"arena.{scope}.{kind}", key=key, rate=rate, increment=True)
        if usage and usage["should_limit"]:
            raise Throttled(
                "Too many attempts. Try again later.", retry_after=max(1, usage["time_left"]), code="throttled"
            )
