"""Django's Redis cache backend with one client (and so one connection pool) per process.

Django keeps cache backends in an asgiref Local that is not thread-critical, so under ASGI every
request (its own context) builds a new RedisCache, a new RedisCacheClient and a new connection pool:
each request that touched the cache opened a TCP connection to Redis and sent CLIENT SETINFO first.
Profiling GET standings under load put a third of the server's CPU there. Sharing the client keeps
the pooled connections (redis-py's pool is thread-safe and resets itself in a forked child).
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


class RedisCache(DjangoRedisCache):
    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
