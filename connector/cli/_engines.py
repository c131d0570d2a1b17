"""`connector export`, `connector import` and `connector push`: engine JSON in and out."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from connector.cli._output import EXIT_FAILED, EXIT_OK, fail, fail_with, print_json
from connector.cli._render import add_allow_host


def register(commands: Any) -> None:
    """Add `export`, `import` and `push`; the engine choices come from the registry."""
    from connector.engines import engine_names

    export = commands.add_parser("export", help="write a task as a workflow engine's HTTP task")
    _export_arguments(export, engine_names("adapter"))
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export, json=False)

    read = commands.add_parser("import", help="read an engine's HTTP task into a task template")
    read.add_argument("file", metavar="FILE", help="engine task or workflow JSON (- for stdin)")
    read.add_argument(
        "--engine", required=True, choices=engine_names("adapter"), help="the workflow engine"
    )
    read.add_argument("--task", metavar="NAME", help="the HTTP task to pick from a workflow")
    read.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    add_allow_host(read)
    read.set_defaults(handler=run_import, json=False)

    push = commands.add_parser(
        "push", help="register a task's definitions and a workflow with an engine's server"
    )
    _export_arguments(push, engine_names("push"))
    push.add_argument(
        "--server",
        metavar="URL",
        help="the engine's API root (default: Conductor's $CONDUCTOR_SERVER_URL)",
    )
    push.add_argument(
        "--update", action="store_true", help="replace a workflow of the same name and version"
    )
    push.add_argument("--json", action="store_true", help="print what was registered as JSON")
    push.set_defaults(handler=run_push)


def _export_arguments(parser: argparse.ArgumentParser, engines: list[str]) -> None:
    parser.add_argument("task", metavar="TASK", help="task name or template file path")
    parser.add_argument("--engine", required=True, choices=engines, help="the workflow engine")
    parser.add_argument("--workflow", metavar="NAME", help="write a whole workflow definition")
    parser.add_argument(
        "--credentials",
        metavar="ID",
        help="SimWorkflow: saved credentials id; Conductor: secret name (default: the auth env)",
    )
    parser.add_argument(
        "--environment",
        metavar="NAME",
        default="sandbox",
        help="whose base URL the engine's task calls: one of the template's environments "
        "(default: sandbox)",
    )
    parser.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    parser.add_argument(
        "--fields",
        metavar="NAME,...",
        help="only these body fields (and the required ones): the engine sends a missing "
        "input as null, so leave out what the workflow will not give",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="every body field and the template's round-trip data (connector:template), so "
        "that `connector import` gives the exact template back (default: only what the "
        "engine needs: the required body fields and --fields)",
    )
    parser.add_argument(
        "--owner-email",
        metavar="EMAIL",
        help="Conductor: ownerEmail of the definitions (OSS Conductor requires one)",
    )


def _export(args: argparse.Namespace, workflow: str | None) -> Any:
    """The export the arguments describe (raises ConnectorError), warnings included."""
    from connector._catalog import load_task
    from connector.engines import ExportOptions, export_task
    from connector.engines._shared import slim, with_body_fields

    options = ExportOptions(
        workflow=workflow,
        credentials=args.credentials,
        environment=args.environment,
        base_url=args.base_url,
        metadata=args.full,
        owner_email=args.owner_email,
    )
    task = load_task(args.task)
    fields = list(filter(None, map(str.strip, (args.fields or "").split(","))))
    if not args.full:
        task = slim(task, fields)
    elif fields:
        task = with_body_fields(task, fields)
    result = export_task(task, args.engine, options)
    if args.environment == "live" and not args.base_url:
        live = "environment 'live': this task moves real money"
        result = result.model_copy(update={"warnings": [*result.warnings, live]})
    return result


def _bad_owner(args: argparse.Namespace) -> str | None:
    if args.owner_email is not None and "@" not in args.owner_email:
        return f"--owner-email {args.owner_email!r} is not an email address"
    return None


def run_export(args: argparse.Namespace) -> int:
    """Export one task; warnings go to stderr."""
    from connector._errors import ConnectorError

    problem = _bad_owner(args)
    if problem:
        return fail("usage", problem, as_json=False)
    try:
        result = _export(args, args.workflow)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    _warn(result.warnings)
    return _write(result.document, args.output)


def run_push(args: argparse.Namespace) -> int:
    """Export one task as a workflow and register it with the engine's server."""
    from connector._catalog import load_task
    from connector._errors import ConnectorError, DefinitionError
    from connector.engines import Pusher, load_adapter

    adapter = load_adapter(args.engine)
    assert isinstance(adapter, Pusher)  # the choices are the engines that push
    server = args.server or os.environ.get(adapter.server_env)
    if not server:
        message = f"give --server URL (the engine's API root) or set {adapter.server_env}"
        return fail("usage", message, as_json=args.json)
    problem = _bad_owner(args)
    if problem:
        return fail("usage", problem, as_json=args.json)
    try:
        result = _export(args, args.workflow or load_task(args.task).name)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    _warn(result.warnings)
    if not args.owner_email:
        _warn(["no --owner-email: OSS Conductor refuses definitions without one by default"])
    try:
        pushed = adapter.push(result.document, server, update=args.update)
    except DefinitionError as exc:
        return fail_with(exc, as_json=args.json)
    except ConnectorError as exc:
        return _push_failed(exc.message, as_json=args.json)
    if args.json:
        print_json({"status": "REGISTERED", "server": server, **pushed})
    else:
        names = ", ".join(pushed["taskDefs"])
        sys.stdout.write(
            f"registered with {server}: task definitions {names}; "
            f"workflow {pushed['workflow']} version {pushed['version']}\n"
        )
    return EXIT_OK


