"""Submitting a batch to Temporal and following it: chunks, progress, results in input order.

    plan = BatchPlan.build(batch_id, task, items, concurrency=20)
    submission = await submit(client, plan, task_queue="payouts")
    async for item in follow(client, submission.handle, plan, on_progress=print):
        ...                                   # ItemResult(line, result), in input order

The batch id is the workflow id, and a batch id is never reused (`REJECT_DUPLICATE`): a second
`submit` of the same plan attaches to the first run instead of starting another, and its
`follow` sends only the chunks the workflow has not received. The same id with different
inputs is refused (the workflow keeps a fingerprint of the plan).

Chunks go to the workflow by signal, a few ahead of the ones running, so neither the start
input nor any one signal grows with the batch. Results are read from each finished chunk
workflow, one chunk at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import UsageError
from connector.temporal._workflows import (
    EXECUTION_TIMEOUT,
    TASK_TIMEOUT,
    ActivityOptions,
    BatchInput,
    BatchWorkflow,
    Chunk,
    ChunkWorkflow,
    Counts,
    Item,
    ItemResult,
    Progress,
    chunk_id,
)

__all__ = ["BatchPlan", "Submission", "finished_results", "follow", "submit"]

CHUNK_ITEMS = 100
CHUNK_BYTES = 256 * 1024
"""A chunk's inputs stay well under Temporal's 2 MB payload limit."""
WINDOW = 4
"""Chunks sent ahead of the running ones."""
QUERY_SECONDS = 5.0
WAITING_SECONDS = 10.0

BatchHandle = WorkflowHandle[BatchWorkflow, Counts]


@dataclass(frozen=True)
class Submission:
    """The batch's workflow, and whether this submission started it (False: attached)."""

    handle: BatchHandle
    started: bool


@dataclass(frozen=True)
class BatchPlan:
    """What is submitted: the batch id, the task name, the chunks and how to run them."""

    batch_id: str
    task: str
    chunks: tuple[Chunk, ...]
    concurrency: int
    activity: ActivityOptions

    @classmethod
    def build(
        cls,
        batch_id: str,
        task: str,
        items: Sequence[Item],
        *,
        concurrency: int,
        activity: ActivityOptions,
        chunk_items: int = CHUNK_ITEMS,
    ) -> BatchPlan:
        """Split `items` into chunks of at most `chunk_items` items and CHUNK_BYTES of input."""
        return cls(batch_id, task, tuple(_chunks(items, chunk_items)), concurrency, activity)

    @property
    def total(self) -> int:
        """How many items the batch holds."""
        return sum(len(chunk.items) for chunk in self.chunks)

    def fingerprint(self) -> str:
        """A digest of the task and every item: the same id must mean the same batch."""
        digest = hashlib.sha256(self.task.encode())
        for chunk in self.chunks:
            for item in chunk.items:
                digest.update(json.dumps([item.line, item.inputs], sort_keys=True).encode())
        return digest.hexdigest()

    def start_input(self) -> BatchInput:
        """The workflow's start argument (no items: they follow by signal)."""
        return BatchInput(
            task=self.task,
            total=self.total,
            chunk_count=len(self.chunks),
            concurrency=self.concurrency,
            activity=self.activity,
            fingerprint=self.fingerprint(),
        )


def _chunks(items: Sequence[Item], chunk_items: int) -> list[Chunk]:
    chunks: list[Chunk] = []
    current: list[Item] = []
    size = 0
    for item in items:
        item_size = len(json.dumps(item.inputs))
        if current and (len(current) >= chunk_items or size + item_size > CHUNK_BYTES):
            chunks.append(Chunk(len(chunks), current))
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        chunks.append(Chunk(len(chunks), current))
    return chunks


