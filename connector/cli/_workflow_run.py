"""`connector workflow run FILE`: an Arazzo workflow's steps through the connector.

Offline by default: every source of the document is served by one local emulator started
for the run (its state carries from step to step: what `upsert` stores, `get` reads), each
sent a generated `sk_local_…` key, never a real one; `--fault KIND[:COUNT]` queues the
emulator's faults (`503:2`, `429`, `reset`) to rehearse failure paths. `--environment NAME`
sends to a server the templates name (`sandbox`), with the credentials it needs set, or
`live` with `--yes`; `--base-url` anywhere else. Each step is one `Executor.run`
(validation before sending, host-bound credentials, redaction, the template's retries).
Exit 0 COMPLETED; 1 FAILED or STOPPED after something was sent; 2 nothing was sent.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from connector.cli._output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, fail_with, print_json

if TYPE_CHECKING:
    from connector._executor import Executor
    from connector.arazzo import Checked, WorkflowRun
    from connector.arazzo._runner import Send
    from connector.emulator import Emulator


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    """The options of `workflow run`."""
    run.add_argument(
        "--input", metavar="FILE", help="the workflow inputs (JSON object; - for stdin)"
    )
    run.add_argument(
        "--environment",
        metavar="NAME",
        default="local",
        help="local (default: one emulator serving the sources, started for the run), a "
        "server name of the templates (sandbox; credentials needed), or live (with --yes)",
    )
    run.add_argument("--base-url", metavar="URL", help="send every step here instead")
    run.add_argument("--yes", action="store_true", help="confirm sending to live")
    run.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:COUNT]",
        help="local: queue an emulator fault before the run (503:2, 429, reset); repeatable",
    )
    run.add_argument(
        "--max-steps", type=int, default=100, metavar="N", help="step runs allowed (default 100)"
    )
    run.add_argument(
        "--deadline", type=float, default=600.0, metavar="S", help="seconds allowed (default 600)"
    )
    run.add_argument(
        "--engine",
        choices=("local", "temporal"),
        default="local",
        help="local (default): here; temporal: durably, on workers serving the document",
    )
    run.add_argument("--json", action="store_true", help="print the run as JSON")
    from connector.cli._temporal import add_options

    add_options(run)


def run_workflow(args: argparse.Namespace) -> int:
    """Check, run, report; see the module docstring for the exit codes."""
    from connector._errors import ConnectorError
    from connector.cli._output import read_input
    from connector.cli._workflow import open_checked, workflow_id

    try:
        checked = open_checked(args)
        chosen = workflow_id(args, checked)
        given = read_input(args.input) if args.input else {}
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    except (OSError, ValueError) as exc:
        return fail("usage", f"--input {args.input}: {exc}", as_json=args.json)
    if not isinstance(given, dict):
        return fail("validation", "--input: the workflow input is a JSON object", as_json=args.json)
    if args.engine == "temporal":
        from connector.cli._workflow_temporal import run_durably

        return run_durably(args, chosen, given)
    return _run_here(args, checked, chosen, given)


def _run_here(
    args: argparse.Namespace, checked: Checked, chosen: str, given: dict[str, Any]
) -> int:
    """The run in this process, where the options say."""
    from connector._errors import ConnectorError
    from connector.arazzo import Limits, Runner

    refusal = _refusal(args, checked)
    if refusal:
        return fail("usage", refusal, as_json=args.json)
    limits = Limits(max_steps=max(1, args.max_steps), deadline_seconds=max(0.001, args.deadline))
    try:
        with targets(checked, args) as send:
            run = Runner(checked, send, limits=limits).run(chosen, given)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    _report(run, as_json=args.json)
    return _exit_code(run)


def _refusal(args: argparse.Namespace, checked: Checked) -> str | None:
    from connector._executor import has_credentials

    if args.environment == "live" and not args.yes:
        return "live sends real requests: confirm with --yes (nothing was sent)"
    if args.fault and (args.environment != "local" or args.base_url):
        return "--fault applies to the emulator a local run starts"
    if args.environment in {"local"} or args.base_url:
        return None
    missing = sorted(
        {
            s.operation.task.name
            for s in checked.steps.values()
            if not has_credentials(s.operation.task.template, os.environ)
        }
    )
    return (
        f"no credentials for {args.environment} for {', '.join(missing)} (nothing was sent)"
        if missing
        else None
    )


@contextmanager
def targets(checked: Checked, args: argparse.Namespace) -> Iterator[Send]:
    """The `send` of a run: to one emulator per source (local), or where the user named."""
    from connector._executor import Executor

    with ExitStack() as stack:
        if args.environment == "local" and args.base_url is None:
            emulators = stack.enter_context(emulate(checked, args.fault))
            yield offline_send(checked, emulators, stack)
            return
        executor = stack.enter_context(Executor())
        yield _sender(executor, args.environment, lambda _op: args.base_url)


@contextmanager
def emulate(checked: Checked, faults: list[str]) -> Iterator[dict[str, Emulator]]:
    """One emulator per source the steps call, started on free loopback ports."""
    from connector.emulator import Emulator

    with ExitStack() as stack:
        used = {s.operation.source for s in checked.steps.values()}
        emulators = {}
        for name in sorted(used):
            api = checked.sources.by_name[name].emulation()
            emulators[name] = stack.enter_context(Emulator(host="127.0.0.1", port=0, api=api))
            sys.stderr.write(
                f"connector: source {name!r} served by an emulator at {emulators[name].url}\n"
            )
        for text in faults:
            kind, _, count = text.partition(":")
            for emulator in emulators.values():
                emulator.inject(kind, count=int(count or 1))
        yield emulators


def offline_send(checked: Checked, emulators: Mapping[str, Emulator], stack: ExitStack) -> Send:
    """A `send` to the emulators, with a generated local key for every task's credentials."""
    from connector._executor import Executor
    from connector.cli._local import local_base_url

    tasks = [step.operation.task for step in checked.steps.values()]
    environ = local_credentials(tasks, os.environ, f"sk_local_{secrets.token_hex(12)}")
    executor = stack.enter_context(Executor(environ=environ))
    return _sender(executor, "local", lambda op: local_base_url(op.task, emulators[op.source].url))


