"""`connector workflow export FILE --engine E`: a workflow of several steps as an engine's
workflow definition (see `connector.engines._workflow` for the file and the layouts); and
`connector workflow run FILE --input FILE`: its steps in order through the connector.

`run` sends to `local` unless told otherwise (one emulator for every step, so the state one
step leaves is what the next reads; a generated key, never a real one), or to `sandbox` when
named (the steps' credentials must be set). Never `live`: a workflow that cancels payouts is
run there by an engine, not by hand. Exit 0 when every step that ran COMPLETED; 1 when one
FAILED after something was sent; 2 when nothing was sent.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from connector.cli._output import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail, fail_with, print_json

if TYPE_CHECKING:
    from connector._task import Task
    from connector.engines._workflow import StepRun, Workflow

ENGINES: Final = ("simworkflow", "conductor")


def register(commands: Any) -> None:
    """Add `workflow export`."""
    workflow = commands.add_parser("workflow", help="workflows of several steps")
    actions = workflow.add_subparsers(
        dest="action",
        metavar="ACTION",
        parser_class=type(workflow),
        help="export: an engine's workflow definition; run: the steps in order, here",
    )
    actions.required = True
    export = actions.add_parser(
        "export", help="write a workflow file as an engine's workflow definition"
    )
    export.add_argument("file", metavar="FILE", help="the workflow file (JSON)")
    export.add_argument("--engine", required=True, choices=ENGINES, help="the workflow engine")
    export.add_argument(
        "--credentials",
        metavar="ID",
        help="SimWorkflow: saved credentials id; Conductor: secret name (default: the auth env)",
    )
    export.add_argument(
        "--environment",
        metavar="NAME",
        default="sandbox",
        help="whose base URL the steps call (default: sandbox)",
    )
    export.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    export.add_argument(
        "--owner-email",
        metavar="EMAIL",
        help="Conductor: ownerEmail of the definitions (OSS Conductor requires one)",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export, json=False)

    run = actions.add_parser(
        "run", help="run the steps in order through the connector (default: a local emulator)"
    )
    run.add_argument("file", metavar="FILE", help="the workflow file (JSON)")
    run.add_argument(
        "--input",
        required=True,
        metavar="FILE",
        help="the workflow input (a JSON object; - for stdin)",
    )
    run.add_argument(
        "--environment",
        choices=("local", "sandbox"),
        default="local",
        help="local (default: one emulator for every step, started unless one serves them at "
        "the local URL) or sandbox (credentials needed); never live",
    )
    run.add_argument("--base-url", metavar="URL", help="send every step here instead")
    run.add_argument("--json", action="store_true", help="print each step's result as JSON")
    run.set_defaults(handler=run_workflow)


def run_export(args: argparse.Namespace) -> int:
    """Export the workflow; warnings on stderr; exit 2 with the field named when it cannot."""
    from connector._errors import ConnectorError
    from connector.cli._engines import _bad_owner, _warn, _write
    from connector.engines import ExportOptions
    from connector.engines._workflow import load_workflow
    from connector.engines._workflow_export import export_workflow

    problem = _bad_owner(args)
    if problem:
        return fail("usage", problem, as_json=False)
    options = ExportOptions(
        credentials=args.credentials,
        environment=args.environment,
        base_url=args.base_url,
        owner_email=args.owner_email,
    )
    try:
        result = export_workflow(load_workflow(Path(args.file)), args.engine, options)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    _warn(result.warnings)
    return _write(result.document, args.output)


def run_workflow(args: argparse.Namespace) -> int:
    """Run the steps in order; one line (or one JSON result) per step."""
    from connector._catalog import load_task
    from connector._errors import ConnectorError
    from connector.cli._output import read_input
    from connector.engines._workflow import load_workflow

    try:
        workflow = load_workflow(Path(args.file))
        tasks = {step.task: load_task(step.task) for step in workflow.steps}
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    try:
        given = read_input(args.input)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    if not isinstance(given, dict):
        return fail("validation", "--input: the workflow input is a JSON object", as_json=args.json)
    refusal = _refusal(args, workflow, tasks)
    if refusal is not None:
        return fail("usage", refusal, as_json=args.json)
    try:
        runs = _run(args, workflow, tasks, given)
    except ConnectorError as exc:  # no emulator for the steps' API: nothing sent
        return fail_with(exc, as_json=args.json)
    _report(workflow, runs, as_json=args.json)
    return _exit_code(runs)


def _refusal(args: argparse.Namespace, workflow: Workflow, tasks: Mapping[str, Task]) -> str | None:
    from connector._executor import has_credentials

    apis = {
        task.template.operation.api.lower() if task.template.operation else ""
        for task in tasks.values()
    }
    if args.environment == "local" and args.base_url is None and len(apis) > 1:
        return "the steps call several APIs: one local emulator cannot serve them (give --base-url)"
    if args.environment == "sandbox" and args.base_url is None:
        missing = [
            name for name, task in tasks.items() if not has_credentials(task.template, os.environ)
        ]
        if missing:
            return f"no credentials for sandbox for {', '.join(missing)} (nothing was sent)"
    return None


def _api(task: Task) -> str:
    return task.template.operation.api.lower() if task.template.operation else ""


def _run(
    args: argparse.Namespace, workflow: Workflow, tasks: Mapping[str, Task], given: dict[str, Any]
) -> list[StepRun]:
    from connector._executor import Executor
    from connector.cli._local import local_target
    from connector.engines._workflow import run_steps

    with ExitStack() as stack:
        base_url: str | None = args.base_url
        environ: Mapping[str, str] = os.environ
        if args.environment == "local" and base_url is None:
            first = tasks[workflow.steps[0].task]
            base_url, environ = stack.enter_context(local_target(first))
        executor = stack.enter_context(Executor(environ=environ))

        def send(step: Any, inputs: dict[str, Any]) -> Any:
            task = tasks[step.task]
            return executor.run(task, inputs, environment=args.environment, base_url=base_url)

        return run_steps(workflow, given, send)


def _report(workflow: Workflow, runs: list[StepRun], *, as_json: bool) -> None:
    if as_json:
        steps = [
            {
                "name": run.step.name,
                "task": run.step.task,
                "status": run.status,
                "result": run.result.to_json() if run.result is not None else None,
            }
            for run in runs
        ]
        print_json({"workflow": workflow.name, "steps": steps})
        return
    width = max(len(run.step.name) for run in runs)
    for run in runs:
        sys.stdout.write(f"{run.step.name:<{width}}  {_line(run)}\n")


def _line(run: StepRun) -> str:
    result = run.result
    if result is None:
        return run.status + ("  (its condition did not hold)" if run.status == "SKIPPED" else "")
    response = result.response
    code = f"{response.status_code} {response.reason_phrase}".strip() if response else "-"
    where = f"  {result.request.method} {result.request.url}" if result.request else ""
    error = f"  error ({result.error.kind}): {result.error.message}" if result.error else ""
    return f"{result.status}  {code}{where}{error}"


def _exit_code(runs: list[StepRun]) -> int:
    if all(run.status in {"COMPLETED", "SKIPPED"} for run in runs):
        return EXIT_OK
    sent = any(run.result is not None and run.result.request is not None for run in runs)
    return EXIT_FAILED if sent else EXIT_USAGE
