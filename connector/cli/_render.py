"""`connector render TASK --input FILE|-`: the dry run, the exact request and nothing sent."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from connector.cli._output import EXIT_OK, fail_with, print_json, read_input


def add_target_arguments(parser: argparse.ArgumentParser, *, default: str | None) -> None:
    """--input, --environment, --base-url, --json: shared by render and test-request."""
    parser.add_argument("task", metavar="TASK", help="task name or template file path")
    parser.add_argument(
        "--input",
        required=True,
        metavar="FILE|-",
        help="task input parameters JSON (a file, or - for stdin)",
    )
    parser.add_argument(
        "--environment",
        metavar="NAME",
        default=default,
        help="where the request goes: one of the template's environments, such as sandbox, live"
        f" or local, or an imported API's own (default: {default or 'see below'})",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="replaces the environment's base URL (the part before the path)",
    )
    add_allow_host(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_allow_host(parser: argparse.ArgumentParser) -> None:
    """--allow-host HOST (repeatable): a host a credential may go to besides its bound ones."""
    parser.add_argument(
        "--allow-host",
        action="append",
        metavar="HOST",
        help="let credentials go to HOST too (repeatable; also CONNECTOR_ALLOWED_HOSTS). "
        "A credential goes only to its bound hosts and loopback otherwise",
    )


def register(commands: Any) -> None:
    """Add `render`."""
    parser = commands.add_parser("render", help="dry run: show the exact request, send nothing")
    add_target_arguments(parser, default="sandbox")
    parser.set_defaults(handler=run)


UNREADABLE: Any = object()
"""What `load_inputs` returns when the input could not be read (JSON `null` is an input)."""


def load_inputs(args: argparse.Namespace) -> Any:
    """The input JSON, or UNREADABLE after reporting why it cannot be read."""
    from connector._errors import ConnectorError

    try:
        return read_input(args.input)
    except ConnectorError as exc:
        fail_with(exc, as_json=args.json)
    return UNREADABLE


def run(args: argparse.Namespace) -> int:
    """Render and validate; print the request with credentials redacted."""
    from connector._body import local_file_reader
    from connector._catalog import load_task
    from connector._errors import ConnectorError

    inputs = load_inputs(args)
    if inputs is UNREADABLE:
        return 2
    try:
        task = load_task(args.task)
        request = task.prepare(
            inputs,
            environment=args.environment,
            base_url=args.base_url,
            read_file=local_file_reader(task.template.max_body_bytes),
            allow_hosts=args.allow_host or (),
        )
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    shown = request.public()
    if args.json:
        print_json(shown)
        return EXIT_OK
    lines = [f"{shown['method']} {shown['url']}"]
    lines += [f"{name}: {value}" for name, value in shown["headers"].items()]
    sys.stdout.write("\n".join(lines) + "\n\n")
    if isinstance(shown["body"], str):
        sys.stdout.write(shown["body"] + "\n")
    elif shown["body"] is not None:
        print_json(shown["body"])
    for warning in shown["warnings"]:
        sys.stderr.write(f"warning: {warning}\n")
    sys.stdout.write("(dry run: nothing was sent)\n")
    return EXIT_OK
