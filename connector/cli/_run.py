"""`connector run TASK --inputs FILE`: a batch of inputs through one task, paced and resumable.

Where it sends follows `test-request`: `sandbox` when credentials are configured, else
`local` (the emulator at the template's local URL if one answers, else one started for the
command); `live` only when named and confirmed (`--yes`); `--base-url` anywhere else.
Results go to `--results` (default: beside the inputs, `NAME.results.jsonl`), the journal to
`--journal` (default: beside the results, `NAME.results.journal`). The same command again
resumes: nothing that completed is sent twice. The summary goes to stdout (`--json`: the
`Summary` object), progress and per-line notes to stderr.

Exit codes: 0 every input COMPLETED; 1 some FAILED or UNKNOWN; 2 nothing was sent (bad
arguments, an unreadable inputs file, a journal of another batch); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.cli._output import EXIT_FAILED, EXIT_OK, fail, fail_with, print_json
from connector.cli._temporal import add_options as add_temporal_options
from connector.cli._temporal_run import add_options as add_temporal_run_options

if TYPE_CHECKING:
    from connector._task import Task
    from connector.batch import Journal, Outcome, Rate, Summary

EXIT_INTERRUPTED = 130
MAX_CONCURRENCY = 64


def register(commands: Any) -> None:
    """Add `run`."""
    parser = commands.add_parser(
        "run", help="send a file of inputs through a task: paced, journaled, resumable"
    )
    parser.add_argument("task", metavar="TASK", help="task name or template file path")
    parser.add_argument(
        "--inputs",
        required=True,
        metavar="FILE",
        type=Path,
        help="JSON Lines, a JSON array, or CSV (.csv; columns typed by the task's inputs)",
    )
    parser.add_argument(
        "--format", choices=["jsonl", "json", "csv"], help="the inputs' format (default: detect)"
    )
    parser.add_argument("--results", type=Path, metavar="FILE", help="results (JSON Lines)")
    parser.add_argument("--journal", type=Path, metavar="FILE", help="the resume journal")
    parser.add_argument(
        "--concurrency", type=_concurrency, default=4, metavar="N", help="threads (default 4)"
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        metavar="N/SECONDS",
        help="at most N requests per SECONDS, e.g. 3000/600s (default: the API's published "
        "limit, 3000/600s for Rebilly; 'none': unthrottled)",
    )
    parser.add_argument(
        "--environment", choices=["sandbox", "live", "local"], help="where the requests go"
    )
    parser.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    parser.add_argument(
        "--no-credentials",
        action="store_true",
        help="send to sandbox or live without credentials on purpose (refused otherwise)",
    )
    parser.add_argument(
        "--yes", action="store_true", help="confirm sending to live (real money) without asking"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--engine",
        choices=["local", "temporal"],
        default="local",
        help="local: threads on this machine (default); temporal: a Temporal workflow run by "
        "`connector worker --engine temporal` processes",
    )
    add_temporal_options(parser)
    add_temporal_run_options(parser)
    parser.set_defaults(handler=run)


def _concurrency(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{text} is not a number of threads in [1, 64]")
    return value


def _rate(text: str) -> Rate | str:
    from connector.batch import parse_rate

    try:
        return parse_rate(text) or "none"
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Run the batch, write the results, print the summary."""
    from connector._catalog import load_task
    from connector._errors import ConnectorError
    from connector._retry import is_safe_to_repeat
    from connector.batch import Journal, journal_path

    results = args.results or default_results(args.inputs)
    if args.engine == "temporal":
        from connector.cli._temporal_run import run as run_on_temporal

        return run_on_temporal(args, results)
    path = args.journal or journal_path(results)
    try:
        task = load_task(args.task)
        safe = is_safe_to_repeat(task.template.http_request.method, task.template.retry)
        journal = Journal(path, task=task.name, durable_sends=not safe)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    except (OSError, sqlite3.Error) as exc:
        return fail("usage", _write_failure(exc, results, path), as_json=args.json)
    with journal:
        try:
            return _run(args, task, journal, results)
        except ConnectorError as exc:
            return fail_with(exc, as_json=args.json)
        except (OSError, sqlite3.Error) as exc:  # a full disk, a file size limit, a lost mount
            return fail("usage", _write_failure(exc, results, path), as_json=args.json)