def local_credentials(tasks: list[Any], environ: Mapping[str, str], key: str) -> dict[str, str]:
    """`environ` without any credential variable of any step's task, and the generated local
    key in place of each task's first alternative: a real credential of one API never rides
    along with another API's step to an emulator."""
    names = set().union(*(task.template.auth.variables() for task in tasks))
    local = {name: value for name, value in environ.items() if name not in names}
    for task in tasks:
        local.update(task.template.auth.local_environ({}, key))
    return local


def _sender(executor: Executor, environment: str, base_url: Any) -> Send:
    def send(operation: Any, inputs: dict[str, Any], deadline: float | None) -> Any:
        return executor.run(
            operation.task,
            inputs,
            environment=environment,
            base_url=base_url(operation),
            deadline=deadline,
        )

    return send


def _report(run: WorkflowRun, *, as_json: bool) -> None:
    if as_json:
        print_json(run.to_json())
        return
    width = max((len(r.step_id) for r in run.steps), default=4)
    for record in run.steps:
        sys.stdout.write(f"{record.step_id:<{width}}  {_line(record)}\n")
    sys.stdout.write(
        f"{run.workflow_id}: {run.status}" + (f" ({run.reason})" if run.reason else "") + "\n"
    )
    if run.outputs:
        print_json(run.outputs)


def _line(record: Any) -> str:
    result = record.result
    response = result.response if result is not None else None
    code = str(response.status_code) if response is not None else "-"
    where = f"  {result.request.method} {result.request.url}" if result and result.request else ""
    state = "ok    " if record.succeeded else "failed"
    why = f"  ({record.reason})" if record.reason else ""
    return f"{state}  {code}{where}  -> {record.action}{why}"


def _exit_code(run: WorkflowRun) -> int:
    if run.status == "COMPLETED":
        return EXIT_OK
    sent = any(r.result is not None and r.result.request is not None for r in run.steps)
    return EXIT_FAILED if sent else EXIT_USAGE
