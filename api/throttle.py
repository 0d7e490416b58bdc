"""Login-style throttles, per client IP and per account.

django-ratelimit counts with cache.add + cache.incr, which are atomic in Redis, so
the limits hold across every ASGI process sharing REDIS_URL. Every answer of a throttled
operation says where the caller stands, as the IETF draft's RateLimit-Limit, -Remaining and
-Reset headers (the tightest of its buckets), so clients can slow down before a 429.
"""

from django.conf import settings
from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin
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
        if usage:
            state = (usage["limit"], max(0, usage["limit"] - usage["count"]), max(1, usage["time_left"]))
            current = getattr(request, "ratelimit_state", None)
            if current is None or state[1] < current[1]:
                request.ratelimit_state = state
        if usage and usage["should_limit"]:
            raise Throttled(
                "Too many attempts. Try again later.", retry_after=max(1, usage["time_left"]), code="throttled"
            )


HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


class RateLimitHeadersMiddleware(MiddlewareMixin):
    """Adds the RateLimit headers to the answer of any request that went through throttle()."""

    def process_response(self, request, response):
        state = getattr(request, "ratelimit_state", None)
        if state is not None:
            for header, value in zip(HEADERS, state, strict=True):
                response[header] = str(value)
        return response
