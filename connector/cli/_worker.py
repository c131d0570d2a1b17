"""`connector worker --engine NAME`: run tasks for a workflow engine until stopped.

The engines with a worker, and their own options, come from the engine registry; the shared
options (--task, --environment, --base-url, --allow-host, --yes, --no-credentials) are
defined here, and every worker checks its targets at start (`_worker_targets`).
"""

from __future__ import annotations

import argparse
from typing import Any

from connector.cli._render import add_allow_host
from connector.cli._worker_targets import add_start_options


def register(commands: Any) -> None:
    """Add `worker`, with each registered worker engine's options in its own group."""
    from connector.engines import engines, load_worker

    worker = commands.add_parser("worker", help="run tasks for a workflow engine until stopped")
    choices = [engine.name for engine in engines("worker")]
    worker.add_argument("--engine", required=True, choices=choices, help="which engine")
    worker.add_argument(
        "--task", metavar="TASK", action="append", help="a task to serve (repeatable; default all)"
    )
    worker.add_argument(
        "--environment",
        choices=["sandbox", "live", "local"],
        help="where the worker sends (default: sandbox when credentials are set)",
    )
    worker.add_argument("--base-url", metavar="URL", help="replaces the environment's base URL")
    add_allow_host(worker)
    add_start_options(worker)
    for engine in engines("worker"):
        load_worker(engine.name).add_arguments(worker)
    worker.set_defaults(handler=run, json=False)


def run(args: argparse.Namespace) -> int:
    """Hand over to the chosen engine's worker command."""
    from connector.engines import load_worker

    return load_worker(args.engine).run(args)
