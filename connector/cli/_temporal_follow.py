"""What `connector run --engine temporal` does with a batch id that already ran, and how it
follows a batch only while a worker serves it (`connector.temporal._pollers`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.client import Client

    from connector.temporal import BatchPlan, Counts, ItemResult, Submission

__all__ = ["earlier_run", "results_of"]


async def earlier_run(
    submission: Submission, plan: BatchPlan, args: argparse.Namespace
) -> bool | None:
    """For a batch id that already ran: True when it ran to the end (said on stderr, with
    how to run the inputs again); None for a batch this command started or one still running
    on this task queue.

    Raises:
        UsageError: it ended otherwise (failed, terminated, timed out), or it runs on another
            task queue (following it here would wait for a worker that never comes).
    """
    from temporalio.client import WorkflowExecutionStatus

    from connector._errors import UsageError

    if submission.started:
        return None
    described = await submission.handle.describe()
    again = f"to send these inputs again, give another --batch-id (for example {plan.batch_id}-2)"
    if described.status == WorkflowExecutionStatus.COMPLETED:
        when = f" at {described.close_time:%Y-%m-%d %H:%M:%S} UTC" if described.close_time else ""
        sys.stderr.write(
            f"batch {plan.batch_id} already ran to the end{when}: its results are written "
            f"again and nothing is sent; {again}\n"
        )
        return True
    if described.status != WorkflowExecutionStatus.RUNNING:
        status = described.status.name if described.status else "closed"
        raise UsageError(f"batch {plan.batch_id} ended {status}: nothing is sent; {again}")
    if described.task_queue != args.task_queue:
        raise UsageError(
            f"batch {plan.batch_id} runs on task queue {described.task_queue!r}, not "
            f"{args.task_queue!r}: start a worker on {described.task_queue!r} to finish it, "
            f"or {again}"
        )
    return None


async def results_of(
    client: Client,
    submission: Submission,
    plan: BatchPlan,
    args: argparse.Namespace,
    on_progress: Callable[[Counts], None],
    *,
    finished: bool | None,
) -> AsyncIterator[ItemResult]:
    """The batch's results: read back when it already ran to the end; else followed while a
    worker polls its task queue (a bounded wait for one, `--wait-for-worker`)."""
    from connector.temporal import finished_results, follow, no_worker, wait_for_worker, watch

    if finished:
        async for item in finished_results(client, plan):
            yield item
        return
    seconds, queue = args.wait_for_worker, args.task_queue
    if not await wait_for_worker(client, queue, seconds):
        raise no_worker(queue, seconds, args.address)
    watchdog = asyncio.ensure_future(watch(client, queue, seconds, args.address))
    try:
        following = follow(client, submission.handle, plan, on_progress=on_progress)
        while True:
            step = asyncio.ensure_future(anext(following))
            await asyncio.wait({step, watchdog}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                step.cancel()
                watchdog.result()  # raises: no worker
            try:
                yield step.result()
            except StopAsyncIteration:
                return
    finally:
        watchdog.cancel()
