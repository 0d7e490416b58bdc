"""Spectators: thousands of WebSocket clients spread over a few client processes.

Each process opens its share of sockets at its share of the connect rate, records
connect→snapshot times and why a connect failed, then for every event the receipt
latency from the `ts` the server stamped after commit and its `seq` (holes, repeats).
The parent drives the processes over pipes: connected → drain(last seq) → close.
"""

import asyncio
import multiprocessing
import re
import time
from collections import Counter
from datetime import datetime

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.common import ORIGIN, raise_fd_limit

SEQ = re.compile(r'"seq":\s*(\d+)')
POSITION = '{"type": "position"'
TS = re.compile(r'"ts":\s*"([^"]+)"')


class Stats:
    def __init__(self) -> None:
        self.connect_s: list[float] = []
        self.failures: Counter = Counter()
        self.latency_s: list[float] = []
        self.seen: Counter = Counter()  # seq → sockets that received it
        self.holes = 0  # a seq arrived after a gap
        self.repeats = 0  # a seq arrived again or out of order
        self.dropped: Counter = Counter()  # closed by the server after the snapshot
        self.messages = 0
        self.bytes = 0
        self.last: dict[int, int] = {}  # socket number → last seq
        self.positions = 0
        self._ts: dict[str, float] = {}

    def timestamp(self, text: str) -> float:
        if text not in self._ts:
            self._ts[text] = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        return self._ts[text]

    def received(self, number: int, message: str) -> None:
        if message.startswith(POSITION):
            # A periodic position message repeats the current seq (realtime/hub.py): not a delivery,
            # and its `ts` is when it was sent, not a commit, so it must not count toward latency.
            self.positions += 1
            return
        now = time.time()
        seq = int(SEQ.search(message)[1])
        stamp = TS.search(message)
        self.messages += 1
        self.bytes += len(message)
        self.seen[seq] += 1
        if stamp:
            self.latency_s.append(now - self.timestamp(stamp[1]))
        last = self.last[number]
        if seq <= last:
            self.repeats += 1
        elif seq > last + 1:
            self.holes += 1
        self.last[number] = max(last, seq)

    def summary(self) -> dict:
        return {
            "connect_s": self.connect_s,
            "failures": dict(self.failures),
            "latency_s": self.latency_s,
            "seen": dict(self.seen),
            "holes": self.holes,
            "repeats": self.repeats,
            "dropped": dict(self.dropped),
            "messages": self.messages,
            "positions": self.positions,
            "bytes": self.bytes,
            "open": len(self.last),
        }


async def _spectator(number: int, url: str, stats: Stats, ready: asyncio.Future, open_timeout: float) -> None:
    start = time.monotonic()
    try:
        async with connect(
            url, origin=ORIGIN, open_timeout=open_timeout, ping_interval=None, compression=None,
            max_size=None, max_queue=None, close_timeout=1,
        ) as ws:  # fmt: skip
            snapshot = await asyncio.wait_for(ws.recv(), open_timeout)
            stats.connect_s.append(time.monotonic() - start)
            found = SEQ.search(snapshot)
            stats.last[number] = int(found[1]) if found else 0
            ready.set_result(True)
            async for message in ws:
                stats.received(number, message)
    except InvalidStatus as error:
        stats.failures[f"HTTP {error.response.status_code}"] += 1
    except ConnectionClosed as error:
        code = error.rcvd.code if error.rcvd else "no close frame"
        if ready.done():
            stats.dropped[f"closed {code}"] += 1
        else:
            stats.failures[f"closed {code} before snapshot"] += 1
    except TimeoutError:
        stats.failures["timeout"] += 1
    except Exception as error:  # OSError, InvalidMessage, InvalidHandshake: each counted by kind
        key = type(error).__name__
        (stats.dropped if ready.done() else stats.failures)[key] += 1
    finally:
        stats.last.pop(number, None)  # no longer open: drain stops waiting for it
        if not ready.done():
            ready.set_result(False)


