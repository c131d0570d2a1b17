"""`connector worker --engine conductor`: polls Conductor for connector tasks until stopped.

Imports nothing heavy at the top: the command line reads `add_arguments` at start-up.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from connector.cli._output import EXIT_OK, fail, fail_with


class ConductorWorkerCommand:
    """The SDK's task handler with one connector worker process per task."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """`--server URL` (else `CONDUCTOR_SERVER_URL`)."""
        group = parser.add_argument_group("Conductor (--engine conductor)")
        group.add_argument(
            "--server",
            metavar="URL",
            help="Conductor: the API root (default: $CONDUCTOR_SERVER_URL)",
        )

    def run(self, args: argparse.Namespace) -> int:
        """Poll until Ctrl-C (exit 130) or SIGTERM (exit 143); both stop every process."""
        server = args.server or os.environ.get("CONDUCTOR_SERVER_URL")
        if not server:
            message = "give --server or set CONDUCTOR_SERVER_URL (e.g. http://host:8080/api)"
            return fail("usage", message, as_json=False)
        try:
            from conductor.client.automator.task_handler import TaskHandler
            from conductor.client.configuration.configuration import Configuration

            from connector.engines.conductor.worker import worker_for
        except ImportError:
            message = "install the extra: pip install 'connector[conductor]'"
            return fail("usage", message, as_json=False)
        from connector._catalog import task_names
        from connector._errors import ConnectorError

        refused = _refusal(args.task or task_names(), args)
        if refused is not None:
            return fail("usage", refused, as_json=False)
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
        signal.signal(signal.SIGTERM, _exit_on_signal)  # a stopped container ends its workers
        try:
            handler.start_processes()
            handler.join_processes()
        finally:
            handler.stop_processes()
        return EXIT_OK


def _refusal(names: list[str], args: argparse.Namespace) -> str | None:
    """The first served task the worker may not send for (`connector._target.refusal`)."""
    from connector._catalog import load_task
    from connector._errors import ConnectorError
    from connector._target import choose, refusal

    for name in names:
        try:
            template = load_task(name).template
        except ConnectorError:
            continue  # reported by worker_for below
        chosen = choose(template, args.environment, args.base_url)
        refused = refusal(
            template,
            chosen.environment,
            args.base_url,
            without_credentials=args.no_credentials,
            confirmed=args.yes,
        )
        if refused is not None:
            return f"task '{name}': {refused.message}"
    return None


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # the `finally` above still stops the worker processes


WORKER = ConductorWorkerCommand()
