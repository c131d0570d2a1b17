"""A batch's results: one line per input, and the summary of them all.

A result line is the task's structured response (`TaskResult`, exactly what `test-request
--json` prints) with the input's line number in front::

    {"line": 3, "status": "COMPLETED" | "FAILED" | "UNKNOWN", "retryable", "response",
     "request", "attempts", "elapsedMs", "error", "warnings"}

`UNKNOWN` is the batch's own status: the request was sent by a run that stopped before the
answer was recorded, and repeating it is not safe (error kind `unknown`; `--resolve` and
`--mark` settle it). An input that changed after it was sent is FAILED kind `changed`. An
input that could not be read or is invalid is `FAILED` with kind `validation` and its field
errors; nothing was sent for it. `write_results` writes the lines in input order to a file,
atomically; `Tally` counts them into a `Summary` (completed, failed by kind, unknown,
throughput, p50/p95 latency). Any engine that runs a batch writes these same lines and summary.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import Field

from connector._errors import FieldError, InputError, UsageError
from connector._json import loads
from connector._model import StrictModel
from connector._result import TaskResult

__all__ = [
    "Latency",
    "Summary",
    "Tally",
    "changed_record",
    "invalid_record",
    "line_record",
    "summary_lines",
    "unknown_record",
    "write_results",
]


def line_record(line: int, result: TaskResult) -> dict[str, Any]:
    """The result line of an input: its line number and its structured response."""
    return {"line": line, **result.to_json()}


def invalid_record(line: int, errors: Iterable[FieldError]) -> dict[str, Any]:
    """The result line of an input that could not be read: FAILED `validation`, not sent."""
    problems = list(errors)
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    error = InputError(f"line {line}: invalid input ({count})", field_errors=problems)
    return line_record(line, TaskResult.from_error(error))


def unknown_record(line: int, method: str, why: str | None = None) -> dict[str, Any]:
    """The result line of a request that may have been sent with no answer recorded (an
    interrupted run, or `why`): UNKNOWN, for the user to reconcile; never sent again."""
    if why is None:
        message = (
            f"line {line}: the {method} request was sent by a run that stopped before its "
            f"answer was recorded, and {method} is not safe to repeat: check on the server "
            "whether it took effect; it is not sent again"
        )
    else:
        message = (
            f"line {line}: {why}; the {method} request may have been sent: check on the server "
            "whether it took effect"
        )
    return {
        "line": line,
        "status": "UNKNOWN",
        "retryable": False,
        "response": None,
        "request": None,
        "attempts": [],
        "elapsedMs": 0.0,
        "error": {"kind": "unknown", "message": message, "fieldErrors": []},
        "warnings": [],
    }


def changed_record(line: int, was_line: int) -> dict[str, Any]:
    """The result line of an input that replaced, on its line (or under its idempotency key),
    an input that was already sent: FAILED `changed`, not sent (`--resend-changed` sends it)."""
    message = (
        f"line {line}: changed after it was sent (the journal records the input sent from line "
        f"{was_line}, which the file no longer has): not sent, so it is not paid twice; "
        "add --resend-changed to send it as a new input"
    )
    record = unknown_record(line, "")
    return {
        **record,
        "status": "FAILED",
        "error": {**record["error"], "kind": "changed", "message": message},
    }


def write_results(path: Path, lines: Iterable[str]) -> int:
    """Write JSON Lines to `path` atomically (a temporary file renamed over it); the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - renamed after closing
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    )
    count = 0
    try:
        with handle:
            for line in lines:
                handle.write(line + "\n")
                count += 1
        Path(handle.name).replace(path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o644)  # noqa: PTH101 - NamedTemporaryFile makes it 0600
    return count


# -- the summary -----------------------------------------------------------------------------


class Latency(StrictModel):
    """Milliseconds per input sent in this run (all attempts and waits of the input)."""

    p50: float | None = None
    p95: float | None = None