def _push_failed(message: str, *, as_json: bool) -> int:
    if as_json:
        print_json({"status": "FAILED", "error": {"kind": "http", "message": message}})
    else:
        sys.stderr.write(f"error: {message}\n")
    return EXIT_FAILED


def run_import(args: argparse.Namespace) -> int:
    """Import one engine task as a template; how to export it back goes to stderr."""
    from connector._environment import variables_read
    from connector._errors import ConnectorError
    from connector._read import read_json
    from connector._template import TEMPLATE_MAX_DEPTH
    from connector.engines import import_task

    try:
        document = read_json(args.file, max_depth=TEMPLATE_MAX_DEPTH)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    default_name = None if args.file == "-" else Path(args.file).stem
    try:
        result = import_task(document, args.engine, task=args.task, name=args.task or default_name)
    except ConnectorError as exc:
        other = _engine_it_looks_like(document, args.engine)
        if other is not None:
            exc.message = (
                f"{exc.message} — the file looks like a {other} export: use --engine {other}"
            )
        return fail_with(exc, as_json=False)
    try:
        _check_hosts(result.template, args.allow_host or ())
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    _warn(result.warnings)
    variables = variables_read(result.template)
    sys.stderr.write(f"reads environment variables: {', '.join(variables) or 'none'}\n")
    flags = _export_flags(result.options)
    if flags:
        sys.stderr.write(f"note: export it back with {flags}\n")
    return _write(result.template.to_json(), args.output)


def _engine_it_looks_like(document: Any, given: str) -> str | None:
    """Another engine whose import reads `document`, when the given one cannot."""
    from connector._errors import ConnectorError
    from connector.engines import engine_names, import_task

    for name in engine_names():
        if name == given:
            continue
        try:
            import_task(document, name)
        except ConnectorError:
            continue
        return name
    return None


def _check_hosts(template: Any, allow_hosts: Any) -> None:
    """Refuse an imported task that would send a credential to a host it is not bound to."""
    from connector.auth import HostPolicy

    urls = {f"servers.{name}": url for name, url in template.base_urls.items()}
    urls["httpRequest.url"] = template.http_request.url
    HostPolicy.from_environ(os.environ, allow_hosts).check_template(
        template.auth,
        urls,
        task=template.name,
        api=template.operation.api if template.operation else None,
    )


def _export_flags(options: Any) -> str:
    flags = []
    if options.workflow:
        flags.append(f"--workflow {options.workflow}")
    if options.credentials:
        flags.append(f"--credentials {options.credentials}")
    if options.owner_email:
        flags.append(f"--owner-email {options.owner_email}")
    if options.metadata:
        flags.append("--full")
    if options.base_url:
        flags.append(f"--base-url {options.base_url}")
    elif options.environment != "sandbox":
        flags.append(f"--environment {options.environment}")
    return " ".join(flags)


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")


def _write(document: Any, output: str | None) -> int:
    if output is None:
        print_json(document)
        return EXIT_OK
    try:
        Path(output).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    except OSError as exc:
        return fail("usage", f"cannot write {output}: {exc.strerror}", as_json=False)
    return EXIT_OK
