"""`connector export`, `connector import` and `connector worker`: the workflow-engine edge."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from connector.cli._output import EXIT_OK, fail, fail_with, print_json
from connector.cli._render import add_allow_host
from connector.cli._temporal import add_options as add_temporal_options
from connector.cli._temporal import run_worker as run_temporal_worker

_ENGINES = ["simworkflow", "conductor"]


def register(commands: Any) -> None:
    """Add `export`, `import` and `worker`."""
    export = commands.add_parser("export", help="write a task as a workflow engine's HTTP task")
    export.add_argument("task", metavar="TASK", help="task name or template file path")
    export.add_argument("--engine", required=True, choices=_ENGINES, help="the workflow engine")
    export.add_argument("--workflow", metavar="NAME", help="write a whole workflow definition")
    export.add_argument(
        "--credentials",
        metavar="ID",
        help="SimWorkflow: saved credentials id; Conductor: secret name (default: the auth env)",
    )
    export.add_argument(
        "--environment",
        choices=["sandbox", "live", "local"],
        default="sandbox",
        help="whose base URL the engine's task calls (default: sandbox)",
    )
    export.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    export.add_argument(
        "--fields",
        metavar="NAME,...",
        help="only these body fields (and the required ones): the engine sends a missing "
        "input as null, so leave out what the workflow will not give",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export, json=False)

    read = commands.add_parser("import", help="read an engine's HTTP task into a task template")
    read.add_argument("file", metavar="FILE", help="engine task or workflow JSON (- for stdin)")
    read.add_argument("--engine", required=True, choices=_ENGINES, help="the workflow engine")
    read.add_argument("--task", metavar="NAME", help="the HTTP task to pick from a workflow")
    read.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    add_allow_host(read)
    read.set_defaults(handler=run_import, json=False)

    worker = commands.add_parser(
        "worker", help="run tasks for a workflow engine (Conductor, Temporal)"
    )
    worker.add_argument(
        "--engine", required=True, choices=["conductor", "temporal"], help="the workflow engine"
    )
    worker.add_argument("--task", metavar="TASK", action="append", help="repeatable; default all")
    worker.add_argument(
        "--environment",
        choices=["sandbox", "live", "local"],
        help="where the worker sends (default: sandbox when credentials are set)",
    )
    worker.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    worker.add_argument(
        "--server", metavar="URL", help="the Conductor API (default: $CONDUCTOR_SERVER_URL)"
    )
    add_temporal_options(worker)
    add_allow_host(worker)
    worker.set_defaults(handler=run_worker, json=False)


def run_export(args: argparse.Namespace) -> int:
    """Export one task; warnings go to stderr."""
    from connector._catalog import load_task
    from connector._errors import ConnectorError
    from connector.engines import ExportOptions, export_task
    from connector.engines._shared import with_body_fields

    options = ExportOptions(
        workflow=args.workflow,
        credentials=args.credentials,
        environment=args.environment,
        base_url=args.base_url,
    )
    try:
        task = load_task(args.task)
        if args.fields:
            task = with_body_fields(task, filter(None, map(str.strip, args.fields.split(","))))
        result = export_task(task, args.engine, options)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    if args.environment == "live" and not args.base_url:
        result.warnings.append("environment 'live': this task moves real money")
    _warn(result.warnings)
    return _write(result.document, args.output)


def run_import(args: argparse.Namespace) -> int:
    """Import one engine task as a template; how to export it back goes to stderr."""
    from connector._environment import variables_read
    from connector._errors import ConnectorError
    from connector.engines import import_task

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
        document = json.loads(text)
    except (OSError, ValueError) as exc:
        return fail("usage", f"cannot read {args.file}: {exc}", as_json=False)
    default_name = None if args.file == "-" else Path(args.file).stem
    try:
        result = import_task(document, args.engine, task=args.task, name=args.task or default_name)
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


def _check_hosts(template: Any, allow_hosts: Any) -> None:
    """Refuse an imported task that would send a credential to a host it is not bound to."""
    from connector.auth import HostPolicy

    urls = {f"servers.{name}": url for name, url in template.base_urls.items()}
    urls["httpRequest.url"] = template.http_request.url
    HostPolicy.from_environ(os.environ, allow_hosts).check_template(
        template.auth, urls, task=template.name
    )


def run_worker(args: argparse.Namespace) -> int:
    """Poll the engine for the tasks until interrupted."""
    if args.engine == "temporal":
        return run_temporal_worker(args)
    return run_conductor_worker(args)


def run_conductor_worker(args: argparse.Namespace) -> int:
    """Poll Conductor for the tasks until interrupted (Ctrl-C or SIGTERM)."""
    server = args.server or os.environ.get("CONDUCTOR_SERVER_URL")
    if not server:
        message = "give --server or set CONDUCTOR_SERVER_URL (e.g. http://host:8080/api)"
        return fail("usage", message, as_json=False)
    try:
        from conductor.client.automator.task_handler import TaskHandler
        from conductor.client.configuration.configuration import Configuration

        from connector.engines.conductor_worker import worker_for
    except ImportError:
        return fail("usage", "install the extra: pip install 'connector[conductor]'", as_json=False)
    from connector._catalog import task_names
    from connector._errors import ConnectorError

    try:
        workers = [
            worker_for(
                name,
                environment=args.environment,
                base_url=args.base_url,
                allow_hosts=args.allow_host or (),
            )
            for name in args.task or task_names()
        ]
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    handler = TaskHandler(
        workers=workers,
        configuration=Configuration(server_api_url=server),
        scan_for_annotated_workers=False,
    )
    names = ", ".join(w.get_task_definition_name() for w in workers)
    sys.stderr.write(f"polling {server} for {names}\n")
    sys.stderr.flush()
    signal.signal(signal.SIGTERM, _interrupt)  # a stopped container ends its worker processes
    try:
        handler.start_processes()
        handler.join_processes()
    finally:
        handler.stop_processes()
    return EXIT_OK


def _interrupt(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # the `finally` above still stops the worker processes


def _export_flags(options: Any) -> str:
    flags = []
    if options.workflow:
        flags.append(f"--workflow {options.workflow}")
    if options.credentials:
        flags.append(f"--credentials {options.credentials}")
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
