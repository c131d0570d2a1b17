"""`connector worker --engine temporal`: the Temporal side of the workflow-engine edge.

The worker serves the batch workflows and the task activity on one task queue until SIGINT or
SIGTERM. Where requests go (`--environment`, `--base-url`) and the credentials (the worker's
own environment variables) belong to the worker, never to a workflow's input.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from connector.cli._output import EXIT_OK, fail, fail_with

if TYPE_CHECKING:
    from connector._task import Task
    from connector.cli._worker_targets import WorkerTarget

DEFAULT_NAMESPACE = "default"


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options a Temporal client needs (the worker and `run --engine temporal`)."""
    group = parser.add_argument_group("Temporal (--engine temporal)")
    group.add_argument("--address", metavar="HOST:PORT", help="the Temporal frontend")
    group.add_argument(
        "--namespace",
        metavar="N",
        default=DEFAULT_NAMESPACE,
        help=f"Temporal namespace (default {DEFAULT_NAMESPACE})",
    )
    group.add_argument("--task-queue", metavar="Q", help="the task queue workers poll")


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    """The Temporal client options, and the task queue's rate (the worker sets it)."""
    add_options(parser)
    parser.add_argument(
        "--arazzo",
        metavar="FILE",
        action="append",
        default=[],
        help="Temporal: an Arazzo document whose workflows this worker runs durably, served "
        "under its file name up to the first dot (repeatable)",
    )
    parser.add_argument(
        "--rate",
        metavar="N/SECONDS",
        help="Temporal: at most N activities per SECONDS on the task queue, all workers "
        "together (default: the API's published limit, 3000/600s for Rebilly; 'none': "
        "unthrottled)",
    )


def missing_options(args: argparse.Namespace) -> str | None:
    """The first required Temporal option not given, as its flag."""
    for flag, value in (("--address", args.address), ("--task-queue", args.task_queue)):
        if not value:
            return flag
    return None


def run_worker(args: argparse.Namespace) -> int:
    """Serve until interrupted; one line on stderr says where and what, once polling."""
    missing = missing_options(args)
    if missing:
        return fail("usage", f"--engine temporal needs {missing}", as_json=False)
    try:
        import connector.temporal  # noqa: F401 - the extra is installed
    except ImportError:
        return fail("usage", "install the extra: pip install 'connector[temporal]'", as_json=False)
    from connector._catalog import load_task, task_names
    from connector._errors import ConnectorError

    try:
        tasks = {task.name: task for task in map(load_task, args.task or task_names())}
        per_second = activities_per_second(args.rate, tasks.values())
        documents = _documents(args.arazzo)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)
    except ValueError as exc:
        return fail("usage", f"--rate: {exc}", as_json=False)
    from connector.cli._worker_targets import worker_targets

    try:
        with worker_targets(args, list(tasks.values())) as targets:
            return _serve(args, tasks, per_second, targets, documents=documents)
    except ConnectorError as exc:
        return fail_with(exc, as_json=False)


def _serve(
    args: argparse.Namespace,
    tasks: dict[str, Task],
    per_second: float | None,
    targets: Mapping[str, WorkerTarget],
    *,
    documents: Mapping[str, Any],
) -> int:
    """Serve the checked tasks (and Arazzo documents) until SIGINT or SIGTERM."""
    from connector.temporal import serve

    _log_to_stderr()
    names = ", ".join([*sorted(tasks), *(f"arazzo:{name}" for name in sorted(documents))])

    def ready() -> None:
        sys.stderr.write(
            f"temporal worker: polling {args.task_queue!r} at {args.address} "
            f"(namespace {args.namespace}) for {names}\n"
        )
        sys.stderr.flush()

    options: dict[str, Any] = {
        "address": args.address,
        "namespace": args.namespace,
        "task_queue": args.task_queue,
        "tasks": tasks,
        "environment": args.environment,
        "base_url": args.base_url,
        "allow_hosts": getattr(args, "allow_host", None) or (),
        "on_ready": ready,
        "activities_per_second": per_second,
        "targets": {
            name: (target.environment, target.base_url, target.environ)
            for name, target in targets.items()
        },
        "documents": documents,
    }
    import asyncio  # only when serving: the parser of every command loads this module

    try:
        asyncio.run(_serve_until_signalled(serve, options))
    except RuntimeError as exc:  # temporalio's connection failure
        return exit_now(fail("usage", f"cannot reach {args.address}: {exc}", as_json=False))
    return exit_now(EXIT_OK)


def _documents(files: list[str]) -> dict[str, Any]:
    """Each `--arazzo` document, checked, by the name a run names it with."""
    from pathlib import Path

    from connector.arazzo import open_workflows

    return {Path(file).name.split(".")[0]: open_workflows(Path(file)) for file in files}


def activities_per_second(rate: str | None, tasks: Iterable[Task]) -> float | None:
    """`--rate` as activities per second for the task queue, with the local batch's headroom;
    by default the published limit of the tasks' API (when they share one)."""
    from connector.batch import KNOWN_LIMITS, parse_rate
    from connector.batch._pacing import HEADROOM

    if rate is not None:
        chosen = parse_rate(rate)
    else:
        apis = {
            task.template.operation.api.lower() if task.template.operation else "" for task in tasks
        }
        chosen = KNOWN_LIMITS.get(apis.pop()) if len(apis) == 1 else None
    return None if chosen is None else chosen.requests * HEADROOM / chosen.seconds


async def _serve_until_signalled(serve: Any, options: dict[str, Any]) -> None:
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    await serve(stop=stop, **options)


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("temporalio", "connector"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


def exit_now(code: int) -> NoReturn:
    """Leave without the interpreter's finalisation: the SDK's runtime threads can abort it
    (`PyGILState_Release`, temporalio/sdk-python#300) after a clean shutdown."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class _WorkerCommand:
    """`connector worker --engine temporal`, as the engine registry calls it."""

    add_arguments = staticmethod(add_worker_options)
    run = staticmethod(run_worker)


WORKER = _WorkerCommand()
