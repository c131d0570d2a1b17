"""The Temporal worker: the batch workflows and the task activity on one task queue.

`serve(...)` connects, runs the worker until `stop` is set (SIGINT/SIGTERM in the command) and
shuts down gracefully. Activities are synchronous (the executor blocks on HTTP), so they run
in a thread pool whose size is the number of activities in flight on this worker.

The workflows stay in Temporal's sandbox, but the `connector` package is passed through: the
sandbox would otherwise re-import the package (and its HTTP stack, whose modules it refuses)
for every workflow run just to reach `connector.temporal._workflows`. That module imports
nothing but the SDK and the standard library's asyncio and dataclasses (a test reads its
imports), so passing it through keeps replay deterministic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from connector._task import Task
from connector.arazzo import Checked
from connector.temporal._activities import Target, TaskActivities
from connector.temporal._arazzo_activities import ArazzoActivities
from connector.temporal._arazzo_workflow import ArazzoWorkflow
from connector.temporal._workflows import BatchWorkflow, ChunkWorkflow

__all__ = ["DEFAULT_ACTIVITIES", "serve"]

DEFAULT_ACTIVITIES = 20
STICKY_TIMEOUT = timedelta(seconds=2)
"""A workflow task cached on a dead worker moves to another one after this (default 10 s)."""
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("connector")
)


async def serve(
    *,
    address: str,
    namespace: str,
    task_queue: str,
    tasks: Mapping[str, Task],
    environment: str | None = None,
    base_url: str | None = None,
    allow_hosts: Iterable[str] = (),
    max_activities: int = DEFAULT_ACTIVITIES,
    activities_per_second: float | None = None,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[], None] | None = None,
    targets: Mapping[str, Target] | None = None,
    documents: Mapping[str, Checked] | None = None,
) -> None:
    """Run the worker until `stop` is set (or forever).

    `documents`: Arazzo documents (by name) whose workflows this worker runs durably.
    `activities_per_second` limits the whole task queue (the server enforces it across every
    worker): pacing to an API's rate limit for all machines together.

    Raises:
        RuntimeError: the server cannot be reached (temporalio's connection error).
    """
    client = await Client.connect(address, namespace=namespace)
    activities = TaskActivities(
        tasks,
        environment=environment,
        base_url=base_url,
        allow_hosts=allow_hosts,
        targets=targets,
    )
    arazzo = ArazzoActivities(
        documents or {}, environment=environment, base_url=base_url, allow_hosts=allow_hosts
    )
    with ThreadPoolExecutor(max_workers=max_activities) as pool:
        worker = Worker(
            client,
            task_queue=task_queue,
            workflows=[BatchWorkflow, ChunkWorkflow, ArazzoWorkflow],
            workflow_runner=SANDBOX,
            activities=[activities.run_task, arazzo.start, arazzo.step, arazzo.lost],
            activity_executor=pool,
            max_concurrent_activities=max_activities,
            max_task_queue_activities_per_second=activities_per_second,
            sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
            graceful_shutdown_timeout=timedelta(seconds=5),
        )
        async with worker:
            if on_ready is not None:
                on_ready()
            await (stop or asyncio.Event()).wait()
