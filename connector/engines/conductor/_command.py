"""`connector worker --engine conductor`: polls Conductor for connector tasks until stopped.

Imports nothing heavy at the top: the command line reads `add_arguments` at start-up.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

from connector.cli._output import EXIT_FAILED, EXIT_OK, fail, fail_with


class ConductorWorkerCommand:
    """Every task type served by SDK task runners in a bounded number of processes."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """`--server URL` (else `CONDUCTOR_SERVER_URL`) and `--processes N`."""
        group = parser.add_argument_group("Conductor (--engine conductor)")
        group.add_argument(
            "--server",
            metavar="URL",
            help="Conductor: the API root (default: $CONDUCTOR_SERVER_URL)",
        )
        group.add_argument(
            "--processes",
            metavar="N",
            type=int,
            default=1,
            help="Conductor: processes the task types are spread over (default 1: this one)",
        )

    def run(self, args: argparse.Namespace) -> int:
        """Poll until Ctrl-C (exit 130) or SIGTERM (exit 143); both stop every process."""
        server = args.server or os.environ.get("CONDUCTOR_SERVER_URL")
        if not server:
            message = "give --server or set CONDUCTOR_SERVER_URL (e.g. http://host:8080/api)"
            return fail("usage", message, as_json=False)
        if args.processes < 1:
            return fail("usage", "--processes must be at least 1", as_json=False)
        try:
            from connector.engines.conductor._pool import serve  # noqa: F401 - the SDK is there
            from connector.engines.conductor.worker import worker_for
        except ImportError:
            message = "install the extra: pip install 'connector[conductor]'"
            return fail("usage", message, as_json=False)
        from connector._catalog import load_task, task_names
        from connector._errors import ConnectorError
        from connector.cli._worker_targets import worker_targets

        try:
            names = list(args.task or task_names())
            tasks = [load_task(name) for name in names]
            with worker_targets(args, tasks) as targets:
                workers = [
                    worker_for(
                        name,
                        environment=targets[task.name].environment,
                        base_url=targets[task.name].base_url,
                        environ=targets[task.name].environ,
                        allow_hosts=args.allow_host or (),
                    )
                    for name, task in zip(names, tasks, strict=True)
                ]
                return _serve(workers, server, args.processes)
        except ConnectorError as exc:
            return fail_with(exc, as_json=False)


def _serve(workers: list[Any], server: str, processes: int) -> int:
    """Poll until SIGINT or SIGTERM; the exit code says which."""
    from conductor.client.configuration.configuration import Configuration

    from connector.engines.conductor._pool import serve

    names = ", ".join(w.get_task_definition_name() for w in workers)
    sys.stderr.write(f"polling {server} for {names}\n")
    sys.stderr.flush()
    stop, code = threading.Event(), [EXIT_OK]

    def stopping(signum: int, _frame: object) -> None:
        code[0] = 128 + signum  # Ctrl-C: 130, SIGTERM (a stopped container): 143
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stopping)
    ended = serve(workers, Configuration(server_api_url=server), processes, stop)
    if ended is not None:
        sys.stderr.write(f"error: a worker process exited with {ended}: stopping the others\n")
        return EXIT_FAILED
    return code[0]


WORKER = ConductorWorkerCommand()
