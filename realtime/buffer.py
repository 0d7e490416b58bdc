"""Per-topic sequence numbers and a short replay buffer.

With Redis, numbering and buffering happen in one Lua script, so the buffer always holds
every seq up to the current one; with no Redis (embedded mode) a lock does the same
in-process. A topic's counter starts at the current time in milliseconds: if Redis
restarts and loses it, numbering resumes above every seq handed out before, so clients
see a gap (and resync) instead of numbers running backwards.
"""

import threading
import time
from collections import deque

from django.conf import settings

from realtime.aioredis import async_redis

KEEP_EVENTS = 500
KEEP_SECONDS = 600

_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[2]) end
local seq = redis.call('INCR', KEYS[1])
local text = '{"seq": ' .. seq .. ', ' .. string.sub(ARGV[1], 2)
redis.call('ZADD', KEYS[2], seq, text)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return {seq, text}
"""
_CURRENT = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return tonumber(redis.call('GET', KEYS[1]))
"""


def _base() -> int:
    return int(time.time() * 1000)


def _keys(topic: str) -> tuple[str, str]:
    return f"arena:rt:seq:{topic}", f"arena:rt:buf:{topic}"


def _with_seq(seq: int, body: str) -> str:
    return f'{{"seq": {seq}, {body[1:]}'


class MemoryBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}
        self._events: dict[str, deque[tuple[int, float, str]]] = {}

    def append(self, topic: str, body: str) -> tuple[int, str]:
        with self._lock:
            seq = self._seq.get(topic, _base()) + 1
            self._seq[topic] = seq
            text = _with_seq(seq, body)
            self._events.setdefault(topic, deque(maxlen=KEEP_EVENTS)).append((seq, time.monotonic(), text))
            return seq, text

    async def current(self, topic: str) -> int:
        with self._lock:
            return self._seq.setdefault(topic, _base())

    async def since(self, topic: str, seq: int) -> list[tuple[int, str]]:
        cutoff = time.monotonic() - KEEP_SECONDS
        with self._lock:
            return [(s, text) for s, at, text in self._events.get(topic, ()) if s > seq and at >= cutoff]


class RedisBuffer:
    def __init__(self, url: str) -> None:
        import redis

        self._sync = redis.Redis.from_url(url)
        self._append = self._sync.register_script(_APPEND)

    def append(self, topic: str, body: str) -> tuple[int, str]:
        seq, text = self._append(keys=list(_keys(topic)), args=[body, _base(), KEEP_EVENTS, KEEP_SECONDS])
        return int(seq), text.decode()

    async def current(self, topic: str) -> int:
        return int(await async_redis().eval(_CURRENT, 1, _keys(topic)[0], _base()))

    async def since(self, topic: str, seq: int) -> list[tuple[int, str]]:
        rows = await async_redis().zrangebyscore(_keys(topic)[1], f"({seq}", "+inf", withscores=True)
        return [(int(score), text.decode()) for text, score in rows]


_buffer: MemoryBuffer | RedisBuffer | None = None


def get_buffer() -> MemoryBuffer | RedisBuffer:
    global _buffer
    if _buffer is None:
        _buffer = RedisBuffer(settings.REDIS_URL) if settings.REDIS_URL else MemoryBuffer()
    return _buffer
