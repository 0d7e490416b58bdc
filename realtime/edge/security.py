from urllib.parse import parse_qs

from channels.security.websocket import OriginValidator
from django.conf import settings

# Read-only topics anyone may watch (API.md): native apps, bots and scripts send no Origin.
PUBLIC_PATHS = ("/ws/tournaments/", "/ws/matches/")


class OriginOrTicketValidator(OriginValidator):
    """Browsers must come from an allowed origin. Clients that send no Origin at all (never
    a browser, so no cross-site risk) may watch public topics, and reach the others only with
    a ?ticket=, which the consumer checks."""

    def __init__(self, application):
        super().__init__(application, [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS])

    async def __call__(self, scope, receive, send):
        has_origin = any(name == b"origin" for name, _ in scope.get("headers", []))
        if not has_origin and (
            scope.get("path", "").startswith(PUBLIC_PATHS)
            or parse_qs(scope.get("query_string", b"").decode()).get("ticket")
        ):
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)
