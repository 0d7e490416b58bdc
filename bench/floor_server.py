"""The floor: a bare `websockets` broadcast server doing Arena's job with nothing else.

One Redis subscription per process; every published frame is sent as-is to every
connected socket with websockets.broadcast; a new socket gets the latest frame first
(its "snapshot"). No auth, no database, no channel layer: what Python itself costs.
"""

import argparse
import asyncio

import redis.asyncio as aioredis
from websockets.asyncio.server import broadcast, serve


async def main(port: int, redis_url: str, channel: str) -> None:
    clients = set()
    latest = ['{"type": "snapshot", "seq": 0, "data": {}}']

    async def handler(websocket):
        clients.add(websocket)
        try:
            await websocket.send(latest[0])
            await websocket.wait_closed()
        finally:
            clients.discard(websocket)

    async with serve(handler, "127.0.0.1", port, ping_interval=None, compression=None, max_queue=None, backlog=1024):
        pubsub = aioredis.Redis.from_url(redis_url).pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel)
        async for message in pubsub.listen():
            frame = message["data"].decode()
            latest[0] = frame
            broadcast(clients, frame)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--channel", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.redis, args.channel))
