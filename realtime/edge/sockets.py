"""What each open socket costs the server, kept small: the consumer's dispatch loop and its send queue.

Thousands of idle spectators per process make per-socket objects the memory budget, and a connect
storm makes per-connect work the latency budget (bench/RESULTS.md):

* LeanConsumer: channels' AsyncConsumer wraps `receive` in a task per message and waits on it with
  asyncio.wait (a task, a waiter future and callbacks held by every idle socket), and hops to the
  shared sync thread before every message to close stale database connections. A TopicConsumer has
  no channel layer, and its database work runs through database_sync_to_async, which closes stale
  connections itself; so it awaits `receive` directly and dispatches without the hop.
* LeanURLRouter (and realtime.edge.security's validator): an ASGI layer that only decides where a socket
  goes returns the next application's coroutine instead of awaiting it, so no frame of it (nor a copy
  of the scope) stays alive for the socket's lifetime.
* Outbox: a bounded send queue without a task or an asyncio.Queue per socket. A frame is written at
  once when nothing waits before it: an ASGI server's send returns without suspending unless its
  transport paused writing (uvicorn's backpressure; daphne never suspends), so fan-out writes each
  socket inline. Only a send that does suspend (a client not reading) gets a writer task, which
  finishes it and then the frames queued behind it, at most `limit` of them.
"""

import asyncio
from collections import deque

from channels.exceptions import StopConsumer
from channels.routing import URLRouter
from django.urls.exceptions import Resolver404


class LeanConsumer:
    """Mixin for AsyncWebsocketConsumer subclasses that use no channel layer."""

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    async def dispatch(self, message):
        name = message["type"].replace(".", "_")
        handler = None if name.startswith("_") else getattr(self, name, None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class LeanURLRouter(URLRouter):
    """channels' URLRouter for a flat list of routes to consumers (no nested routers)."""

    def __call__(self, scope, receive, send):
        path = scope.get("path")
        if path is None:
            raise ValueError("No 'path' key in connection scope, cannot route URLs")
        root_path = scope.get("root_path", "")
        if root_path and not path.startswith(root_path):
            raise ValueError(f"No route found for path {path!r}.")
        path = path[len(root_path) :].lstrip("/")
        for route in self.routes:
            try:
                match = route.pattern.match(path)
            except Resolver404:
                continue
            if match:
                remaining, args, kwargs = match
                kwargs.update(route.default_args)
                # The connection's own scope (the server made it for this socket): no copy.
                scope["path_remaining"] = remaining
                scope["url_route"] = {"args": args, "kwargs": kwargs}
                app = route.callback
                consumer_class = getattr(app, "consumer_class", None)
                if consumer_class is not None:  # an as_asgi() app: skip its wrapper's frame
                    return consumer_class(**app.consumer_initkwargs)(scope, receive, send)
                return app(scope, receive, send)
        raise ValueError(f"No route found for path {path!r}.")


class Outbox:
    __slots__ = ("_cancelled", "_frames", "_send", "_writer", "limit")

    def __init__(self, send, limit: int) -> None:
        self._send = send
        self.limit = limit
        self._frames: deque[str] | None = None  # created when a first frame has to wait
        self._writer: asyncio.Task | None = None
        self._cancelled = False

    def room(self) -> int:
        """Frames the queue can still take."""
        return self.limit - (len(self._frames) if self._frames else 0)

    def put(self, text: str) -> bool:
        """Send `text` after every frame before it; False (nothing queued) when the queue is full."""
        if self._cancelled:
            return True
        if self._writer is not None:
            if len(self._frames) >= self.limit:
                return False
            self._frames.append(text)
            return True
        send = self._send({"type": "websocket.send", "text": text})
        try:
            waiting = send.send(None)
        except StopIteration:
            return True  # written
        except Exception:
            return True
        if self._frames is None:
            self._frames = deque()
        self._writer = asyncio.ensure_future(self._finish(send, waiting))
        return True

    async def _finish(self, send, waiting) -> None:
        """Resume the suspended send as a task would (once what it waits for is done), then send
        what queued up behind it."""
        try:
            while True:
                try:
                    if waiting is None:
                        await asyncio.sleep(0)  # a bare yield: just let the loop run
                    else:
                        # The send yielded this future to a task that never took it: take it as
                        # Task.__step does (a future still marked blocking refuses a second await).
                        waiting._asyncio_future_blocking = False
                        await waiting
                except asyncio.CancelledError:
                    send.close()
                    raise
                except Exception:  # noqa: S110 - the send itself sees it when resumed
                    pass
                try:
                    waiting = send.send(None)
                except StopIteration:
                    break
            while self._frames:
                await self._send({"type": "websocket.send", "text": self._frames.popleft()})
        except Exception:  # noqa: S110 - the socket is gone; its disconnect follows
            pass
        finally:
            self._writer = None

    async def flush(self) -> None:
        """Wait until what is queued is sent (a close goes after it); a full queue is dropped."""
        writer = self._writer
        if writer is None:
            return
        if len(self._frames) >= self.limit:
            self.cancel()
            return
        await asyncio.wait([writer])

    def cancel(self) -> None:
        """Send nothing more."""
        self._cancelled = True
        if self._frames:
            self._frames.clear()
        if self._writer is not None:
            self._writer.cancel()