async def _swarm(pipe, urls: list[str], count: int, rate: float, offset: int, options: dict) -> None:
    """options: open_timeout (s, per socket), inflight (handshakes at once, 0 = no limit),
    deadline (s to connect everyone; sockets still connecting then are given up)."""
    loop = asyncio.get_running_loop()
    stats = Stats()
    gate = asyncio.Semaphore(options["inflight"] or count)
    readies, tasks = [], []
    start = time.monotonic()
    end = start + options["deadline"]
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        try:  # a slow server holds the gate: stop opening sockets at the deadline
            await asyncio.wait_for(gate.acquire(), max(0.0, end - time.monotonic()))
        except TimeoutError:
            stats.failures[f"not started within {options['deadline']:g} s"] += count - i
            break
        ready = loop.create_future()
        ready.add_done_callback(lambda _: gate.release())
        readies.append(ready)
        url = urls[(offset + i) % len(urls)]
        tasks.append(asyncio.create_task(_spectator(i, url, stats, ready, options["open_timeout"])))
    if readies:
        await asyncio.wait(readies, timeout=max(0.0, end - time.monotonic()))
    late = [task for task, ready in zip(tasks, readies, strict=True) if not ready.done()]
    for task in late:
        task.cancel()
    if late:
        stats.failures[f"not connected within {options['deadline']:g} s"] += len(late)
    pipe.send({"connected": len(stats.last), "failures": dict(stats.failures)})
    while True:
        command, *args = await loop.run_in_executor(None, pipe.recv)
        if command == "drain":
            last_seq, timeout = args
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and any(seq < last_seq for seq in stats.last.values()):
                await asyncio.sleep(0.05)
            pipe.send("drained")
        elif command == "close":
            pipe.send(stats.summary())
            return


def _process(pipe, urls, count, rate, offset, options) -> None:
    raise_fd_limit()
    asyncio.run(_swarm(pipe, urls, count, rate, offset, options))


class Swarm:
    """`count` spectators connecting at `rate` per second in total, over `processes` processes,
    spread round-robin over `urls` (one per server process). `inflight` caps the handshakes
    in progress per process (0: none), so a slow server is connected to as fast as it can take;
    sockets not connected `deadline` seconds after the start are given up."""

    def __init__(
        self, urls: list[str], count: int, rate: float, processes: int, *,
        open_timeout: float = 30, inflight: int = 0, deadline: float = 120,
    ):  # fmt: skip
        options = {"open_timeout": open_timeout, "inflight": inflight, "deadline": deadline}
        self.deadline = deadline
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        processes = max(1, min(processes, count))
        for n in range(processes):
            share = count // processes + (n < count % processes)
            parent, child = context.Pipe()
            process = context.Process(
                target=_process, args=(child, urls, share, rate / processes, n, options), daemon=True
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def _gather(self, timeout: float) -> list:
        deadline = time.monotonic() + timeout
        replies = []
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError("a spectator process did not answer")
            replies.append(pipe.recv())
        return replies

    def connected(self) -> dict:
        replies = self._gather(self.deadline + 30)
        failures: Counter = Counter()
        for reply in replies:
            failures.update(reply["failures"])
        return {"connected": sum(r["connected"] for r in replies), "failures": dict(failures)}

    def drain(self, last_seq: int, timeout: float) -> None:
        """Return once every open socket has received `last_seq`, or after `timeout`."""
        for pipe in self.pipes:
            pipe.send(("drain", last_seq, timeout))
        self._gather(timeout + 10)

    def close(self) -> dict:
        for pipe in self.pipes:
            pipe.send(("close",))
        merged = merge(self._gather(60))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        return merged


def merge(summaries: list[dict]) -> dict:
    total: dict = {"connect_s": [], "latency_s": [], "failures": Counter(), "dropped": Counter(), "seen": Counter()}
    for summary in summaries:
        total["connect_s"] += summary["connect_s"]
        total["latency_s"] += summary["latency_s"]
        for key in ("failures", "dropped", "seen"):
            total[key].update(summary[key])
        for key in ("holes", "repeats", "messages", "positions", "bytes", "open"):
            total[key] = total.get(key, 0) + summary[key]
    return total