class Summary(StrictModel):
    """What a batch run did, in numbers (`connector run --json` prints this)."""

    total: int
    completed: int
    failed: dict[str, int] = Field(default_factory=dict)
    """Failed inputs by error kind (`validation`, `http`, `rate_limited`, ...)."""
    unknown: int = 0
    sent: int = 0
    """Inputs sent in this run (the others were done before, or never to be sent)."""
    elapsed_seconds: float = 0.0
    throughput: float = 0.0
    """Inputs sent per second in this run."""
    latency_ms: Latency = Field(default_factory=Latency)
    interrupted: bool = False
    results: str | None = None
    journal: str | None = None

    @property
    def ok(self) -> bool:
        """Every input completed."""
        return self.completed == self.total and not self.interrupted


class Tally:
    """Counts result lines into a `Summary`."""

    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.latencies: list[float] = []

    def add(self, record: Mapping[str, Any], *, sent: bool = False) -> None:
        """Count one result line; `sent`: it was sent in this run (its latency counts)."""
        status = str(record.get("status"))
        self.statuses[status] += 1
        if status == "FAILED":
            error = record.get("error") or {}
            self.failed[str(error.get("kind", "unknown"))] += 1
        if sent:
            self.latencies.append(float(record.get("elapsedMs") or 0.0))

    def summary(
        self, elapsed_seconds: float, *, total: int | None = None, **fields: Any
    ) -> Summary:
        """The summary of what was counted; `total`: the inputs (default: the lines counted);
        `fields` adds `interrupted`, `results`, ..."""
        sent = len(self.latencies)
        return Summary(
            total=sum(self.statuses.values()) if total is None else total,
            completed=self.statuses["COMPLETED"],
            failed=dict(sorted(self.failed.items())),
            unknown=self.statuses["UNKNOWN"],
            sent=sent,
            elapsed_seconds=round(elapsed_seconds, 3),
            throughput=round(sent / elapsed_seconds, 2) if elapsed_seconds > 0 else 0.0,
            latency_ms=Latency(
                p50=_percentile(self.latencies, 50), p95=_percentile(self.latencies, 95)
            ),
            **fields,
        )


def _percentile(values: list[float], percent: int) -> float | None:
    """Nearest-rank percentile, or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


def summary_lines(summary: Summary) -> Iterator[str]:
    """The readable summary."""
    head = "interrupted" if summary.interrupted else "done"
    yield f"{head}: {summary.completed}/{summary.total} completed"
    for kind, count in summary.failed.items():
        yield f"  failed ({kind}): {count}"
    if summary.unknown:
        yield f"  unknown (sent, outcome not recorded; reconcile them): {summary.unknown}"
    latency = summary.latency_ms
    timing = f"sent {summary.sent} in {summary.elapsed_seconds:.1f} s ({summary.throughput:g}/s)"
    if latency.p50 is not None:
        timing += f", latency p50 {latency.p50:g} ms, p95 {latency.p95:g} ms"
    yield timing
    if summary.results:
        yield f"results: {summary.results}"
    if summary.journal:
        yield f"journal: {summary.journal}"


_STATUSES: Final = frozenset({"COMPLETED", "FAILED", "UNKNOWN"})


def parse_record(text: str) -> dict[str, Any]:
    """A result line read back (from the journal or a results file), its shape checked:
    a journal is a file on disk, and a hand-edited one must not stop the run with a crash.

    Raises:
        UsageError: the line is not a result record (the message says what is wrong).
    """
    try:
        value = loads(text) if isinstance(text, str) else None
    except ValueError as exc:
        raise UsageError(f"a recorded result in the journal is not JSON: {exc}") from None
    problem = _record_problem(value)
    if problem is not None:
        raise UsageError(
            f"a recorded result in the journal is not a result record ({problem}): restore "
            "the journal, or name another --journal once you know which inputs took effect "
            "(a new journal sends every input again)"
        )
    record: dict[str, Any] = value
    return record


def _record_problem(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "not a JSON object"
    checks = (
        (_is_int(value.get("line")), "'line' is not a number"),
        (value.get("status") in _STATUSES, "'status' is not COMPLETED, FAILED or UNKNOWN"),
        (isinstance(value.get("error"), dict | None), "'error' is not an object"),
        (_is_number(value.get("elapsedMs", 0)), "'elapsedMs' is not a number in range"),
    )
    return next((message for ok, message in checks if not ok), None)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """null, a float (JSON has no infinity), or an integer a float can hold."""
    return value is None or isinstance(value, float) or (_is_int(value) and abs(value) < 2**63)
    return None
