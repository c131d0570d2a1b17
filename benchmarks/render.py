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
Also reported: start-up time of `connector list` next to `python -c pass`.
"""

from __future__ import annotations

import json
import subprocess
import sys
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


def startup(argv: list[str], runs: int = 7) -> float:
    """Best wall time of a command, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


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
    python = startup([sys.executable, "-c", "pass"])
    listing = startup([sys.executable, "-m", "connector", "list"])
    rows = [
        ("connector body: render + validate + serialise", body),
        ("connector whole request: Task.prepare()", ours),
        ("baseline body: dict by hand + json.dumps", base),
    ]
    for label, seconds in rows:
        print(f"{label:<48} {1 / seconds:>10,.0f}/s {seconds * 1e6:8.2f} us")
    print(
        f"start-up: python -c pass {python * 1e3:.1f} ms; connector list {listing * 1e3:.1f} ms "
        f"(+{(listing - python) * 1e3:.1f} ms)"
    )
    print(f"whole request vs baseline body: {ours / base:.2f}x")
    print(f"ratio: {body / base:.2f}")


if __name__ == "__main__":
    main()
