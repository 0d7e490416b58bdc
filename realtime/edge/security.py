from urllib.parse import parse_qs, urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

# Read-only topics anyone may watch (API.md): native apps, bots and scripts send no Origin.
PUBLIC_PATHS = ("/ws/tournaments/", "/ws/matches/")


class OriginOrTicketValidator(OriginValidator):
    """Browsers must come from an allowed origin. Clients that send no Origin at all (never
    a browser, so no cross-site risk) may watch public topics, and reach the others only with
    a ?ticket=, which the consumer checks.

    Each distinct Origin is parsed and matched once (channels parses it on every connect); no
    frame of it stays alive with the socket."""

    MAX_REMEMBERED = 1000  # distinct Origin values remembered; an unbounded set could be grown by clients

    def __init__(self, application):
        super().__init__(application, [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS])
        self._decisions: dict[bytes, bool] = {}

    def __call__(self, scope, receive, send):
        """Returns the next application's coroutine (realtime.edge.sockets: no frame kept per socket)."""
        if scope["type"] != "websocket":
            raise ValueError("You cannot use OriginValidator on a non-WebSocket connection")
        origin = None
        for name, value in scope.get("headers", ()):
            if name == b"origin":
                origin = value  # the last one counts, as in channels
        if origin is None and (
            scope.get("path", "").startswith(PUBLIC_PATHS)
            or parse_qs(scope.get("query_string", b"").decode()).get("ticket")
        ):
            allowed = True
        else:
            allowed = self._allowed(origin)
        if allowed:
            return self.application(scope, receive, send)
        return WebsocketDenier()(scope, receive, send)

    def _allowed(self, origin: bytes | None) -> bool:
        if origin is None:
            return self.valid_origin(None)
        allowed = self._decisions.get(origin)
        if allowed is None:
            try:
                parsed = urlparse(origin.decode("latin1"))
            except UnicodeDecodeError:
                parsed = None
            allowed = self.valid_origin(parsed)
            if len(self._decisions) < self.MAX_REMEMBERED:
                self._decisions[origin] = allowed
        return allowed
