"""`connector workflow export FILE --engine E`: a workflow of several steps as an engine's
workflow definition (see `connector.engines._workflow` for the file and the layouts)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Final

from connector.cli._output import fail, fail_with

ENGINES: Final = ("simworkflow", "conductor")


def register(commands: Any) -> None:
    """Add `workflow export`."""
    workflow = commands.add_parser("workflow", help="workflows of several steps")
    actions = workflow.add_subparsers(
        dest="action",
        metavar="ACTION",
        parser_class=type(workflow),
        help="export: write a workflow file as an engine's workflow definition",
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
