"""`connector workflow ACTION FILE`: Arazzo workflows (1.0.x and 1.1; YAML or JSON).

    validate FILE                      the shape and the rules, each problem by JSON pointer
    plan FILE [--input F]              every request each step would send, before any is
    run FILE [--input F]               the steps through the connector (`_workflow_run`)
    export FILE --engine E             a Conductor or SimWorkflow workflow definition
    convert OLD.json                   the project's earlier workflow format, as Arazzo

Every action takes `--source NAME=PATH` (a local copy of a source, repeatable) and
`--allow-remote` (download a source the document names by URL; never done otherwise).
Exit 0 done; 1 a run that FAILED or STOPPED after sending; 2 nothing sent (a bad document).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from connector.cli._output import EXIT_OK, fail, fail_with, print_json

if TYPE_CHECKING:
    from connector.arazzo import Checked

ENGINES: Final = ("conductor", "simworkflow")


def register(commands: Any) -> None:
    """Add `workflow validate|plan|run|export|convert`."""
    from connector.cli._workflow_run import add_run_arguments, run_workflow

    workflow = commands.add_parser("workflow", help="Arazzo workflows of several API steps")
    actions = workflow.add_subparsers(
        dest="action",
        metavar="ACTION",
        parser_class=type(workflow),
        help="validate, plan, run, export (conductor, simworkflow) or convert the earlier format",
    )
    actions.required = True
    validate = _with_file(actions.add_parser("validate", help="check an Arazzo document"))
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=run_validate)
    plan = _with_file(actions.add_parser("plan", help="what each step would send; nothing is sent"))
    plan.add_argument("--workflow-id", metavar="ID", help="the workflow (default: the first)")
    plan.add_argument("--input", metavar="FILE", help="the workflow inputs (JSON object)")
    plan.add_argument(
        "--environment",
        default="local",
        metavar="NAME",
        help="whose servers the plan shows (default: local, the emulators a run starts)",
    )
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(handler=run_plan)
    run = _with_file(actions.add_parser("run", help="run a workflow (default: offline)"))
    run.add_argument("--workflow-id", metavar="ID", help="the workflow (default: the first)")
    add_run_arguments(run)
    run.set_defaults(handler=run_workflow)
    export = _with_file(actions.add_parser("export", help="an engine's workflow definition"))
    export.add_argument("--workflow-id", metavar="ID", help="the workflow (default: the first)")
    export.add_argument("--engine", required=True, choices=ENGINES, help="the workflow engine")
    export.add_argument(
        "--environment",
        default="sandbox",
        metavar="NAME",
        help="whose base URL the steps call (default: sandbox)",
    )
    export.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    export.add_argument(
        "--credentials",
        metavar="ID",
        help="SimWorkflow: saved credentials id; Conductor: secret name",
    )
    export.add_argument(
        "--owner-email", metavar="EMAIL", help="Conductor: ownerEmail of the definitions"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export, json=False)
    convert = actions.add_parser("convert", help="the earlier workflow format (JSON) as Arazzo")
    convert.add_argument("file", metavar="FILE", help="a workflow file of the earlier format")
    convert.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    convert.set_defaults(handler=run_convert, json=False)


def _with_file(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("file", metavar="FILE", help="the Arazzo document (YAML or JSON)")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="read source NAME from a local file instead of its url (repeatable)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="download a source the document names by http(s) URL (never done otherwise)",
    )
    return parser


def open_checked(args: argparse.Namespace) -> Checked:
    """The document of `args.file`, resolved and checked (raises WorkflowError)."""
    from connector._errors import UsageError
    from connector.arazzo import fetch_remote, open_workflows

    overrides = {}
    for text in args.source:
        name, sep, path = text.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--source {text!r}: give NAME=PATH")
        overrides[name] = str(Path(path).resolve()) if "://" not in path else path
    fetch = fetch_remote if args.allow_remote else None
    return open_workflows(Path(args.file), sources=overrides, fetch=fetch)


def workflow_id(args: argparse.Namespace, checked: Checked) -> str:
    """The workflow named by --workflow-id, else the document's first."""
    from connector._errors import UsageError

    ids = [w.workflow_id for w in checked.document.workflows]
    chosen = getattr(args, "workflow_id", None) or ids[0]
    if chosen not in ids:
        raise UsageError(f"--workflow-id {chosen!r}: the document's workflows are {', '.join(ids)}")
    return chosen


def run_validate(args: argparse.Namespace) -> int:
    """Check the document; a line per workflow, or every problem by JSON pointer."""
    from connector._errors import ConnectorError

    try:
        checked = open_checked(args)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    summary = [
        {"workflowId": w.workflow_id, "steps": [s.step_id for s in w.steps]}
        for w in checked.document.workflows
    ]
    if args.json:
        print_json({"valid": True, "arazzo": checked.document.arazzo, "workflows": summary})
    else:
        for item in summary:
            sys.stdout.write(f"{item['workflowId']}: valid ({len(item['steps'])} steps)\n")
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    """Print the dry-run plan of one workflow."""
    from connector._errors import ConnectorError
    from connector.arazzo._plan import plan_text, plan_workflow
    from connector.cli._output import read_input

    try:
        checked = open_checked(args)
        given = read_input(args.input) if args.input else {}
        plan = plan_workflow(
            checked, workflow_id(args, checked), given, environment=args.environment
        )
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    except (OSError, ValueError) as exc:
        return fail("usage", f"--input {args.input}: {exc}", as_json=args.json)
    if args.json:
        print_json(plan)
    else:
        sys.stdout.write(plan_text(plan))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    """Write the engine's definition; warnings on stderr; exit 2 naming what cannot go."""
    from connector._errors import ConnectorError
    from connector.arazzo._export import export
    from connector.cli._engines import _warn, _write
    from connector.engines import ExportOptions

    options = ExportOptions(
        credentials=args.credentials,
        environment=args.environment,
        base_url=args.base_url,
        owner_email=args.owner_email,
    )
    try:
        checked = open_checked(args)
        result = export(checked, workflow_id(args, checked), args.engine, options)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    _warn(result.warnings)
    return _write(result.document, args.output)


def run_convert(args: argparse.Namespace) -> int:
    """Write an earlier-format workflow file as an Arazzo document (YAML)."""
    from connector._errors import ConnectorError
    from connector.arazzo._convert import convert_file

    try:
        text = convert_file(Path(args.file))
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK
