"""`connector list`, `connector describe TASK`, `connector validate FILE`."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

from connector.cli._output import EXIT_OK, fail_with, print_json

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from connector._template import TaskTemplate


def register(commands: Any) -> None:
    """Add the catalogue commands."""
    listing = commands.add_parser("list", help="list the shipped and imported tasks")
    listing.add_argument("--api", help="only tasks of this API")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    describe = commands.add_parser("describe", help="show a task: request, inputs, retry policy")
    describe.add_argument("task", metavar="TASK", help="task name or template file path")
    describe.add_argument("--json", action="store_true", help="print the template and schemas")
    describe.add_argument(
        "--format",
        choices=["text", "markdown"],
        default="text",
        help="markdown: the operation's reference page (fields, types, valid values)",
    )
    describe.set_defaults(handler=run_describe)

    validate = commands.add_parser("validate", help="check a template file against the format")
    validate.add_argument("file", metavar="FILE", help="template file, or - for stdin")
    validate.add_argument("--json", action="store_true", help="print JSON")
    validate.set_defaults(handler=run_validate)


def quick_list_args(argv: Sequence[str]) -> SimpleNamespace | None:
    """`list [--json] [--api API]` read without argparse, as its parser would read it; None
    for anything else (help, an abbreviation, a typo, `-v`), which argparse then reads.

    The most called command starts in half the time: argparse's import and its parser cost
    as much as the rest of `connector list` (benchmarks/render.py prints the figures)."""
    if not argv or argv[0] != "list":
        return None
    args = SimpleNamespace(command="list", verbose=0, log_level=None, api=None, json=False)
    rest = list(argv[1:])
    while rest:
        word = rest.pop(0)
        if word == "--json":
            args.json = True
        elif word.startswith("--api="):
            args.api = word.removeprefix("--api=")
        elif word == "--api" and rest and not rest[0].startswith("-"):
            args.api = rest.pop(0)
        else:
            return None
    args.handler = run_list
    return args


def run_list(args: argparse.Namespace) -> int:
    """List shipped and imported tasks from their files (no template is compiled)."""
    from connector._store import all_rows
    from connector.cli._rows import format_row, list_row

    tasks = [list_row(row) for row in all_rows(args.api)]
    if args.json:
        print_json(tasks)
    else:
        for task in tasks:
            sys.stdout.write(format_row(task) + "\n")
    return EXIT_OK


def run_describe(args: argparse.Namespace) -> int:
    """Show one task."""
    from connector._catalog import load_task
    from connector._environment import variables_read
    from connector._errors import ConnectorError

    try:
        task = load_task(args.task)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    template = task.template
    if args.format == "markdown" and not args.json:
        from connector._reference import reference, to_markdown

        sys.stdout.write(to_markdown(reference(task)))
        return EXIT_OK
    if args.json:
        print_json(
            {
                "template": template.to_json(),
                "inputSchema": task.input_schema(),
                "environmentVariables": variables_read(template),
            }
        )
        return EXIT_OK
    schema = task.input_schema()
    lines = [
        f"{template.name}: {template.title}",
        f"  {template.http_request.method} <base>{template.http_request.url}",
        *(f"  base {name}: {url}" for name, url in template.base_urls.items()),
        *_auth_lines(template),
        "  environment variables read: " + (", ".join(variables_read(template)) or "none"),
        f"  retry: {template.retry.max_attempts} attempts, {template.retry.interval_seconds}s"
        f" x {template.retry.backoff_rate}; timeouts connect {template.connection_timeout_seconds}s"
        f" read {template.read_timeout_seconds}s; deadline {template.deadline_seconds}s",
        "  inputs (* required):",
    ]
    for name, prop in schema["properties"].items():
        mark = "*" if name in schema["required"] else " "
        kind = prop.get("type") or [branch.get("type", "any") for branch in prop.get("anyOf", [])]
        note = " read-only" if prop.get("readOnly") else ""
        lines.append(f"   {mark} {name:<38} {json.dumps(kind)}{note}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def _auth_lines(template: Any) -> list[str]:
    """`describe`'s auth lines: each scheme, and which combinations are accepted."""
    auth = template.auth
    lines = [f"  auth {name}: {scheme.summary()}" for name, scheme in auth.schemes.items()]
    if not auth.required:
        return [*lines, "  auth: none"]
    options = " or ".join(" + ".join(r) or "(anonymous)" for r in auth.requirements())
    return [*lines, f"  auth accepted: {options}"]


def _read_template(source: str) -> TaskTemplate:
    """A template from a file, or from stdin for `-`."""
    from pathlib import Path

    from connector._errors import TemplateError
    from connector._read import read_json
    from connector._template import TEMPLATE_MAX_DEPTH, load_template_file, parse_template

    if source != "-":
        return load_template_file(Path(source))
    data = read_json("-", error=TemplateError, max_depth=TEMPLATE_MAX_DEPTH)
    return parse_template(data, source="stdin")


def run_validate(args: argparse.Namespace) -> int:
    """Check any template file: the format, placeholders and body schema."""

    from connector._environment import variables_read
    from connector._errors import ConnectorError, TemplateError
    from connector._schema import undefined_placeholders
    from connector._task import Task

    try:
        template = _read_template(args.file)
        Task(template, source=args.file)
        if undefined := undefined_placeholders(template):
            message = f"{args.file}: placeholders that no input defines"
            raise TemplateError(message, task=template.name, field_errors=undefined)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    variables = variables_read(template)
    if args.json:
        print_json({"status": "VALID", "task": template.name, "environmentVariables": variables})
    else:
        sys.stdout.write(f"{args.file}: valid task template '{template.name}'\n")
        sys.stdout.write(f"  reads environment variables: {', '.join(variables) or 'none'}\n")
    return EXIT_OK
