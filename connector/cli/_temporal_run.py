"""`connector run TASK --inputs FILE --engine temporal`: the batch as a Temporal workflow.

The inputs are read and checked here exactly as for the local batch (`connector.batch`);
the readable ones are submitted as one workflow whose id is `--batch-id` (default: the task
name and a digest of the inputs), so the same command twice runs the batch once: the second
follows the first. Progress, results and summary are the local batch's. Workers decide
where requests go and hold the credentials, so `--environment`, `--base-url` and `--rate`
belong to `connector worker --engine temporal`, and the workflow history is the journal.

Ctrl-C stops following, not the batch: it goes on in Temporal, and the same command again
follows it to the end and writes the results. A batch that already ran to the end is not
run again: the same command says so, writes its results again and names the way to send the
inputs again (another `--batch-id`). A batch is followed only while a worker polls its task
queue (`--wait-for-worker` seconds without one end the command, saying how to start one),
and a batch running on another task queue than the one given is refused at once.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.cli._output import EXIT_FAILED, EXIT_OK, fail, fail_with
from connector.cli._temporal import exit_now, missing_options

if TYPE_CHECKING:
    from connector._task import Task
    from connector.batch import InputItem, Progress
    from connector.temporal import BatchPlan, Counts, ItemResult

EXIT_INTERRUPTED = 130
START_TO_CLOSE_MARGIN = 30.0
"""Seconds an activity attempt may run past the template's deadline before Temporal gives up
on it (its heartbeats notice a dead worker much sooner)."""
_WORKER_OPTIONS = (("--environment", "environment"), ("--base-url", "base_url"))
WORKER_WAIT_SECONDS = 60.0


def add_options(parser: argparse.ArgumentParser) -> None:
    """`--batch-id`, `--wait-for-worker` (and the Temporal client options shared with the
    worker)."""
    parser.add_argument(
        "--batch-id",
        metavar="ID",
        help="Temporal: the batch's workflow id (default: task name + digest of the inputs); "
        "the same id again follows that batch instead of starting another",
    )
    parser.add_argument(
        "--wait-for-worker",
        metavar="S",
        type=float,
        default=WORKER_WAIT_SECONDS,
        help="Temporal: stop following when no worker has polled the batch's task queue for "
        f"S seconds (default {WORKER_WAIT_SECONDS:g}); the batch stays in Temporal",
    )


def run(args: argparse.Namespace, results: Path) -> int:
    """Submit, follow, write the results and print the summary."""
    problem = _refused(args)
    if problem:
        return fail("usage", problem, as_json=args.json)
    try:
        import temporalio  # noqa: F401
    except ImportError:
        return fail("usage", "install the extra: pip install 'connector[temporal]'", as_json=False)
    from temporalio.exceptions import TemporalError

    from connector._catalog import load_task
    from connector._errors import ConnectorError
    from connector.batch import read_inputs

    try:
        task = load_task(args.task)
        items = list(read_inputs(args.inputs, schema=task.input_schema(), input_format=args.format))
        code = asyncio.run(_run(args, task, items, results))
    except ConnectorError as exc:
        code = fail_with(exc, as_json=args.json)
    except RuntimeError as exc:  # temporalio's connection failure
        code = fail("usage", f"cannot reach {args.address}: {exc}", as_json=args.json)
    except TemporalError as exc:  # the workflow failed (terminated, timed out) or the server did
        sys.stderr.write(f"error: Temporal: {exc}; the same command follows the batch again\n")
        code = EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write(
            "interrupted: the batch goes on in Temporal; the same command follows it\n"
        )
        code = EXIT_INTERRUPTED
    return exit_now(code)


def _refused(args: argparse.Namespace) -> str | None:
    missing = missing_options(args)
    if missing:
        return f"--engine temporal needs {missing}"
    for flag, name in (*_WORKER_OPTIONS, ("--rate", "rate")):
        if getattr(args, name, None) is not None:
            return f"{flag} belongs to the worker with --engine temporal (connector worker {flag})"
    if getattr(args, "journal", None) is not None:
        return "--journal is for the local batch: with --engine temporal the history is the journal"
    return None


async def _run(args: argparse.Namespace, task: Task, items: list[InputItem], results: Path) -> int:
    from temporalio.client import Client

    from connector.batch import invalid_record, open_progress
    from connector.cli._temporal_follow import earlier_run, results_of
    from connector.temporal import submit

    plan = _plan(args, task, items)
    records = {item.line: invalid_record(item.line, item.errors) for item in items if item.errors}
    client = await Client.connect(args.address, namespace=args.namespace)
    started = time.monotonic()
    submission = await submit(client, plan, task_queue=args.task_queue)
    finished = await earlier_run(submission, plan, args)
    if finished is None:
        verb = "submitted" if submission.started else "already submitted, following"
        sys.stderr.write(
            f"batch {plan.batch_id} {verb}: {plan.total} inputs on {args.task_queue}\n"
        )
    with open_progress(len(items)) as progress:
        for record in records.values():
            progress.note(str(record["error"]["message"]))
            progress.advance("FAILED")
        shown = _Shown(progress)
        async for item in results_of(
            client, submission, plan, args, shown.update, finished=finished
        ):
            records[item.line] = _record(item, task.template.http_request.method)
    elapsed = time.monotonic() - started
    return _finish(records, results, elapsed, sent=submission.started, as_json=args.json)


def _record(item: ItemResult, method: str) -> dict[str, Any]:
    """The local batch's result line: the line, then the structured response in its order;
    UNKNOWN when the activity ended without an answer."""
    from pydantic import ValidationError

    from connector._result import TaskResult
    from connector.batch import unknown_record

    if item.status == "UNKNOWN":
        why = json.loads(item.result_json).get("message", "")
        return unknown_record(item.line, method, why)
    try:
        return {"line": item.line, **TaskResult.model_validate_json(item.result_json).to_json()}
    except ValidationError:  # a worker of another version: keep what it said
        return {"line": item.line, **json.loads(item.result_json)}


def _plan(args: argparse.Namespace, task: Task, items: list[InputItem]) -> BatchPlan:
    from connector._idempotency import retry_allowed, with_key
    from connector.temporal import ActivityOptions, BatchPlan, Item

    readable = [Item(item.line, item.inputs) for item in items if item.inputs is not None]
    batch_id = args.batch_id or default_batch_id(task.name, readable)
    # a keyed step's key is made here, from the batch and the input, and travels in the
    # workflow's input (its history) before the first send: every activity attempt and a
    # rerun of the same batch send the same key
    keyed = [
        Item(item.line, dict(with_key(task.template, item.inputs, _item_key(batch_id, item))[0]))
        for item in readable
    ]
    safe = retry_allowed(task.template).allowed
    looks_up = task.template.idempotency.read_back is not None
    if not safe and not looks_up:
        sys.stderr.write(
            f"note: {task.template.http_request.method} is not idempotent and declares no "
            "idempotency key, so Temporal attempts each input once (an input whose worker is "
            "lost is UNKNOWN, never sent twice)\n"
        )
    options = ActivityOptions(
        start_to_close_seconds=task.template.deadline_seconds + START_TO_CLOSE_MARGIN,
        # a request not safe to repeat is never sent by a second attempt unless the activity
        # reads it back first (not found: it never landed); otherwise a lost worker's item is
        # UNKNOWN, as in the local batch
        maximum_attempts=ActivityOptions.maximum_attempts if safe or looks_up else 1,
    )
    return BatchPlan.build(
        batch_id, task.name, keyed, concurrency=args.concurrency, activity=options
    )


def _item_key(batch_id: str, item: Any) -> str:
    from connector._idempotency import derived_key

    text = json.dumps([item.line, item.inputs], sort_keys=True)
    return derived_key(batch_id, text)


def default_batch_id(task_name: str, items: list[Any]) -> str:
    """`TASK-<16 hex digits of the inputs' digest>`: the same file names the same batch."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps([item.line, item.inputs], sort_keys=True).encode())
    return f"{task_name}-{digest.hexdigest()[:16]}"


class _Shown:
    """Moves the progress display to the counts the workflow reports."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.completed = 0
        self.failed = 0

    def update(self, counts: Counts) -> None:
        for _ in range(counts.completed - self.completed):
            self.progress.advance("COMPLETED")
        for _ in range(counts.failed - self.failed):
            self.progress.advance("FAILED")
        self.completed = max(self.completed, counts.completed)
        self.failed = max(self.failed, counts.failed)


def _finish(
    records: dict[int, dict[str, Any]],
    results: Path,
    elapsed: float,
    *,
    sent: bool,
    as_json: bool,
) -> int:
    from connector.batch import Tally, write_results
    from connector.cli._run import show_summary

    tally = Tally()
    ordered = [records[line] for line in sorted(records)]
    for record in ordered:
        tally.add(record, sent=sent and record.get("request") is not None)
    write_results(results, (json.dumps(record, ensure_ascii=False) for record in ordered))
    summary = tally.summary(elapsed, results=str(results))
    show_summary(summary, as_json=as_json)
    return EXIT_OK if summary.ok else EXIT_FAILED