def _write_failure(exc: OSError | sqlite3.Error, results: Path, journal: Path) -> str:
    """One message for a results or journal file that could not be written."""
    if isinstance(exc, OSError):
        where = exc.filename or results
        reason = exc.strerror or str(exc)
    else:
        where, reason = journal, str(exc)
    return (
        f"cannot write {where}: {reason}; the journal keeps what was done: free space "
        "and run the same command again"
    )


def default_results(inputs: Path) -> Path:
    """`payouts.jsonl` -> `payouts.results.jsonl`, beside it."""
    return inputs.with_name(f"{inputs.stem}.results.jsonl")


def _run(args: argparse.Namespace, task: Task, journal: Journal, results: Path) -> int:
    from connector.batch import BatchRunner, Pacer, check_inputs, open_progress, read_inputs
    from connector.cli._test_request import _unsafe_target

    schema = task.input_schema()

    def items() -> Any:
        return read_inputs(args.inputs, schema=schema, input_format=args.format)

    plan = check_inputs(items(), journal)
    environment = _environment(args, task)
    refusal = _unsafe_target(task, environment, args.base_url, args)
    if refusal is not None:  # the same rule as test-request: live only when confirmed
        return fail("usage", f"task '{task.name}': {refusal}", as_json=args.json)
    with _target(task, environment, args.base_url) as target:
        runner = BatchRunner(
            task,
            journal,
            target=target,
            pacer=Pacer(_chosen_rate(args.rate, task)),
            concurrency=args.concurrency,
        )
        with open_progress(plan.total, plan.done) as progress:
            outcome = runner.run(items(), progress, plan)
    summary = finish(journal, results, outcome)
    show_summary(summary, as_json=args.json)
    if outcome.interrupted:
        sys.stderr.write("interrupted: run the same command again to finish the rest\n")
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_FAILED


def _chosen_rate(rate: Rate | str | None, task: Task) -> Rate | None:
    """`--rate`, else the API's published limit, else unthrottled."""
    from connector.batch import KNOWN_LIMITS

    if rate is None:
        api = task.template.operation.api.lower() if task.template.operation else ""
        return KNOWN_LIMITS.get(api)
    return None if isinstance(rate, str) else rate


def _environment(args: argparse.Namespace, task: Task) -> str | None:
    """The environment named, or the default `test-request` uses (never `live`)."""
    from connector._executor import has_credentials

    if args.environment is not None or args.base_url is not None:
        return str(args.environment) if args.environment else None
    return "sandbox" if has_credentials(task.template, os.environ) else "local"


@contextmanager
def _target(task: Task, environment: str | None, base_url: str | None) -> Iterator[Any]:
    """Where to send; `local` without a base URL starts an emulator for the command."""
    from connector.batch import Target
    from connector.cli._local import local_target

    environ: Mapping[str, str] = os.environ
    if environment == "local" and base_url is None:
        with local_target(task) as (local_url, local_environ):
            yield Target("local", local_url, local_environ)
        return
    yield Target(environment or ("sandbox" if base_url is None else None), base_url, environ)


def finish(journal: Journal, results: Path, outcome: Outcome) -> Summary:
    """Write the results file from the journal (input order) and count the summary."""
    from connector.batch import Tally, write_results
    from connector.batch._results import parse_record

    tally = Tally()

    def lines() -> Iterator[str]:
        for text in journal.records():
            record = parse_record(text)
            tally.add(record, sent=record["line"] in outcome.sent)
            yield text

    write_results(results, lines())
    return tally.summary(
        outcome.elapsed_seconds,
        interrupted=outcome.interrupted,
        results=str(results),
        journal=str(journal.path),
    )


def show_summary(summary: Summary, *, as_json: bool) -> None:
    """The summary on stdout: readable lines, or the `Summary` JSON."""
    from connector.batch import summary_lines

    if as_json:
        print_json(summary.model_dump(mode="json", by_alias=True))
    else:
        sys.stdout.write("".join(f"{line}\n" for line in summary_lines(summary)))
