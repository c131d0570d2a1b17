"""`connector test-request TASK --input FILE|-`: render, validate, send, show the response.

Where it sends, unless told otherwise:
- no credentials configured (REBILLY_API_KEY / REBILLY_JWT): `local`;
- credentials configured: `sandbox`. `live` only when named, and confirmed (`--yes`, or an
  answer on a terminal).
`local` means the same as in `render`: the template's `local` server URL (the port of
`connector emulator`). When an emulator there serves the task's operation it is used (so
faults injected into it apply); otherwise one serving the task's own API is started for this
command on a free port (`_local`); a line on stderr says which. Either way it is sent a
generated `sk_local_…` key, never a real one. Sending to
`sandbox` or `live` without credentials is refused unless `--no-credentials` says so.
`--base-url` points anywhere else (a proxy, another emulator). While it waits before a retry,
or for an answer the server is holding back, it says so on stderr (`_progress`). Exit 0
COMPLETED; 1 sent but FAILED; 2 nothing sent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from connector._stall import ticking
from connector.cli._local import local_environ, local_target
from connector.cli._output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, fail_with, print_json
from connector.cli._progress import WHY, StallLine, say_wait
from connector.cli._render import UNREADABLE, add_target_arguments, load_inputs

if TYPE_CHECKING:
    from connector._result import TaskResult
    from connector._task import Task

NOTHING_SENT = frozenset({"validation", "render", "template", "usage"})


def register(commands: Any) -> None:
    """Add `test-request`."""
    parser = commands.add_parser(
        "test-request", help="send the request once (with retries) and show the response"
    )
    add_target_arguments(parser, default=None)
    parser.add_argument("--connect-timeout", type=_seconds, metavar="S", help="seconds")
    parser.add_argument("--read-timeout", type=_seconds, metavar="S", help="seconds")
    parser.add_argument("--max-attempts", type=_attempts, metavar="N", help="attempts (>= 1)")
    parser.add_argument("--deadline", type=_seconds, metavar="S", help="total seconds")
    parser.add_argument(
        "--no-credentials",
        action="store_true",
        help="send to sandbox or live without credentials on purpose (refused otherwise)",
    )
    parser.add_argument(
        "--yes", action="store_true", help="confirm sending to live (real money) without asking"
    )
    parser.epilog = (
        "default environment: 'sandbox' when the task's credentials are set, else 'local' (the "
        "emulator at the template's local URL if it serves the task, else one started for this "
        "command serving the task's API: Rebilly's, or the description an imported API came "
        "from). 'live' only when named and confirmed."
    )
    parser.set_defaults(handler=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds in (0, 86400]")
    return value


def _attempts(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 50:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of attempts in [1, 50]")
    return value


def run(args: argparse.Namespace) -> int:
    """Send one test request and report it."""
    from connector._catalog import load_task
    from connector._errors import ConnectorError

    inputs = load_inputs(args)
    if inputs is UNREADABLE:
        return EXIT_USAGE
    try:
        task = load_task(args.task)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    environment = default_environment(task, args.environment, args.base_url)
    base_url: str | None = args.base_url
    environ: Mapping[str, str] = os.environ
    refused = _refused(task, inputs, environment, base_url, args.allow_host or ())
    if refused is not None:  # nothing to send: no emulator is started, nothing asked
        _report(refused, task.name, as_json=args.json)
        return _exit_code(refused)
    refusal = _unsafe_target(task, environment, base_url, args)
    if refusal is not None:
        return fail("usage", f"task '{task.name}': {refusal}", as_json=args.json)
    with ExitStack() as stack:
        if environment == "local" and base_url is None:
            try:
                base_url, environ = stack.enter_context(local_target(task))
            except ConnectorError as exc:  # no emulator for the task's API: nothing sent
                return fail_with(exc, as_json=args.json)
        result = _send(
            task,
            inputs,
            args,
            environment=environment or "sandbox",
            base_url=base_url,
            environ=environ,
        )
    _report(result, task.name, as_json=args.json)
    return _exit_code(result)


def default_environment(task: Task, environment: str | None, base_url: str | None) -> str | None:
    """The environment named; else, without a base URL, `sandbox` when the task's credentials
    are set and `local` otherwise (never `live`). Workers choose theirs here too."""
    from connector._executor import has_credentials

    if environment is not None or base_url is not None:
        return environment
    return "sandbox" if has_credentials(task.template, os.environ) else "local"


def _send(
    task: Task,
    inputs: Any,
    args: argparse.Namespace,
    *,
    environment: str,
    base_url: str | None,
    environ: Mapping[str, str],
) -> TaskResult:
    from connector._executor import Executor

    on_wait = None if args.json else say_wait
    stalls = StallLine.for_run(args)
    with Executor(
        environ=environ,
        allow_hosts=args.allow_host or (),
        on_wait=on_wait,
        on_stall=stalls.show if stalls else None,
        ticker=stalls.ticking if stalls else ticking,
    ) as executor:
        return executor.run(
            task,
            inputs,
            environment=environment,
            base_url=base_url,
            connect_timeout=args.connect_timeout,
            read_timeout=args.read_timeout,
            max_attempts=args.max_attempts,
            deadline=args.deadline,
        )


def _refused(
    task: Task,
    inputs: Any,
    environment: str | None,
    base_url: str | None,
    allow_hosts: Sequence[str],
) -> TaskResult | None:
    """The FAILED result of an input (or a target) that cannot be sent, or None when it can:
    prepared for where it would go, so a credential refused for its host is refused here."""
    from connector._errors import DefinitionError
    from connector._result import TaskResult

    local = environment == "local" and base_url is None
    if local and "local" not in task.template.base_urls:
        base_url = "http://127.0.0.1"  # the emulator started for the command
    try:
        task.prepare(
            inputs,
            environment=environment or "sandbox",
            base_url=base_url,
            environ=local_environ(task) if local else os.environ,
            allow_hosts=allow_hosts,
        )
    except DefinitionError as error:
        return TaskResult.from_error(error)
    return None


def _unsafe_target(
    task: Task, environment: str | None, base_url: str | None, args: argparse.Namespace
) -> str | None:
    """Why sending to a real environment is refused: no credentials, or live unconfirmed."""
    from connector._executor import has_credentials

    if environment not in {"sandbox", "live"} or base_url is not None:
        return None
    auth = task.template.auth
    anonymous_allowed = not auth.required or [] in auth.requirements()
    if (
        not anonymous_allowed
        and not args.no_credentials
        and not has_credentials(task.template, os.environ)
    ):
        return (
            f"no credentials for {environment}: set {auth.missing()} "
            "(or --no-credentials to send without; nothing was sent)"
        )
    if environment == "live" and not args.yes and not _confirmed_on_a_terminal(task):
        return "environment 'live' moves real money: confirm with --yes (nothing was sent)"
    return None


def _confirmed_on_a_terminal(task: Task) -> bool:
    """Ask on the terminal, when there is one, before anything goes to live."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write(f"Send {task.name} to LIVE? It moves real money. Type 'yes': ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() == "yes"


