"""Django's Redis cache backend with one client (and so one connection pool) per process.

Django keeps cache backends in an asgiref Local that is not thread-critical, so under ASGI every
request (its own context) builds a new RedisCache, a new RedisCacheClient and a new connection pool:
each request that touched the cache opened a TCP connection to Redis and sent CLIENT SETINFO first.
Profiling GET standings under load put a third of the server's CPU there. Sharing the client keeps
the pooled connections (redis-py's pool is thread-safe and resets itself in a forked child).
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


class RedisCacheClient(DjangoRedisCacheClient):
    """Django also builds a new redis.Redis, with its table of response callbacks, for every cache
    call: half the CPU of a cache.get (147 -> 78 µs on this machine; py-spy showed it in the results
    PUT). One per connection pool instead: redis.Redis is thread-safe (each command takes a pooled
    connection)."""

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        clients = self.__dict__.setdefault("_redis_clients", {})
        client = clients.get(index)
        if client is None:
            client = clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
