"""Per-topic positions (epoch, seq) and a short replay buffer.

A topic's stream is numbered within an *epoch*, a random id created with its counter.
When the counter is lost (Redis restarted empty, or restored from an older RDB snapshot
that would hand old numbers out again) a new epoch starts, so no (epoch, seq) pair is
ever given to two different events: clients resuming with an old epoch get a snapshot.
Redis cannot tell a restore from live data, so an epoch also records the Redis server's
run_id: any restart of the server starts new epochs (a spurious snapshot at worst).

With Redis, numbering, buffering and the pub/sub broadcast to every process's hub
(realtime/publish/hub.py) happen in one Lua script, so the buffer always holds every seq up to the
current one and processes receive events in seq order; without Redis (embedded mode) a
lock does the same in-process. Counters start at the current time in milliseconds, so
seqs also keep growing across epochs.
"""

import functools
import secrets
import threading
import time
from collections import deque

from django.conf import settings

from realtime.publish.aioredis import async_redis

KEEP_EVENTS = 500
KEEP_SECONDS = 600

# Shared prologue: this topic's (epoch, seq), starting a new epoch when the counter is
# missing or was written by another Redis server run. KEYS[1] position hash, KEYS[2] buffer.
_POSITION = """
local function position(key, buffer, fresh_epoch, base)
  local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
  local meta = redis.call('HMGET', key, 'epoch', 'seq', 'run')
  if meta[1] and meta[3] == run then
    return meta[1], tonumber(meta[2]), run
  end
  redis.call('DEL', buffer)
  redis.call('HSET', key, 'epoch', fresh_epoch, 'seq', base, 'run', run)
  return fresh_epoch, tonumber(base), run
end
"""
_APPEND = (
    _POSITION
    + """
local epoch, seq, run = position(KEYS[1], KEYS[2], ARGV[2], ARGV[3])
seq = seq + 1
redis.call('HSET', KEYS[1], 'seq', seq)
local text = '{"seq": ' .. seq .. ', "epoch": "' .. epoch .. '", ' .. string.sub(ARGV[1], 2)
redis.call('ZADD', KEYS[2], seq, text)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[5]))
redis.call('PUBLISH', KEYS[3], seq .. ' ' .. epoch .. ' ' .. text)
return {epoch, seq, text}
"""
)
# Current position and, when ARGV[3] is a seq, the buffered events after it.
_SINCE = (
    _POSITION
    + """
local epoch, seq = position(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
local events = {}
if ARGV[3] ~= '' then events = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[3], '+inf') end
return {epoch, seq, events}
"""
)


def _base() -> int:
    return int(time.time() * 1000)


def new_epoch() -> str:
    return secrets.token_hex(6)


def _keys(topic: str) -> tuple[str, str]:
    return f"arena:rt:pos:{topic}", f"arena:rt:buf:{topic}"


def channel(topic: str, url: str | None = None) -> str:
    """The Redis pub/sub channel every process's hub subscribes to for this topic. Pub/sub
    ignores database numbers: the channel names the database, so deployments sharing a Redis
    server on different databases never hear each other's events."""
    return f"{_channel_prefix(url or settings.REDIS_URL)}{topic}"


@functools.cache
def _channel_prefix(url: str) -> str:
    from redis.connection import parse_url

    return f"arena:rt:{parse_url(url).get('db', 0)}:pub:"


def channel_topic(name: str) -> str:
    return name.split(":pub:", 1)[1]


def parse_seq(text: str) -> int:
    """The seq of a buffered event text (they all start with `{"seq": N, `)."""
    return int(text[8 : text.index(",")])


class MemoryBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.epoch = new_epoch()  # this process's memory is the stream: one epoch per process
        self._seq: dict[str, int] = {}
        self._events: dict[str, deque[tuple[int, float, str]]] = {}

    def append(self, topic: str, body: str, deliver=None) -> tuple[str, int, str]:
        with self._lock:
            seq = self._seq.get(topic, _base()) + 1
            self._seq[topic] = seq
            text = f'{{"seq": {seq}, "epoch": "{self.epoch}", {body[1:]}'
            self._events.setdefault(topic, deque(maxlen=KEEP_EVENTS)).append((seq, time.monotonic(), text))
            if deliver is not None:  # under the lock: hubs receive events in seq order
                deliver(topic, self.epoch, seq, text)
            return self.epoch, seq, text

    def broadcast(self, topic: str, text: str, deliver) -> None:
        deliver(topic, self.epoch, 0, text)

    def _position(self, topic: str) -> tuple[str, int]:
        with self._lock:
            return self.epoch, self._seq.setdefault(topic, _base())

    async def position(self, topic: str) -> tuple[str, int]:
        return self._position(topic)

    async def positions(self, topics: list[str]) -> list[tuple[str, int]]:
        return [self._position(topic) for topic in topics]

    async def since(self, topic: str, seq: int | None) -> tuple[str, int, list[str]]:
        cutoff = time.monotonic() - KEEP_SECONDS
        with self._lock:
            current = self._seq.setdefault(topic, _base())
            if seq is None:
                return self.epoch, current, []
            events = [text for s, at, text in self._events.get(topic, ()) if s > seq and at >= cutoff]
            return self.epoch, current, events


class RedisBuffer:
    def __init__(self, url: str) -> None:
        import redis

        self._url = url
        self._sync = redis.Redis.from_url(url)
        self._append = self._sync.register_script(_APPEND)

    def append(self, topic: str, body: str, deliver=None) -> tuple[str, int, str]:
        keys = [*_keys(topic), channel(topic, self._url)]
        epoch, seq, text = self._append(keys=keys, args=[body, new_epoch(), _base(), KEEP_EVENTS, KEEP_SECONDS])
        return epoch.decode(), int(seq), text.decode()

    def broadcast(self, topic: str, text: str, deliver=None) -> None:
        """An unnumbered message to every hub (not buffered): access changes."""
        self._sync.publish(channel(topic, self._url), f"0 - {text}")

    async def position(self, topic: str) -> tuple[str, int]:
        epoch, seq, _ = await self.since(topic, None)
        return epoch, seq

    async def positions(self, topics: list[str]) -> list[tuple[str, int]]:
        client = async_redis()
        async with client.pipeline(transaction=False) as pipe:
            for topic in topics:
                pipe.eval(_SINCE, 2, *_keys(topic), new_epoch(), _base(), "")
            rows = await pipe.execute()
        return [(epoch.decode(), int(seq)) for epoch, seq, _ in rows]

    async def since(self, topic: str, seq: int | None) -> tuple[str, int, list[str]]:
        epoch, current, events = await async_redis().eval(
            _SINCE, 2, *_keys(topic), new_epoch(), _base(), "" if seq is None else str(seq)
        )
        return epoch.decode(), int(current), [text.decode() for text in events]


_buffer: MemoryBuffer | RedisBuffer | None = None


def get_buffer() -> MemoryBuffer | RedisBuffer:
    global _buffer
    if _buffer is None:
        _buffer = RedisBuffer(settings.REDIS_URL) if settings.REDIS_URL else MemoryBuffer()
    return _buffer