def _exit_code(result: TaskResult) -> int:
    if result.status == "COMPLETED":
        return EXIT_OK
    if result.error is not None and result.error.kind in NOTHING_SENT:
        return EXIT_USAGE
    return EXIT_FAILED


# -- output ----------------------------------------------------------------------------------


def _report(result: TaskResult, task: str, *, as_json: bool) -> None:
    error = result.error
    if result.request is None and error is not None and not as_json:
        # nothing was sent: one message on stderr, as every command reports it
        fail(
            error.kind,
            f"task '{task}': {error.message}",
            as_json=False,
            field_errors=error.field_errors,
        )
        return
    if as_json:
        print_json(result.to_json())
    else:
        sys.stdout.write("".join(f"{line}\n" for line in summary(result)))
    for warning in result.warnings:
        sys.stderr.write(f"warning: {warning}\n")


def summary(result: TaskResult) -> Iterator[str]:
    """The readable report: status, code, time, attempts with waits, the response body."""
    response = result.response
    if result.request is None:
        yield f"{result.status}  nothing was sent"
    else:
        code = f"{response.status_code} {response.reason_phrase}".strip() if response else "-"
        yield f"{result.status}  {code}  in {_ms(result.elapsed_ms)}"
    if result.request is not None:
        yield f"{result.request.method} {result.request.url}"
    yield from _attempt_lines(result)
    if result.error is not None:
        yield f"error ({result.error.kind}): {result.error.message}"
        yield from (f"  {e.field or '(input)'}: {e.message}" for e in result.error.field_errors)
        yield f"retryable: {'yes' if result.retryable else 'no'}"
    if response is not None:
        yield from _response_lines(response.headers, response.body)


def _attempt_lines(result: TaskResult) -> Iterator[str]:
    if result.attempts:
        yield "attempts:"
    for attempt in result.attempts:
        outcome = str(attempt.status_code) if attempt.status_code is not None else attempt.error
        wait = (
            f", then waited {attempt.wait_seconds:.2f} s ({WHY[attempt.wait_reason or 'backoff']})"
            if attempt.wait_seconds
            else ""
        )
        yield f"  {attempt.number}. {outcome} in {_ms(attempt.elapsed_ms)}{wait}"


def _response_lines(headers: Mapping[str, str], body: Any) -> Iterator[str]:
    yield ""
    yield from (f"{name}: {value}" for name, value in headers.items())
    if body is None:
        return
    yield ""
    yield body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)


def _ms(milliseconds: float) -> str:
    return f"{milliseconds:.0f} ms" if milliseconds < 10_000 else f"{milliseconds / 1000:.1f} s"
