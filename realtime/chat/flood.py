"""Per-user flood control for chat: a token bucket shared by every connection of a user.

A user holds up to CAPACITY tokens and gets REFILL_PER_SECOND back each second (a burst
of 10, then 5 messages every 5 s). Every frame costs one token; a frame that finds the
bucket empty is refused and counts as a strike. STRIKES refusals within STRIKE_WINDOW
seconds of the first one mean the client ignores the refusals: the consumer closes it.

With Redis the whole step (refill, take, strike) is one Lua script, so every process sees
one bucket per user and concurrent frames cannot both spend the last token; the script
reads Redis' own clock, so processes with skewed clocks agree. Without Redis (embedded
mode, one process) the same step runs on a dict under a lock.
"""

import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings

from realtime.publish.aioredis import async_redis

CAPACITY = 10
REFILL_PER_SECOND = 1.0
STRIKES = 3
STRIKE_WINDOW = CAPACITY / REFILL_PER_SECOND
# Long enough that a key expiring is the same as a full bucket and no strikes.
STATE_SECONDS = math.ceil(CAPACITY / REFILL_PER_SECOND + STRIKE_WINDOW)


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: float
    strikes: int = 0
    struck_at: float = 0.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    strikes: int

    @property
    def close(self) -> bool:
        return not self.allowed and self.strikes >= STRIKES


def bucket_take(bucket: Bucket | None, now: float) -> tuple[Bucket, bool]:
    """One frame arrives at `now`: the new bucket, and whether the frame may pass.
    Pure, so the Lua script below can be checked against it."""
    if bucket is None:
        bucket = Bucket(tokens=CAPACITY, at=now)
    tokens = min(CAPACITY, bucket.tokens + max(0.0, now - bucket.at) * REFILL_PER_SECOND)
    if tokens >= 1:
        return Bucket(tokens - 1, now, bucket.strikes, bucket.struck_at), True
    strikes, struck_at = bucket.strikes, bucket.struck_at
    if strikes == 0 or now - struck_at > STRIKE_WINDOW:
        strikes, struck_at = 0, now
    return Bucket(tokens, now, strikes + 1, struck_at), False


_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'strikes', 'struck_at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
local strikes = tonumber(state[3]) or 0
local struck_at = tonumber(state[4]) or 0
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  if strikes == 0 or now - struck_at > window then
    strikes = 0
    struck_at = now
  end
  strikes = strikes + 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now),
  'strikes', strikes, 'struck_at', string.format('%.6f', struck_at))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {allowed, strikes}
"""


def _key(user_id: int) -> str:
    return f"arena:rt:flood:{user_id}"


class MemoryLimiter:
    PRUNE_ABOVE = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[int, Bucket] = {}

    async def take(self, user_id: int) -> Verdict:
        now = time.monotonic()
        with self._lock:
            if len(self._buckets) > self.PRUNE_ABOVE:
                # A bucket idle for STATE_SECONDS is full again: forgetting it changes nothing.
                self._buckets = {uid: b for uid, b in self._buckets.items() if now - b.at <= STATE_SECONDS}
            bucket, allowed = bucket_take(self._buckets.get(user_id), now)
            self._buckets[user_id] = bucket
            return Verdict(allowed, bucket.strikes)


class RedisLimiter:
    async def take(self, user_id: int) -> Verdict:
        allowed, strikes = await async_redis().register_script(_TAKE)(
            keys=[_key(user_id)], args=[CAPACITY, REFILL_PER_SECOND, STRIKE_WINDOW, STATE_SECONDS]
        )
        return Verdict(bool(allowed), int(strikes))


_limiter: MemoryLimiter | RedisLimiter | None = None


def get_limiter() -> MemoryLimiter | RedisLimiter:
    global _limiter
    if _limiter is None:
        _limiter = RedisLimiter() if settings.REDIS_URL else MemoryLimiter()
    return _limiter


async def flood_take(*, user_id: int) -> Verdict:
    """Spend one of the user's tokens: whether the frame may pass, and the strike count."""
    return await get_limiter().take(user_id)
