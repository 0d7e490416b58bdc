"""Presence: how many sockets follow a topic, across processes, without listing them.

At each position tick (realtime/publish/hub.py) a process records its own count per topic under
its id, with an expiry, and reads the sum: a process that dies stops counting once its entries
expire. The same script reads each topic's position (epoch, seq), starting a new epoch like the
buffer does when Redis lost it.
"""

from django.conf import settings

from realtime.publish.buffer import _base, _keys, new_epoch

# Topics anyone may watch: their snapshots and position messages carry the spectator count.
PUBLIC_PREFIXES = ("tournament.", "match.")

# Per topic: its position and this process's share of presence; returns (epoch, seq, total)
# per topic. A process's count expires unless refreshed, so a dead process stops counting.
_TICK = """
local out = {}
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local ttl = tonumber(ARGV[2])
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
for i = 1, #KEYS / 3 do
  local key, buffer, presence = KEYS[i * 3 - 2], KEYS[i * 3 - 1], KEYS[i * 3]
  local meta = redis.call('HMGET', key, 'epoch', 'seq', 'run')
  local epoch, seq = meta[1], tonumber(meta[2])
  if not (epoch and meta[3] == run) then
    epoch, seq = ARGV[3], tonumber(ARGV[4])
    redis.call('DEL', buffer)
    redis.call('HSET', key, 'epoch', epoch, 'seq', seq, 'run', run)
  end
  redis.call('HSET', presence, ARGV[1], ARGV[4 + i] .. ':' .. (now + ttl))
  redis.call('PEXPIRE', presence, ttl)
  local total = 0
  local entries = redis.call('HGETALL', presence)
  for j = 1, #entries, 2 do
    local count, expires = string.match(entries[j + 1], '(%d+):(%d+)')
    if tonumber(expires) < now then redis.call('HDEL', presence, entries[j]) else total = total + tonumber(count) end
  end
  out[i] = {epoch, seq, total}
end
return out
"""


def is_public(topic: str) -> bool:
    return topic.startswith(PUBLIC_PREFIXES)


def presence_key(topic: str) -> str:
    return f"arena:rt:presence:{topic}"


async def positions_and_presence(
    client, process: str, topics: list[str], counts: list[int]
) -> list[tuple[str, int, int]]:
    """Record this process's `counts` of local sockets per topic; returns (epoch, seq, total
    sockets across processes) per topic. An entry lives three position intervals."""
    keys = []
    for topic in topics:
        keys += [*_keys(topic), presence_key(topic)]
    ttl = int(settings.REALTIME_POSITION_SECONDS * 3000)
    rows = await client.eval(_TICK, len(keys), *keys, process, ttl, new_epoch(), _base(), *[str(c) for c in counts])
    return [(epoch.decode(), int(seq), int(total)) for epoch, seq, total in rows]
