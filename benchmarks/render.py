"""Render + validate + serialise the README example, against building it by hand.

    python benchmarks/render.py [N]

Baseline: the same body built by hand from the input dict and `json.dumps`-ed, with no
validation at all. Reported side by side, in one run:
  - connector: `Task.prepare()` — URL with validated, encoded path segments, headers,
    credential, body rendered from the template, body validated against the schema, warnings,
    body serialised;
  - baseline:  dict literal + json.dumps.
The last line is `ratio: X.XX`: the body pipeline (`Task.build_body`: render, validate,
serialise) per call over the baseline per call. The whole `Task.prepare()` (URL, path
segments, headers, credential, warnings as well) is printed beside it with its own ratio.

Also reported, against the named baseline `python -c pass`: the start-up of `connector list`
started both ways a user starts it (`python -m connector list` and the `connector` console script),
each the median wall time of several runs, printed side by side with its ratio (goal: at
most 3x). Bytecode is cached as after an install (a private PYTHONPYCACHEPREFIX, one warm-up
run each), so the figure is start-up, not compiling: `PYTHONDONTWRITEBYTECODE` is dropped. Wall time
is what a person waits; CPU time (user + system of the child) moves less with the machine's
load. Beside it, the two tricks `list` rests on, each with its plain path: the rows of the
shipped templates from their generated index vs read from every template, and `list`'s
arguments read without argparse vs `list --js` (an abbreviation only argparse reads).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connector import load_task

ROOT = Path(__file__).resolve().parent.parent
INPUTS: dict[str, Any] = json.loads((ROOT / "examples" / "upsert-payout-request.json").read_text())
ENVIRON = {"REBILLY_API_KEY": "sk_sandbox_BENCHMARKKEY"}


def by_hand(inputs: dict[str, Any]) -> bytes:
    """The baseline: the body written out by hand, serialised."""
    body = {
        "description": inputs["description"],
        "currency": inputs["currency"],
        "websiteId": inputs["websiteId"],
        "customerId": inputs["customerId"],
        "amount": inputs["amount"],
        "selectedPaymentInstrumentRedirectUrl": inputs["selectedPaymentInstrumentRedirectUrl"],
    }
    return json.dumps(body).encode()


def per_call(function: Callable[[], object], n: int) -> float:
    """Best of 5 runs of n calls, in seconds per call."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            function()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of a command, in seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, f"{argv} exited {child.returncode}"
    return wall, usage.ru_utime + usage.ru_stime


def startup(commands: list[list[str]], env: dict[str, str], runs: int) -> list[tuple[float, float]]:
    """Median wall and CPU time of each command: one warm-up run each, then the commands in
    turn, round after round, so a change in the machine's load reaches all of them alike."""
    times: list[list[tuple[float, float]]] = [[] for _ in commands]
    for round_ in range(runs + 1):
        for argv, seen in zip(commands, times, strict=True):
            figure = run_once(argv, env)
            if round_:
                seen.append(figure)
    return [
        (statistics.median(w for w, _ in seen), statistics.median(c for _, c in seen))
        for seen in times
    ]


def startup_figures(runs: int = 21) -> None:
    """`connector list` both ways a user starts it, beside `python -c pass`, with ratios."""
    script = shutil.which("connector", path=str(Path(sys.executable).parent))
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -m connector list": [sys.executable, "-m", "connector", "list"],
        "  plain: list --js (argparse)": [sys.executable, "-m", "connector", "list", "--js"],
    }
    if script:
        commands["connector list (console script)"] = [script, "list"]
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        (wall, cpu), *figures = startup(list(commands.values()), env, runs)
    print(f"start-up, median of {runs} runs, against the baseline python -c pass (goal <= 3x):")
    print(f"  {'python -c pass':<32} wall {wall * 1e3:6.1f} ms         cpu {cpu * 1e3:6.1f} ms")
    for label, (ours, ours_cpu) in zip(list(commands)[1:], figures, strict=True):
        print(
            f"  {label:<32} wall {ours * 1e3:6.1f} ms {ours / wall:5.2f}x  "
            f"cpu {ours_cpu * 1e3:6.1f} ms {ours_cpu / cpu:5.2f}x"
        )


def shipped_rows_figures(n: int = 20) -> None:
    """The rows of the shipped templates: from the generated index vs from every file."""
    from connector._store import read_shipped_rows, shipped_rows

    assert shipped_rows() == read_shipped_rows()
    index, files = per_call(shipped_rows, n), per_call(read_shipped_rows, n)
    print(
        f"shipped rows ({len(shipped_rows())} templates): index {index * 1e3:.2f} ms  vs  "
        f"every template read {files * 1e3:.2f} ms = {files / index:.1f}x"
    )


def main() -> None:
    """Print both rates, start-up times, and the ratio last."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    task = load_task("upsert-payout-request")
    request = task.prepare(INPUTS, environ=ENVIRON)
    assert json.loads(request.content or b"") == json.loads(by_hand(INPUTS))
    errors: list[Any] = []
    body = per_call(lambda: task.build_body(INPUTS, errors), n)
    assert not errors
    ours = per_call(lambda: task.prepare(INPUTS, environ=ENVIRON), n)
    base = per_call(lambda: by_hand(INPUTS), n)
    rows = [
        ("connector body: render + validate + serialise", body),
        ("connector whole request: Task.prepare()", ours),
        ("baseline body: dict by hand + json.dumps", base),
    ]
    for label, seconds in rows:
        print(f"{label:<48} {1 / seconds:>10,.0f}/s {seconds * 1e6:8.2f} us")
    startup_figures()
    shipped_rows_figures()
    print(f"whole request vs baseline body: {ours / base:.2f}x")
    print(f"ratio: {body / base:.2f}")


if __name__ == "__main__":
    main()
