"""`connector run TASK --inputs FILE`: a batch of inputs through one task, paced and resumable.

Where it sends follows `test-request` (`connector._target`): the API's test environment when
credentials are configured, else `local` (the emulator at the template's local URL if one
answers, else one started for the command); production only when named and confirmed
(`--yes`); `--base-url` anywhere else.
Results go to `--results` (default: beside the inputs, `NAME.results.jsonl`), the journal to
`--journal` (default: beside the results, `NAME.results.journal`). The same command again
resumes: nothing that completed is sent twice, also after the inputs file was edited (the
journal knows inputs by content). `--resolve` looks unknown outcomes up with the template's
read-back; `--mark LINE=completed|failed` settles one by hand. Ctrl-C or SIGTERM, once or
more, still writes the results and the summary, and prints the command that resumes. The
summary goes to stdout (`--json`: the `Summary` object), progress and per-line notes to
stderr.

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

from connector.cli._output import fail, fail_with
from connector.cli._run_end import EXIT_INTERRUPTED, end_of_run, show_summary
from connector.cli._temporal import add_options as add_temporal_options
from connector.cli._temporal_run import add_options as add_temporal_run_options

if TYPE_CHECKING:
    from connector._task import Task
    from connector.batch import Journal, Rate

__all__ = ["EXIT_INTERRUPTED", "default_results", "register", "run", "show_summary"]

MAX_CONCURRENCY = 64
_LOCAL_ONLY: dict[str, Any] = {
    "--resolve": lambda args: args.resolve,
    "--mark": lambda args: bool(args.mark),
    "--resend-changed": lambda args: args.resend_changed,
}


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
        "--environment",
        metavar="NAME",
        help="where the requests go: one of the task's environments (default: its test "
        "environment when its credentials are set, else the local emulator)",
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
        "--resolve",
        action="store_true",
        help="before resending, look each input whose outcome is unknown up with the "
        "template's read-back (idempotency.readBack): found is completed, not found is sent",
    )
    parser.add_argument(
        "--mark",
        action="append",
        default=[],
        type=_mark,
        metavar="LINE=completed|failed",
        help="settle the UNKNOWN input on LINE of the inputs, after checking on the server",
    )
    parser.add_argument(
        "--resend-changed",
        action="store_true",
        help="send inputs that were edited after they were sent (refused by default)",
    )
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


def _mark(text: str) -> Any:
    from connector.batch import parse_mark

    try:
        return parse_mark(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    from connector._idempotency import kind
    from connector.batch import Journal, journal_path
    from connector.cli._interrupts import catching_interrupts

    results = args.results or default_results(args.inputs)
    if args.engine == "temporal":
        return _on_temporal(args, results)
    path = args.journal or journal_path(results)
    with catching_interrupts() as interrupts:
        try:
            task = load_task(args.task)
            # a key or an unkeyed POST must survive a power cut before it is sent
            journal = Journal(path, task=task.name, durable_sends=kind(task.template) != "method")
        except ConnectorError as exc:
            return fail_with(exc, as_json=args.json)
        except (OSError, sqlite3.Error) as exc:
            return fail("usage", _write_failure(exc, results, path), as_json=args.json)
        with journal:
            try:
                return _run(args, task, journal, results, interrupts)
            except ConnectorError as exc:
                return fail_with(exc, as_json=args.json)
            except (OSError, sqlite3.Error) as exc:  # a full disk, a file size limit, a lost mount
                return fail("usage", _write_failure(exc, results, path), as_json=args.json)


def _on_temporal(args: argparse.Namespace, results: Path) -> int:
    """The batch on Temporal (its history is the journal: the journal options are refused)."""
    from connector.cli._temporal_run import run as run_on_temporal

    local_only = [o for o, on in _LOCAL_ONLY.items() if on(args)]
    if local_only:
        message = f"{', '.join(local_only)}: only with --engine local (its journal)"
        return fail("usage", message, as_json=args.json)
    return run_on_temporal(args, results)


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
    """`payouts.jsonl` -> `payouts.results.jsonl`, beside it; for inputs that are not a
    regular file (a pipe, a device such as /dev/stdin), in the working directory, so a run
    never writes into /dev or beside a pipe."""
    name = f"{inputs.stem}.results.jsonl"
    return inputs.with_name(name) if inputs.is_file() else Path(name)


def _run(
    args: argparse.Namespace, task: Task, journal: Journal, results: Path, interrupts: Any
) -> int:
    from connector._target import choose
    from connector.batch import BatchRunner, Pacer, check_inputs, mark, open_progress, read_inputs
    from connector.cli._test_request import unsafe_target

    schema = task.input_schema()

    def items() -> Any:
        return read_inputs(args.inputs, schema=schema, input_format=args.format)

    if args.resolve and task.template.idempotency.read_back is None:
        message = (
            f"task '{task.name}' declares no read-back (idempotency.readBack: a GET of the "
            "resource by the client's id or key): settle UNKNOWN lines with --mark instead"
        )
        return fail("usage", message, as_json=args.json)
    if args.mark:
        mark(journal, items(), args.mark, task.template.http_request.method)
    plan = check_inputs(items(), journal)
    choice = choose(task.template, args.environment, args.base_url)
    environment = choice.environment
    refusal = unsafe_target(task, environment, args.base_url, args)
    if refusal is not None:  # the same rule as test-request: production only when confirmed
        return fail("usage", f"task '{task.name}': {refusal}", as_json=args.json)
    if choice.note and not choice.local:
        sys.stderr.write(f"connector: {choice.note}\n")
    with _target(task, environment, args.base_url, choice.note) as target:
        runner = BatchRunner(
            task,
            journal,
            target=target,
            pacer=Pacer(_chosen_rate(args.rate, task)),
            concurrency=args.concurrency,
            resolve=args.resolve,
            resend_changed=args.resend_changed,
        )
        interrupts.attach(runner)
        with open_progress(plan.total, plan.done) as progress:
            outcome = runner.run(items(), progress, plan)
    return end_of_run(journal, results, outcome, items(), as_json=args.json)


def _chosen_rate(rate: Rate | str | None, task: Task) -> Rate | None:
    """`--rate`, else the API's published limit, else unthrottled."""
    from connector.batch import KNOWN_LIMITS

    if rate is None:
        api = task.template.operation.api.lower() if task.template.operation else ""
        return KNOWN_LIMITS.get(api)
    return None if isinstance(rate, str) else rate


@contextmanager
def _target(
    task: Task, environment: str | None, base_url: str | None, reason: str | None = None
) -> Iterator[Any]:
    """Where to send; `local` without a base URL starts an emulator for the command."""
    from connector.batch import Target
    from connector.cli._local import local_target

    environ: Mapping[str, str] = os.environ
    if environment == "local" and base_url is None:
        with local_target(task, reason=reason) as (local_url, local_environ):
            yield Target("local", local_url, local_environ)
        return
    yield Target(environment, base_url, environ)
