"""The long hostile-input run: every CLI input path with many generated hostile files.

    python benchmarks/hostile.py [EXAMPLES]     # default 300 per path, random seeds

Runs `tests/test_hostile_inputs.py` with `CONNECTOR_HOSTILE_EXAMPLES=EXAMPLES` in a child
process under a 2 GiB address-space limit, and prints the outcome, the wall time, the slowest
examples (pytest's durations) and the child's peak resident memory. Baseline: before the
bounded reader, budgets and linear patterns, one 688-byte alias bomb alone took the import to
gigabytes and `^(a+)+$` on 31 characters took 42 s.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 2 << 30


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "300"
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--durations=5",
            "tests/test_hostile_inputs.py",
        ],
        cwd=ROOT,
        env={**os.environ, "CONNECTOR_HOSTILE_EXAMPLES": examples},
        capture_output=True,
        text=True,
        preexec_fn=_limit,
        check=False,
    )
    elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(done.stdout[-3000:])
    print(f"examples per path: {examples}; wall time {elapsed:.1f} s; peak RSS {peak:.0f} MiB")
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
