"""The Conductor worker's processes: every task type served from a bounded number of them.

The SDK's `TaskHandler` starts one process per task type (and a logger process): serving
the shipped catalogue took 32 processes. Here each task type gets one SDK `TaskRunner`
(its poll loop, its own HTTP client) on a thread, and the task types are dealt round-robin
over `processes` processes: one by default, which is the command's own process (no child
at all); with more, each is a spawned child and the command waits for them. The work is
I/O (polling, one HTTP request per task), so threads serve it; processes are for spreading
many busy task types over cores.

Stopping: SIGINT or SIGTERM asks every runner to stop after its current poll, children
included (they are sent SIGTERM); a child that does not stop in time is killed.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Sequence
from typing import Any

from conductor.client.automator.task_runner import TaskRunner

__all__ = ["deal", "serve"]

STOP_SECONDS = 10.0
"""How long runners and children get to finish their current poll before being left/killed."""


def deal(workers: Sequence[Any], processes: int) -> list[list[Any]]:
    """The workers dealt round-robin into at most `processes` non-empty groups."""
    count = max(1, min(processes, len(workers)))
    return [list(workers[start::count]) for start in range(count)]


def serve(
    workers: Sequence[Any], configuration: Any, processes: int, stop: threading.Event
) -> int | None:
    """Serve every worker until `stop` is set: in this process, or in `processes` children.

    Returns:
        None when stopped; a child's exit code when one ended on its own (the others are
        stopped with it: a worker that lost part of its task types says so and ends).
    """
    groups = deal(workers, processes)
    if len(groups) == 1:
        _serve_threads(groups[0], configuration, stop)
        return None
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_child, args=(group, configuration)) for group in groups]
    for child in children:
        child.start()
    try:
        while not stop.wait(0.5):
            ended = [child.exitcode for child in children if not child.is_alive()]
            if ended:
                return ended[0]
        return None
    finally:
        for child in children:
            child.terminate()  # SIGTERM: the child stops its runners
        for child in children:
            child.join(STOP_SECONDS)
            if child.is_alive():
                child.kill()
                child.join()


def _serve_threads(workers: Sequence[Any], configuration: Any, stop: threading.Event) -> None:
    runners = [TaskRunner(worker, configuration) for worker in workers]
    threads = [
        threading.Thread(target=runner.run, name=f"conductor-{w.get_task_definition_name()}")
        for runner, w in zip(runners, workers, strict=True)
    ]
    for thread in threads:
        thread.daemon = True  # a runner stuck in a request does not hold the exit
        thread.start()
    stop.wait()
    for runner in runners:
        runner.stop()
    for thread in threads:
        thread.join(STOP_SECONDS / max(1, len(threads)))


def _child(workers: Sequence[Any], configuration: Any) -> None:
    """A child process: its share of the task types until SIGTERM (Ctrl-C is the parent's)."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _serve_threads(workers, configuration, stop)
