"""py-spy on a server during a fan-out run: where its CPU goes, as top functions.

py-spy records collapsed stacks ("frame;frame;frame count" per line); a function's "own"
share counts the samples where it is the innermost frame, its "total" share those where
it is anywhere on the stack. Idle samples are left out (--idle is not passed).
"""

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench.common import BIN, LOG_DIR

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")


def py_spy() -> str | None:
    candidate = BIN / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def recorder(output: Path):
    """A `profile` callable for fanout.run: starts py-spy on the pid for that many seconds."""

    def start(pid: int, seconds: float) -> subprocess.Popen:
        args = [py_spy(), "record", "--pid", str(pid), "--duration", str(max(1, round(seconds))),
                "--rate", "100", "--format", "raw", "--output", str(output), "--nonblocking"]  # fmt: skip
        log = open(LOG_DIR / "py-spy.log", "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(args, stdout=log, stderr=log)

    return start


def short(frame: str) -> str:
    """'receive (channels_redis/core.py:370)' → 'receive (channels_redis/core.py)'."""
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip()
    path = found["file"]
    marker = "site-packages/"
    path = path.split(marker, 1)[1] if marker in path else path
    return f"{found['function']} ({path})"


def top(collapsed: str, limit: int = 15) -> dict:
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [
            short(f) for f in stack.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")
        ]
        if not frames:
            continue
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            total[frame] += int(count)
    return {
        "samples": samples,
        "own": [(name, n / samples) for name, n in own.most_common(limit)] if samples else [],
        "total": [(name, n / samples) for name, n in total.most_common(limit)] if samples else [],
    }