async def submit(client: Client, plan: BatchPlan, *, task_queue: str) -> Submission:
    """Start the batch workflow, or attach to the one already started under this id."""
    try:
        handle = await client.start_workflow(
            BatchWorkflow.run,
            plan.start_input(),
            id=plan.batch_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            task_timeout=TASK_TIMEOUT,
            execution_timeout=EXECUTION_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        return Submission(client.get_workflow_handle_for(BatchWorkflow.run, plan.batch_id), False)
    return Submission(handle, True)


async def follow(
    client: Client,
    handle: BatchHandle,
    plan: BatchPlan,
    *,
    on_progress: Callable[[Counts], None] | None = None,
    on_waiting: Callable[[], None] | None = None,
    poll_seconds: float = 0.25,
    clock: Clock = SYSTEM_CLOCK,
    sleep: Callable[[float], Any] = asyncio.sleep,
) -> AsyncIterator[ItemResult]:
    """Send the chunks the workflow still needs and yield every item's result in input order.

    Args:
        on_progress: called after each poll with the counts of items done so far.
        on_waiting: called once when the workflow has not answered for WAITING_SECONDS
            (no worker polls the task queue).
        clock: measures that silence.
        sleep: the wait between polls, awaited (a clock's own sleep would block the loop).

    Raises:
        UsageError: the batch id already holds a different batch.
    """
    next_chunk = 0
    silent_since: float | None = clock.monotonic()
    while next_chunk < len(plan.chunks):
        progress = await _progress(handle)
        if progress is None:
            if silent_since is not None and clock.monotonic() - silent_since >= WAITING_SECONDS:
                silent_since = None  # said once
                if on_waiting is not None:
                    on_waiting()
            await sleep(poll_seconds)
            continue
        silent_since = None
        _check(progress, plan)
        await _send_missing(handle, plan, progress)
        while next_chunk < len(plan.chunks) and next_chunk in progress.done_chunks:
            for item in await _chunk_results(client, plan.batch_id, next_chunk):
                yield item
            next_chunk += 1
        if on_progress is not None:
            on_progress(await _done(client, plan.batch_id, progress))
        if next_chunk < len(plan.chunks):
            await sleep(poll_seconds)
    await handle.result()


async def finished_results(client: Client, plan: BatchPlan) -> AsyncIterator[ItemResult]:
    """Every item's result of a batch that ran to the end, in input order: read from its
    chunk workflows' results, which needs no worker (a query of the batch would)."""
    for index in range(len(plan.chunks)):
        for item in await _chunk_results(client, plan.batch_id, index):
            yield item


async def _progress(handle: BatchHandle) -> Progress | None:
    """The workflow's progress, or None while it cannot answer yet (no worker, first task)."""
    try:
        return await handle.query(
            BatchWorkflow.progress, rpc_timeout=timedelta(seconds=QUERY_SECONDS)
        )
    except (RPCError, WorkflowQueryFailedError):
        return None


def _check(progress: Progress, plan: BatchPlan) -> None:
    if progress.fingerprint != plan.fingerprint():
        raise UsageError(
            f"batch id {plan.batch_id!r} already holds a different batch (other task or "
            "inputs): choose another --batch-id"
        )


async def _send_missing(handle: BatchHandle, plan: BatchPlan, progress: Progress) -> None:
    received = {*progress.done_chunks, *progress.running_chunks, *progress.buffered_chunks}
    room = WINDOW - len(progress.buffered_chunks)
    missing = [chunk for chunk in plan.chunks if chunk.index not in received]
    for chunk in missing[: max(room, 0)]:
        await handle.signal(BatchWorkflow.add_chunk, chunk)


async def _chunk_results(client: Client, batch_id: str, index: int) -> list[ItemResult]:
    chunk = client.get_workflow_handle_for(ChunkWorkflow.run, chunk_id(batch_id, index))
    return await chunk.result()


async def _done(client: Client, batch_id: str, progress: Progress) -> Counts:
    """Items done: the finished chunks' counts plus what the running chunks report."""
    done = Counts()
    done.add(progress.counts)
    for index in progress.running_chunks:
        chunk = client.get_workflow_handle_for(ChunkWorkflow.run, chunk_id(batch_id, index))
        try:
            counts = await chunk.query(
                ChunkWorkflow.progress, rpc_timeout=timedelta(seconds=QUERY_SECONDS)
            )
        except (RPCError, WorkflowQueryFailedError):
            continue
        done.add(counts)
    return done
