import asyncio
import weakref

import redis.asyncio
from django.conf import settings

_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]" = weakref.WeakKeyDictionary()


def async_redis() -> redis.asyncio.Redis:
    """The asyncio Redis client of the running event loop: a client belongs to one loop
    (daphne has one, tests make several), and each loop reuses its own connection pool."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        pool = redis.asyncio.BlockingConnectionPool.from_url(settings.REDIS_URL, max_connections=32, timeout=None)
        client = _clients[loop] = redis.asyncio.Redis(connection_pool=pool)
    return client
