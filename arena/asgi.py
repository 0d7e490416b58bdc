import json
import os

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena.settings")


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the view run in one hop to a thread.

    Every view is synchronous, and so is WhiteNoise. With the stock handler (async chain) Django
    switched modes at WhiteNoise and ran each async-capable MiddlewareMixin's hooks through its own
    sync_to_async: about twenty hand-offs between the event loop and the request's thread for one GET.
    Here the chain is loaded in sync mode and the whole of get_response runs in the request's thread
    (thread_sensitive, as Django runs sync views), which is what the sync hooks wanted anyway."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


# Django must be set up before anything imports models (routing → consumers).
django.setup(set_prefix=False)
django_asgi_app = SyncChainASGIHandler()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from arena.logs import WebSocketRequestId  # noqa: E402
from realtime.edge.routing import websocket_urlpatterns  # noqa: E402
from realtime.edge.security import OriginOrTicketValidator  # noqa: E402
from realtime.edge.sockets import LeanURLRouter  # noqa: E402


class BodyLimit:
    """413 body_too_large for an HTTP request body over `max_bytes`: at once when Content-Length
    says so, or as soon as the streamed chunks add up to more (chunked uploads). Django spools a
    whole body before it routes anything, so this is the only place a size can be refused before
    it is read. Under uvicorn the body is streamed here; daphne buffers it all first."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.max_bytes:
            return await self.app(scope, receive, send)
        declared = [value for name, value in scope["headers"] if name == b"content-length"]
        if declared and declared[0].isdigit() and int(declared[0]) > self.max_bytes:
            return await self.refuse(send)

        received = 0
        started = refused = False

        async def receive_limited():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self.refuse(send)
                    # The app stops reading as if the client had gone (Django: RequestAborted).
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message):
            nonlocal started
            if not refused:
                started = True
                await send(message)

        await self.app(scope, receive_limited, send_unless_refused)

    async def refuse(self, send):
        body = json.dumps(
            {"detail": f"Request bodies are limited to {self.max_bytes} bytes.", "code": "body_too_large"}
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is never read: the connection cannot carry another request.
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


application = ProtocolTypeRouter(
    {
        "http": BodyLimit(django_asgi_app, settings.MAX_REQUEST_BODY_BYTES),
        # Allowed origins are ALLOWED_HOSTS; clients without an Origin need a ticket.
        "websocket": WebSocketRequestId(OriginOrTicketValidator(LeanURLRouter(websocket_urlpatterns))),
    }
)
