"""The benchmark's pure pieces: statistics, CPU and memory accounting, parsers (bench itself is not a test)."""

import json

import pytest

from bench.common import CpuWindow, cpu_seconds, percentile, ratio, rss_kib
from bench.profile import top
from bench.rest import parse_wrk
from bench.spectators import Stats, merge


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100, shuffled order must not matter
    assert percentile(reversed(values), 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([7.5], 99) == 7.5
    assert percentile([3, 1, 2], 0) == 1
    assert percentile([], 50) is None


def test_ratio_needs_a_baseline():
    assert ratio(30, 10) == 3
    assert ratio(None, 10) is None
    assert ratio(30, 0) is None
    assert ratio(30, None) is None


def _fake_proc(tmp_path, pid: int, *, threads: dict[int, int] | None, utime: int, stime: int, rss: int):
    root = tmp_path / "proc"
    process = root / str(pid)
    (process / "task").mkdir(parents=True)
    for tid, ns in (threads or {}).items():
        (process / "task" / str(tid)).mkdir()
        (process / "task" / str(tid) / "schedstat").write_text(f"{ns} 12345 67\n")
    # comm may contain spaces and parentheses: fields are counted after the last ")"
    fields = ["S", "1", "1", "1", "0", "-1", "4194304", "10", "0", "0", "0", str(utime), str(stime), "0", "0"]
    (process / "stat").write_text(f"{pid} (daphne (x) y) " + " ".join(fields) + "\n")
    (process / "status").write_text(f"Name:\tdaphne\nVmPeak:\t  999 kB\nVmRSS:\t  {rss} kB\nThreads:\t2\n")
    return root


def test_cpu_seconds_counts_the_whole_process_in_clock_ticks(tmp_path):
    """The process's utime + stime, which keep the CPU of threads that have exited (Django runs each
    ASGI request in a thread that ends with it); the live threads' schedstat would miss it."""
    import os

    proc = _fake_proc(tmp_path, 41, threads={41: 1_500_000_000}, utime=250, stime=50, rss=100)
    assert cpu_seconds(41, proc) == pytest.approx(300 / os.sysconf("SC_CLK_TCK"))


def test_rss_is_read_in_kib(tmp_path):
    assert rss_kib(41, _fake_proc(tmp_path, 41, threads={41: 1}, utime=0, stime=0, rss=51_200)) == 51_200


def test_cpu_window_charges_only_what_was_spent_inside_it():
    spent = {1: 10.0, 2: 4.0}
    window = CpuWindow([1, 2], reader=lambda pid: spent[pid]).start()
    spent[1] += 0.3
    spent[2] += 0.1
    window.stop()
    assert window.cpu == pytest.approx(0.4)
    assert window.per(2000) == pytest.approx(0.0002)  # 200 µs per message
    assert window.per(0) is None


def _frame(seq: int, ts: str = "2026-11-29T21:00:00+00:00") -> str:
    return json.dumps({"seq": seq, "type": "standings.updated", "topic": "tournament.1", "ts": ts, "data": {}})


def test_spectator_stats_count_holes_repeats_and_latency():
    stats = Stats()
    stats.last[0] = 10  # the snapshot's seq
    for seq in (11, 12, 14, 14, 13):
        stats.received(0, _frame(seq))
    assert stats.messages == 5
    assert stats.holes == 1  # 12 → 14
    assert stats.repeats == 2  # 14 again, then 13 after 14
    assert stats.last[0] == 14
    assert dict(stats.seen) == {11: 1, 12: 1, 13: 1, 14: 2}
    assert all(latency > 0 for latency in stats.latency_s)  # received after the stamped time


def test_spectator_summaries_merge():
    a, b = Stats(), Stats()
    a.last[0] = b.last[0] = b.last[1] = 0
    a.received(0, _frame(1))
    b.received(0, _frame(1))
    b.received(1, _frame(1))
    b.failures["HTTP 403"] += 2
    merged = merge([a.summary(), b.summary()])
    assert merged["seen"][1] == 3
    assert merged["messages"] == 3
    assert merged["open"] == 3
    assert merged["failures"]["HTTP 403"] == 2
    assert len(merged["latency_s"]) == 3


WRK = """Running 6s test @ http://127.0.0.1:18700/api/health
  2 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    58.10ms   20.01ms 464.50ms   90.00%
  Latency Distribution
     50%   58.10ms
     75%   60.00ms
     90%   70.00ms
     99%    1.20s
  1680 requests in 6.01s, 400.00KB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    279.50
"""


def test_wrk_output_is_parsed():
    parsed = parse_wrk(WRK)
    assert parsed == {"requests": 1680, "errors": 7, "p50_ms": pytest.approx(58.1), "p99_ms": pytest.approx(1200)}


def test_profile_top_counts_own_and_inclusive_samples():
    collapsed = "\n".join(
        [
            "process 1:daphne;main (daphne:8);run (daphne/server.py:155);receive (channels_redis/core.py:370) 6",
            "main (daphne:8);run (daphne/server.py:155);send (/x/site-packages/autobahn/websocket/protocol.py:1) 3",
            "main (daphne:8);run (daphne/server.py:155) 1",
            "garbage line",
        ]
    )
    profile = top(collapsed)
    assert profile["samples"] == 10
    assert profile["own"][0] == ("receive (channels_redis/core.py)", 0.6)
    assert ("send (autobahn/websocket/protocol.py)", 0.3) in profile["own"]
    assert dict(profile["total"])["run (daphne/server.py)"] == 1.0


def test_swarm_gives_up_at_its_deadline_on_a_server_that_never_answers():
    """A server that holds every handshake must not hold the harness: sockets not started or
    not connected by the deadline are counted as failures and the swarm still reports."""
    import socket

    from bench.spectators import Swarm

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts TCP connections, never answers the WebSocket handshake
    url = f"ws://127.0.0.1:{listener.getsockname()[1]}/"
    try:
        swarm = Swarm([url], 5, rate=1000, processes=1, open_timeout=30, inflight=2, deadline=1)
        connected = swarm.connected()
        summary = swarm.close()
    finally:
        listener.close()
    assert connected["connected"] == 0
    assert connected["failures"] == {"not started within 1 s": 3, "not connected within 1 s": 2}
    assert summary["open"] == 0


def test_position_messages_are_not_deliveries_nor_latency_samples():
    stats = Stats()
    stats.last[0] = 5
    rest = '"topic": "tournament.1", "epoch": "e", "seq": 6, "ts": "2026-11-29T23:00:00+00:00", "data": {}}'
    event, position = '{"type": "standings.updated", ' + rest, '{"type": "position", ' + rest
    stats.received(0, event)
    stats.received(0, position)
    summary = stats.summary()
    assert summary["seen"] == {6: 1}
    assert (summary["messages"], summary["positions"], summary["repeats"]) == (1, 1, 0)
    assert len(summary["latency_s"]) == 1
