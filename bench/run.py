"""`make bench`: every scenario in one run, then bench/RESULTS.md rewritten.

BENCH_QUICK=1 runs a smaller set to check the harness works; the full run is the one to quote.
Most of a run's time is spectators connecting, which is as slow as the server's connect path:
on today's code and a loaded 2-core machine the full run took 19 min, the quick one 6–7.
Each scenario is also runnable alone: see the command beside every row of RESULTS.md.
A scenario that fails is reported as failed, not skipped.
"""

import json
import os
import time
import traceback
from pathlib import Path

from bench import fanout, report, rest, storm
from bench.common import LOG_DIR, PY, QUICK, ROOT, django_env, raise_fd_limit, run_json, uvicorn_available
from bench.prepare import prepare
from bench.profile import py_spy, recorder, top

FULL = {
    "fanout": [(200, 1, 2), (1000, 1, 2), (1000, 2, 2), (5000, 2, 1)],  # spectators, processes, updates/s
    "fanout_uvicorn": [(1000, 1, 2), (5000, 2, 1)],
    "duration": 12,
    "storm": (2000, 500),  # spectators, connects/s
    "rest_duration": 9,  # seconds per endpoint, in bench.rest.ROUNDS interleaved slices
    "earlier": [10, 1000],
    "profile": (1000, 2, 8),  # spectators, updates/s, seconds
}
QUICK_RUN = {
    "fanout": [(200, 1, 2)],
    "fanout_uvicorn": [(200, 1, 2)],
    "duration": 4,
    "storm": (300, 300),
    "storm_servers": ["floor", "daphne"],
    "rest_duration": 3,
    "rest_servers": ["daphne"],
    "earlier": [10, 50],
    "profile": None,
}


def attempt(results: dict, section: str, label: str, call):
    """Run one scenario; a failure becomes a row saying so, and the run goes on."""
    started = time.monotonic()
    try:
        value = call()
    except Exception as error:
        traceback.print_exc()
        results["failures"].append({"section": section, "what": label, "error": f"{type(error).__name__}: {error}"})
        return None
    print(f"[bench] {section}: {label} ({time.monotonic() - started:.0f} s)", flush=True)
    return value


PUT_PROFILE_PUTS = 150


def put_profile() -> dict:
    """py-spy on bench.put_cost posting isolated results: the top functions of the PUTs alone (samples
    whose stack holds the request; the setup before them is left out)."""
    import subprocess

    output = LOG_DIR / "py-spy-put.txt"
    output.unlink(missing_ok=True)
    args = [py_spy(), "record", "--rate", "200", "--format", "raw", "--output", str(output), "--",
            PY, "-m", "bench.put_cost", "--profile-puts", str(PUT_PROFILE_PUTS)]  # fmt: skip
    subprocess.run(args, cwd=ROOT, env=django_env(), capture_output=True, timeout=600, check=True)
    stacks = "\n".join(line for line in output.read_text().splitlines() if "post_match_results" in line)
    command = (f"py-spy record --rate 200 --format raw --output {output} -- "
               f".venv/bin/python -m bench.put_cost --profile-puts {PUT_PROFILE_PUTS}")  # fmt: skip
    # The request's own frames are on every sample: ask for more so 15 are left below them.
    return {"command": command, "puts": PUT_PROFILE_PUTS, **top(stacks, limit=60)}


def main() -> None:
    raise_fd_limit()
    config = QUICK_RUN if QUICK else FULL
    started = time.time()
    results: dict = {
        "quick": QUICK,
        "failures": [],
        "fanout": [],
        "storm": [],
        "rest": [],
        "put": [],
        "profile": None,
        "put_profile": None,
    }
    results["load_before"] = os.getloadavg()
    results["label"] = os.environ.get("BENCH_LABEL", "")
    results["git"] = report.git_state()
    ids = prepare(fresh=True)
    tournament = ids["live"]
    print(f"[bench] prepared (live tournament {tournament})", flush=True)

    counts = [arg for n in config["earlier"] for arg in ("--earlier", str(n))]
    for flags in ([], ["--isolated"]):
        rows = attempt(
            results, "put", f"{config['earlier']} earlier matches {' '.join(flags)}",
            lambda f=flags: run_json([PY, "-m", "bench.put_cost", *f, *counts], lines=len(config["earlier"])),
        )  # fmt: skip
        results["put"] += rows or []
    if config["profile"] and py_spy():
        results["put_profile"] = attempt(results, "put", "py-spy", put_profile)

    servers = ["floor", "daphne"] + (["uvicorn"] if uvicorn_available() else [])
    for kind in servers:
        runs = config["fanout_uvicorn"] if kind == "uvicorn" else config["fanout"]
        for spectators, processes, rate in runs:
            row = attempt(
                results, "fanout", f"{kind} {spectators}×{processes}p @{rate}/s",
                lambda k=kind, s=spectators, p=processes, r=rate: fanout.run(
                    k, s, p, r, config["duration"], tournament
                ),
            )  # fmt: skip
            if row:
                results["fanout"].append(row)

    spectators, rate = config["storm"]
    for kind in [k for k in servers if k in config.get("storm_servers", servers)]:
        row = attempt(results, "storm", kind, lambda k=kind: storm.run(k, spectators, rate, tournament))
        if row:
            results["storm"].append(row)

    for kind in [k for k in servers[1:] if k in config.get("rest_servers", servers)]:
        rows = attempt(results, "rest", kind, lambda k=kind: rest.run(k, config["rest_duration"], tournament))
        results["rest"] += rows or []

    if config["profile"] and py_spy():
        spectators, rate, seconds = config["profile"]
        output = LOG_DIR / "py-spy-fanout.txt"
        output.unlink(missing_ok=True)
        row = attempt(
            results, "profile", "daphne",
            lambda: fanout.run("daphne", spectators, 1, rate, seconds, tournament, profile=recorder(output)),
        )  # fmt: skip
        if row and output.exists():
            results["profile"] = {"row": row, **top(output.read_text())}

    results["load_after"] = os.getloadavg()
    results["seconds"] = time.time() - started
    results["started"] = started
    (LOG_DIR / "results.json").write_text(json.dumps(results, default=str, indent=1))
    path = Path(__file__).with_name("RESULTS.md")
    path.write_text(report.render(results))
    print(f"[bench] wrote {path} in {results['seconds']:.0f} s; raw figures in {LOG_DIR / 'results.json'}")


if __name__ == "__main__":
    main()
