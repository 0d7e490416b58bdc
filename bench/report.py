"""bench/RESULTS.md from one run's figures: the targets of issue 11, then a table per scenario."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench.common import ROOT, ratio

ARENA = ("daphne", "uvicorn")


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip()


def git_state() -> tuple[str, str, bool]:
    """(short commit, branch, whether tracked files differ from it)."""
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return _git("rev-parse", "--short", "HEAD"), _git("rev-parse", "--abbrev-ref", "HEAD"), dirty


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return (
        f"{model}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def f(value, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{unit}"


def x(value) -> str:
    return "—" if value is None else f"{value:.1f}×"


def ok(condition) -> str:
    return "—" if condition is None else ("met" if condition else "**not met**")


def row(table: list[str], *cells) -> None:
    table.append("| " + " | ".join(str(c) for c in cells) + " |")


def fan(results: dict, kind: str, spectators: int, processes: int) -> dict | None:
    """That fan-out row; one run across a Redis restart only if there is no other."""
    rows = [
        r for r in results["fanout"] if (r["server"], r["spectators"], r["processes"]) == (kind, spectators, processes)
    ]
    return min(rows, key=lambda r: bool(r.get("disturbed")), default=None)


def main_row(results: dict, kind: str) -> dict | None:
    """The one-process fan-out row the targets are judged on: 1,000 spectators, else the largest run."""
    rows = [r for r in results["fanout"] if r["server"] == kind and r["processes"] == 1]
    return fan(results, kind, 1000, 1) or max(rows, key=lambda r: r["spectators"], default=None)


def complete(r: dict) -> bool:
    return r["delivered"] == r["expected"] and r["connected"] == r["spectators"]


def headline(results: dict) -> list[str]:
    t = ["| figure | target | server | measured | |", "|---|---|---|---|---|"]
    servers = [k for k in ARENA if any(r["server"] == k for r in results["fanout"] + results["rest"])]
    for kind in servers:
        one = main_row(results, kind)
        base = fan(results, "floor", one["spectators"], 1) if one else None
        if one and base:
            times = ratio(one["cpu_us_per_msg"], base["cpu_us_per_msg"])
            row(
                t,
                f"CPU per delivered message, {one['spectators']:,} spectators, 1 process",
                "≤ 4× the floor",
                kind,
                f"{f(one['cpu_us_per_msg'])} µs vs floor {f(base['cpu_us_per_msg'])} µs: {x(times)}",
                ok(times is not None and times <= 4),
            )
        if one:
            row(
                t,
                f"{one['spectators']:,} spectators × {one['rate']:g} updates/s, 1 process: commit → receipt p99",
                "< 200 ms",
                kind,
                f"p50 {f(one['p50_ms'])} ms, p99 {f(one['p99_ms'])} ms",
                ok(one["p99_ms"] is not None and one["p99_ms"] < 200),
            )
        big = fan(results, kind, 5000, 2)
        if big:
            row(
                t,
                "5,000 spectators on 2 processes, 1 update/s",
                "p99 < 1 s, every seq delivered",
                kind,
                f"p99 {f(big['p99_ms'])} ms; {big['delivered']:,}/{big['expected']:,} delivered, "
                f"{big['connected']:,} connected",
                ok(big["p99_ms"] is not None and big["p99_ms"] < 1000 and complete(big)),
            )
        storm = next((r for r in results["storm"] if r["server"] == kind), None)
        if storm:
            row(
                t,
                f"{storm['spectators']:,} spectators connecting at {storm['rate']:g}/s to 1 process",
                "0 refused, connect → snapshot p99 < 1 s",
                kind,
                f"{storm['refused']} refused, p99 {f(storm['p99_ms'])} ms",
                ok(storm["refused"] == 0 and storm["p99_ms"] is not None and storm["p99_ms"] < 1000),
            )
        rest = {r["endpoint"]: r for r in results["rest"] if r["server"] == kind}
        if "standings" in rest and "health" in rest:
            share = ratio(rest["standings"]["rps"], rest["health"]["rps"])
            row(
                t,
                "GET standings throughput vs /api/health",
                "≥ 70 %",
                kind,
                f"{f(rest['standings']['rps'])} vs {f(rest['health']['rps'])} req/s: {f(share and share * 100)} %",
                ok(share is not None and share >= 0.7),
            )
        if one and one["kib_per_conn"] is not None:
            floor_kib = base["kib_per_conn"] if base else None
            row(
                t,
                "memory per idle connection",
                "≤ 25 KiB",
                kind,
                f"{f(one['kib_per_conn'], 1)} KiB (floor {f(floor_kib, 1)} KiB)",
                ok(one["kib_per_conn"] <= 25),
            )
        if one and "standings" in rest and one["cpu_us_per_msg"]:
            poll_ms = rest["standings"]["cpu_ms_per_request"]
            times = ratio(poll_ms * 1000, one["cpu_us_per_msg"]) if poll_ms else None
            row(
                t,
                "push vs polling, CPU per spectator-update",
                "push ≥ 10× cheaper",
                kind,
                f"{f(one['cpu_us_per_msg'])} µs vs {f(poll_ms, 2)} ms: {x(times)}",
                ok(times is not None and times >= 10),
            )
    puts = results["put"]
    if puts:
        worst = max(puts, key=lambda p: p["cpu_ms"])
        grows = max(p["statements"] for p in puts) != min(p["statements"] for p in puts)
        met = worst["cpu_ms"] <= 15 and worst["statements"] <= 25 and not grows
        row(
            t,
            "one results PUT, 16-team battle royale, 64 players",
            "≤ 15 ms CPU, ≤ 25 statements, same at 10 and 1,000 earlier matches",
            "in-process",
            "; ".join(
                f"{p['earlier']:,} earlier, standings {p.get('standings', 'coalesced')}: {f(p['cpu_ms'])} ms, "
                f"{f(p['statements'])} statements, {f(p['events'])} events"
                for p in puts
            ),
            ok(met),
        )
    return t


def fanout_table(results: dict) -> list[str]:
    t = [
        "| server | spectators | processes | updates/s | connected | delivered / expected | CPU µs per message "
        "| × floor | p50 ms | p99 ms | max ms | server CPU % | idle CPU % | KiB per idle connection | command |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["fanout"]:
        base = fan(results, "floor", r["spectators"], r["processes"])
        times = ratio(r["cpu_us_per_msg"], base["cpu_us_per_msg"]) if base and r["server"] != "floor" else None
        problems = [f"{n} {why}" for why, n in {**r["connect_failures"], **r["dropped"]}.items()]
        problems += [f"{r[k]} {k}" for k in ("holes", "repeats") if r[k]]
        delivered = f"{r['delivered']:,} / {r['expected']:,}" + (f" ({', '.join(problems)})" if problems else "")
        row(
            t,
            r["server"],
            f"{r['spectators']:,}",
            r["processes"],
            f"{r['rate']:g}",
            f"{r['connected']:,}",
            delivered,
            f(r["cpu_us_per_msg"], 1),
            x(times),
            f(r["p50_ms"]),
            f(r["p99_ms"]),
            f(r["max_ms"]),
            f(r["cpu_pct"]),
            f(r["idle_cpu_pct"], 1),
            f(r["kib_per_conn"], 1),
            f"`{r['command']}`" + (f" ({r['note']})" if r.get("note") else ""),
        )
    return t


def storm_table(results: dict) -> list[str]:
    t = [
        "| server | spectators | connects/s | connected | refused (why) | p50 ms | p99 ms | max ms "
        "| server CPU ms per attempt | command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["storm"]:
        why = ", ".join(f"{n} {reason}" for reason, n in r["failures"].items())
        row(
            t,
            r["server"],
            f"{r['spectators']:,}",
            f"{r['rate']:g}",
            f"{r['connected']:,}",
            f"{r['refused']}" + (f" ({why})" if why else ""),
            f(r["p50_ms"]),
            f(r["p99_ms"]),
            f(r["max_ms"]),
            f(r.get("cpu_ms_per_attempt"), 2),
            f"`{r['command']}`" + (f" ({r['note']})" if r.get("note") else ""),
        )
    return t


def rest_table(results: dict) -> list[str]:
    t = [
        "| server | endpoint | req/s | % of /api/health | CPU ms per request | p50 ms | p99 ms | errors | load "
        "| command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["rest"]:
        health = next((h for h in results["rest"] if h["server"] == r["server"] and h["endpoint"] == "health"), None)
        share = ratio(r["rps"], health["rps"]) if health else None
        row(
            t,
            r["server"],
            f"{r['endpoint']} `{r['path']}`",
            f(r["rps"]),
            f(share and share * 100),
            f(r["cpu_ms_per_request"], 2),
            f(r["p50_ms"], 1),
            f(r["p99_ms"], 1),
            r["errors"],
            f"`{r['load']}`",
            f"`{r['command']}`",
        )
    return t


def put_table(results: dict) -> list[str]:
    t = [
        "| earlier matches | standings message | teams | rostered players | CPU ms (median of 9) | CPU ms (min) "
        "| SQL statements | events published | command |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["put"]:
        row(
            t,
            f"{r['earlier']:,}",
            r.get("standings", "coalesced"),
            r["teams"],
            r["players"],
            f(r["cpu_ms"], 1),
            f(r["cpu_ms_min"], 1),
            f(r["statements"]),
            f(r["events"]),
            f"`{r['command']}`",
        )
    return t


def poll_table(results: dict) -> list[str]:
    t = [
        "| server | push: CPU µs per delivered message (one process, 1,000 spectators if run) "
        "| polling: CPU ms per GET standings "
        "| push is |",
        "|---|---|---|---|",
    ]
    for kind in ARENA:
        one = main_row(results, kind)
        poll = next((r for r in results["rest"] if r["server"] == kind and r["endpoint"] == "standings"), None)
        if one and poll and one["cpu_us_per_msg"] and poll["cpu_ms_per_request"]:
            times = poll["cpu_ms_per_request"] * 1000 / one["cpu_us_per_msg"]
            row(t, kind, f(one["cpu_us_per_msg"], 1), f(poll["cpu_ms_per_request"], 2), f"{times:.0f}× cheaper")
    return t


def profile_section(results: dict) -> list[str]:
    profile = results.get("profile")
    if not profile:
        return ["Not recorded in this run (quick mode, or py-spy not installed: `.venv/bin/pip install py-spy`)."]
    r = profile["row"]
    lines = [
        f"py-spy (100 Hz, idle samples left out) on daphne while {r['spectators']:,} spectators received "
        f"{r['rate']:g} updates/s for {r['duration']:g} s: {profile['samples']:,} samples. "
        f"Command: `{r['command']}` with `py-spy record --pid <daphne> --rate 100 --format raw --nonblocking`. "
        "Sampling slows the server, so this run's figures are not in the tables above.",
        "",
    ]
    return lines + top_table(profile, "below the event loop")


def top_table(profile: dict, below: str) -> list[str]:
    """Own-time and inclusive top functions side by side; frames on (nearly) every sample are left out."""
    lines = [
        f"| own time (innermost frame) | share | | on the stack (inclusive, {below}) | share |",
        "|---|---|---|---|---|",
    ]
    inclusive = [(name, share) for name, share in profile["total"] if share < 0.9][:15]
    owned = profile["own"][:15]
    for i in range(max(len(owned), len(inclusive))):
        own = owned[i] if i < len(owned) else ("", None)
        total = inclusive[i] if i < len(inclusive) else ("", None)
        row(
            lines,
            f"`{own[0]}`" if own[0] else "",
            f(own[1] and own[1] * 100, 1, " %"),
            "",
            f"`{total[0]}`" if total[0] else "",
            f(total[1] and total[1] * 100, 1, " %"),
        )
    return lines


def put_profile_section(results: dict) -> list[str]:
    profile = results.get("put_profile")
    if not profile:
        return ["Not recorded in this run (quick mode, or py-spy not installed)."]
    return [
        f"py-spy (200 Hz) on `bench.put_cost` posting {profile['puts']} isolated results (each builds and sends "
        f"its standings message in the request): {profile['samples']:,} samples whose stack holds the request "
        f"(the setup is left out). Command: `{profile['command']}`.",
        "",
        *top_table(profile, "below the request"),
    ]


def render(results: dict) -> str:
    commit, branch, dirty = results.get("git") or git_state()
    dirty = " (with uncommitted changes)" if dirty else ""
    label = results.get("label") or os.environ.get("BENCH_LABEL", "")
    mode = "quick (`BENCH_QUICK=1`: a smoke check, not figures to quote)" if results["quick"] else "full"
    when = datetime.fromtimestamp(results["started"], UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Arena benchmark results",
        "",
        "Written by `make bench` (`bench/run.py`); rerun it rather than editing this file.",
        "",
        *([f"**{label}**", ""] if label else []),
        f"- Date: {when}; commit `{commit}` on branch `{branch}`{dirty}",
        f"- Mode: {mode}; the run took {results['seconds']:.0f} s",
        f"- Machine: {_machine()}; load average {', '.join(f'{v:.1f}' for v in results['load_before'])} before, "
        f"{', '.join(f'{v:.1f}' for v in results['load_after'])} after (the machine is shared: compare figures "
        "with the baseline of the same run, not across runs)",
        f"- Servers: daphne {_version('daphne')} (`-v 0`: no access log); uvicorn {_version('uvicorn')} "
        "(`--ws websockets-sansio`, as `make run`; no "
        f"permessage-deflate, no access log); the floor: websockets {_version('websockets')}; channels "
        f"{_version('channels')}, channels-redis {_version('channels-redis')}, Django {_version('django')}",
        "- Services: PostgreSQL (`BENCH_DATABASE_URL`, recreated and migrated by the run) and Redis "
        "(`BENCH_REDIS_URL`, flushed by the run); servers run with the app's own settings plus "
        "`DJANGO_DEBUG=0`, `LOG_LEVEL=WARNING`",
        "",
        "## Issue 11's targets",
        "",
        *headline(results),
        "",
        "## Fan-out and commit → receipt latency",
        "",
        "The live tournament (16 teams) has N spectators on `/ws/tournaments/{id}/`, spread round-robin over "
        "P server processes, from separate client processes. A driver process calls "
        "`realtime.publish.publish` (what a results PUT calls after commit; it stamps `ts`) with the "
        "standings at the given rate; the floor (`bench/floor_server.py`, bare `websockets`, one Redis "
        "subscription per process) gets the same frame with the same `ts`. CPU is the server processes' "
        "(utime + stime of `/proc/<pid>/stat`, every thread including exited ones) from the first update "
        "until every socket has the "
        "last one, ÷ messages delivered; latency is receipt time − `ts`. Memory is the server's RSS with "
        "every spectator connected and idle minus its RSS before, ÷ spectators (one-process runs).",
        "",
        *fanout_table(results),
        "",
        "## Connect storm",
        "",
        "Spectators open sockets at a fixed rate to one server process; connect → snapshot is from opening "
        "the TCP connection to receiving the first frame (the floor's first frame is its latest message).",
        "",
        *storm_table(results),
        "",
        "## Results PUT cost",
        "",
        "`bench/put_cost.py`: one tournament, topped up to that many completed matches before each row; "
        "each PUT posts a new match's 16 results through Django's test client in-process (on_commit work runs "
        "inside the request, as under a server; Celery tasks are queued, not run). Events are those "
        "numbered in Redis by the request. Results posted back to back share their standings message: the "
        "first of each 1 s window builds and sends it in its request, later ones queue one trailing task "
        '("coalesced": the median PUT of a burst). An isolated result always builds and sends it itself '
        '("built in the request", `--isolated`). The players\' notifications and career stats are one '
        "after-commit task either way.",
        "",
        *put_table(results),
        "",
        "### Where an isolated results PUT's CPU goes",
        "",
        *put_profile_section(results),
        "",
        "## REST throughput",
        "",
        "One server process, run with `DATABASE_CONN_MAX_AGE=0` (with the default 60 every ASGI request "
        "thread keeps a PostgreSQL connection of its own, and 20 concurrent requests took all 100 of the "
        "shared server's; `BENCH_REST_CONN_MAX_AGE` overrides); `wrk` (apt) from another process, "
        "20 connections, after a 1 s warm-up. Each endpoint is loaded in 3 slices interleaved with the "
        "others' (health, standings, list, health, ...), so the shared machine's changing load weighs on "
        "all of them alike; throughput and CPU are the slices' totals, latencies their median.",
        "",
        *rest_table(results),
        "",
        "## Polling vs push",
        "",
        *poll_table(results),
        "",
        "## Profile",
        "",
        *profile_section(results),
        "",
    ]
    if results["failures"]:
        out += ["## Failed in this run", ""]
        out += [f"- {r['section']}: {r['what']}: `{r['error']}`" for r in results["failures"]]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    import json
    import sys

    from bench.common import LOG_DIR

    # Re-render from a run's raw figures: python -m bench.report [results.json]
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else LOG_DIR / "results.json"
    Path(__file__).with_name("RESULTS.md").write_text(render(json.loads(source.read_text())))
