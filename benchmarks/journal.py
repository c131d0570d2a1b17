"""The batch journal's own cost per input, beside the requests it guards.

Measured in process, on a temporary directory, N inputs of the shape `connector run` records
(a result line of ~1 KB):

1. **Recording**: `sending` then `done` per input, with `durable_sends` (a synced `sending`:
   every step not idempotent by its method) and without (PUT). Figure: microseconds per
   input.
2. **Results**: reading the result lines in the order of the inputs, by identity
   (`record_of` per input, parsed for the summary, written with its current line: what
   `connector run` does now) against the baseline, one scan of the journal in line order,
   parsed (`records()`: what it did when inputs were known by line).
3. **Opening**: `Journal(...)` of a journal of N rows (lock, `PRAGMA quick_check`, the
   row count, the WAL check). Figure: milliseconds.

    python benchmarks/journal.py [-n 20000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from connector.batch import InputItem, Journal, identify
from connector.batch._results import parse_record

RECORD = {"status": "COMPLETED", "response": {"body": "x" * 900}, "warnings": []}


def items(count: int) -> list[InputItem]:
    """`count` distinct inputs."""
    return [InputItem(n + 1, {"id": f"p-{n}", "amount": n}) for n in range(count)]


def timed(action: Callable[[], object]) -> float:
    """Seconds `action` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def record_all(path: Path, inputs: list[InputItem], *, durable: bool) -> float:
    """Seconds to journal `sending` then `done` for every input."""
    with Journal(path, task="bench", durable_sends=durable) as journal:

        def run() -> None:
            for identity, item in identify(inputs):
                journal.sending(identity, item.line, item.digest, None)
                journal.done(identity, item.line, item.digest, {**RECORD, "line": item.line})

        return timed(run)


def by_identity(journal: Journal, inputs: list[InputItem], *, moved: bool) -> None:
    """The results as `connector run` writes them now (each line parsed for the summary,
    rewritten when the input moved)."""
    for identity, item in identify(inputs):
        record = journal.record_of(identity)
        if record is not None:
            json.dumps({**record, "line": item.line + int(moved)}, ensure_ascii=False)


def by_scan(journal: Journal) -> None:
    """The baseline: every recorded line in line order, parsed for the summary (as the
    results were written when inputs were known by line)."""
    for text in journal.records():
        parse_record(text)


def main() -> None:
    """Print the three figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=20000)
    count = parser.parse_args().n
    inputs = items(count)
    with tempfile.TemporaryDirectory() as folder:
        for durable in (False, True):
            path = Path(folder) / f"durable-{durable}.journal"
            seconds = record_all(path, inputs, durable=durable)
            label = "durable (POST)" if durable else "not synced (PUT)"
            print(f"recording, {label}: {seconds / count * 1e6:.0f} µs per input")
        path = Path(folder) / "durable-False.journal"
        with Journal(path, task="bench") as journal:
            baseline = timed(lambda: by_scan(journal))
            same = timed(lambda: by_identity(journal, inputs, moved=False))
            moved = timed(lambda: by_identity(journal, inputs, moved=True))
        print(
            f"results of {count}: baseline scan {baseline * 1000:.0f} ms; by identity "
            f"{same * 1000:.0f} ms, every line moved {moved * 1000:.0f} ms"
        )
        opening = timed(lambda: Journal(path, task="bench").close())
        print(f"opening a journal of {count} rows: {opening * 1000:.0f} ms")


if __name__ == "__main__":
    main()
