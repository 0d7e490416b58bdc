import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")

# Django must be set up before anything imports models (routing → consumers).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from arena.logs import WebSocketRequestId  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402
from realtime.security import OriginOrTicketValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Allowed origins are ALLOWED_HOSTS; clients without an Origin need a ticket.
        "websocket": WebSocketRequestId(OriginOrTicketValidator(URLRouter(websocket_urlpatterns))),
    }
)
