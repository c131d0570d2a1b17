"""Whether a worker serves a batch's task queue: a batch is never followed without one.

Temporal keeps a task queue's recent pollers (`DescribeTaskQueue`), each with when it last
polled; a queue none has polled for workflow tasks lately has no worker of any batch on it.
`wait_for_worker` waits a bounded time for one to appear; `watch` ends a follow when none
has polled for that long (a worker that died and was not replaced), so `connector run
--engine temporal` never waits for ever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError

from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import UsageError

__all__ = ["has_worker", "no_worker", "wait_for_worker", "watch"]

CHECK_SECONDS = 1.0
STALE_SECONDS = 75.0
"""A live worker's long poll lasts up to a minute, and its poller's last access is when the
poll began: a poller not seen for longer belongs to a worker that is gone."""


async def has_worker(
    client: Client, task_queue: str, *, now: Callable[[], float] = time.time
) -> bool:
    """Whether some worker polled the queue for workflow tasks in the last STALE_SECONDS
    (the server lists a dead worker's poller for minutes)."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    try:
        answer = await client.workflow_service.describe_task_queue(request)
    except RPCError:
        return False
    moment = now()
    return any(
        moment - poller.last_access_time.ToDatetime(UTC).timestamp() <= STALE_SECONDS
        for poller in answer.pollers
    )


async def wait_for_worker(
    client: Client,
    task_queue: str,
    seconds: float,
    *,
    clock: Clock = SYSTEM_CLOCK,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> bool:
    """Whether a worker polls the queue within `seconds` (checked every CHECK_SECONDS)."""
    deadline = clock.monotonic() + seconds
    while not await has_worker(client, task_queue):
        if clock.monotonic() >= deadline:
            return False
        await sleep(CHECK_SECONDS)
    return True


async def watch(client: Client, task_queue: str, seconds: float, address: str) -> None:
    """Return never while a worker polls; raise once none has for `seconds`.

    Raises:
        UsageError: no worker on the queue (the message says how to start one).
    """
    while await wait_for_worker(client, task_queue, seconds):
        await asyncio.sleep(CHECK_SECONDS)
    raise no_worker(task_queue, seconds, address)


def no_worker(task_queue: str, seconds: float, address: str) -> UsageError:
    """The error of a batch whose queue no worker has polled for `seconds`."""
    return UsageError(
        f"no worker polls task queue {task_queue!r} (waited {seconds:g} s): start one with "
        f"`connector worker --engine temporal --address {address} --task-queue {task_queue}`; "
        "the batch is kept in Temporal, and the same command follows it"
    )
