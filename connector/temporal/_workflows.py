"""The batch as Temporal workflows: a parent that hands out chunks, a child per chunk.

    BatchWorkflow (id = the batch id)     receives chunks by signal, runs two ChunkWorkflows
      |                                   at a time, continues as new when history grows
      +- ChunkWorkflow (id = <batch>-chunk-00000)   runs its items as `connector.run_task`
                                                    activities, at most `concurrency` at once

This module imports nothing but the SDK, asyncio and dataclasses: workflow code runs in
Temporal's sandbox and is replayed, so no connector code (files, clocks, environment) may run
here. The activity is named by a string; the worker registers it (`_activities`). Items travel
as plain dicts; a result travels as the structured response's JSON text with its status
beside it, so the workflow never walks a response body (the sandbox makes every nested
object it converts costly, and a slow activation is taken for a deadlock).

History stays bounded: a chunk holds at most a few hundred items (its input and its results
are single payloads), and the parent continues as new when the server suggests it, carrying
only counts, the finished chunk indexes and the chunks not yet started.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

ACTIVITY_NAME = "connector.run_task"
PARALLEL_CHUNKS = 2
TASK_TIMEOUT = timedelta(seconds=3)
"""A workflow task held by a dead worker is given to another after this (default 10 s)."""
EXECUTION_TIMEOUT = timedelta(days=7)
"""Bounds a batch (continue-as-new runs included) and each chunk."""


@dataclass
class ActivityOptions:
    """How the workflow runs one item: timeouts and Temporal's retry policy across attempts."""

    start_to_close_seconds: float
    heartbeat_seconds: float = 5.0
    initial_interval_seconds: float = 1.0
    backoff_coefficient: float = 2.0
    maximum_interval_seconds: float = 60.0
    maximum_attempts: int = 5


@dataclass
class Item:
    """One input of the batch and its line in the input file."""

    line: int
    inputs: dict[str, Any]


@dataclass
class TaskCall:
    """The activity's argument: a task name (never a path) and one input; no credential."""

    task: str
    inputs: dict[str, Any]


@dataclass
class Chunk:
    """A slice of the batch, sent to the parent by signal."""

    index: int
    items: list[Item]


@dataclass
class Outcome:
    """What the activity returns: the status, and the structured response as JSON text."""

    status: str
    result_json: str


@dataclass
class ItemResult:
    """One item's structured response (as JSON text; `result` parses it)."""

    line: int
    status: str
    result_json: str

    @property
    def result(self) -> dict[str, Any]:
        """The structured response."""
        value: dict[str, Any] = json.loads(self.result_json)
        return value


@dataclass
class ChunkInput:
    """What a ChunkWorkflow runs."""

    task: str
    items: list[Item]
    concurrency: int
    activity: ActivityOptions


@dataclass
class Counts:
    """How many items are done, and how they ended."""

    done: int = 0
    completed: int = 0
    failed: int = 0

    def add(self, other: Counts) -> None:
        """Add `other` into these counts."""
        self.done += other.done
        self.completed += other.completed
        self.failed += other.failed


@dataclass
class BatchInput:
    """What a BatchWorkflow runs; the last three fields carry state across continue-as-new."""

    task: str
    total: int
    chunk_count: int
    concurrency: int
    activity: ActivityOptions
    fingerprint: str
    counts: Counts = field(default_factory=Counts)
    done_chunks: list[int] = field(default_factory=list)
    buffered: list[Chunk] = field(default_factory=list)


@dataclass
class Progress:
    """What the `progress` query answers (a chunk's counts are added when it finishes)."""

    total: int
    chunk_count: int
    fingerprint: str
    counts: Counts
    done_chunks: list[int]
    running_chunks: list[int]
    buffered_chunks: list[int]


def chunk_id(batch_id: str, index: int) -> str:
    """The workflow id of one chunk of a batch."""
    return f"{batch_id}-chunk-{index:05d}"


@workflow.defn(name="connector.Chunk")
class ChunkWorkflow:
    """Runs one chunk's items, at most `concurrency` activities at once."""

    def __init__(self) -> None:
        self.counts = Counts()

    @workflow.query
    def progress(self) -> Counts:
        """Items of this chunk done so far."""
        return self.counts

    @workflow.run
    async def run(self, chunk: ChunkInput) -> list[ItemResult]:
        """Every item's structured response, in the chunk's order."""
        slots = asyncio.Semaphore(max(1, chunk.concurrency))

        async def one(item: Item) -> ItemResult:
            async with slots:
                outcome = await _run_item(chunk.task, item, chunk.activity)
            self.counts.add(_count(outcome.status))
            return ItemResult(item.line, outcome.status, outcome.result_json)

        return list(await asyncio.gather(*(one(item) for item in chunk.items)))


@workflow.defn(name="connector.Batch")
class BatchWorkflow:
    """The batch: chunks arrive by signal and run as child workflows, two at a time."""

    @workflow.init
    def __init__(self, batch: BatchInput) -> None:
        self.state = batch
        self.running: set[int] = set()
        self.broken: BaseException | None = None

    @workflow.signal
    def add_chunk(self, chunk: Chunk) -> None:
        """Queue a chunk; one already received (a second submission) is ignored."""
        if chunk.index not in self._received() and 0 <= chunk.index < self.state.chunk_count:
            self.state.buffered.append(chunk)

    @workflow.query
    def progress(self) -> Progress:
        """Counts so far, and which chunks are done, running and waiting."""
        state = self.state
        return Progress(
            total=state.total,
            chunk_count=state.chunk_count,
            fingerprint=state.fingerprint,
            counts=state.counts,
            done_chunks=sorted(state.done_chunks),
            running_chunks=sorted(self.running),
            buffered_chunks=sorted(chunk.index for chunk in state.buffered),
        )

    @workflow.run
    async def run(self, batch: BatchInput) -> Counts:
        """Run every chunk; the counts of the whole batch."""
        batch = self.state
        while not self._finished():
            await workflow.wait_condition(
                lambda: self._can_start() or self._must_stop() or self._finished()
            )
            if self._finished():
                break
            if self._must_stop():
                await workflow.wait_condition(lambda: not self.running)
                await workflow.wait_condition(workflow.all_handlers_finished)
                if not self._finished():
                    workflow.continue_as_new(batch)
            else:
                self._start(batch.buffered.pop(0))
        if self.broken is not None:
            raise self.broken
        return batch.counts

    def _start(self, chunk: Chunk) -> None:
        self.running.add(chunk.index)
        asyncio.create_task(self._run_chunk(chunk))  # noqa: RUF006 - tracked by self.running

    async def _run_chunk(self, chunk: Chunk) -> None:
        batch = self.state
        per_child = max(1, batch.concurrency // self._parallel())
        try:
            results = await workflow.execute_child_workflow(
                ChunkWorkflow.run,
                ChunkInput(batch.task, chunk.items, per_child, batch.activity),
                id=chunk_id(workflow.info().workflow_id, chunk.index),
                task_timeout=TASK_TIMEOUT,
                execution_timeout=EXECUTION_TIMEOUT,
            )
        except Exception as error:  # a chunk never fails for an item: this is a defect
            self.broken = error
            raise
        finally:
            self.running.discard(chunk.index)
        for item in results:
            batch.counts.add(_count(item.status))
        batch.done_chunks.append(chunk.index)

    def _finished(self) -> bool:
        return self.broken is not None or len(self.state.done_chunks) >= self.state.chunk_count

    def _can_start(self) -> bool:
        return bool(self.state.buffered) and len(self.running) < self._parallel()

    def _parallel(self) -> int:
        """Chunks run at once: two (each with half the concurrency), one for a small batch."""
        return max(1, min(PARALLEL_CHUNKS, self.state.chunk_count, self.state.concurrency))

    def _must_stop(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

    def _received(self) -> set[int]:
        state = self.state
        return {*state.done_chunks, *self.running, *(chunk.index for chunk in state.buffered)}


async def _run_item(task: str, item: Item, options: ActivityOptions) -> Outcome:
    """The item's structured response: the activity's result, or the last failure's."""
    try:
        outcome: Outcome = await workflow.execute_activity(
            ACTIVITY_NAME,
            TaskCall(task, item.inputs),
            activity_id=f"item-{item.line}",
            start_to_close_timeout=timedelta(seconds=options.start_to_close_seconds),
            heartbeat_timeout=timedelta(seconds=options.heartbeat_seconds),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=options.initial_interval_seconds),
                backoff_coefficient=options.backoff_coefficient,
                maximum_interval=timedelta(seconds=options.maximum_interval_seconds),
                maximum_attempts=options.maximum_attempts,
            ),
            result_type=Outcome,
        )
    except ActivityError as error:
        return _failure(error)
    return outcome


def _failure(error: ActivityError) -> Outcome:
    """The structured response a failed activity carried; UNKNOWN when it carried none."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.details:
        detail = cause.details[0]
        if isinstance(detail, str):
            return Outcome("FAILED", detail)
    # timed out (a lost worker on the last attempt) or cancelled: the request may have gone
    message = f"the activity ended without an answer ({type(cause).__name__}: {cause or error})"
    return Outcome("UNKNOWN", json.dumps({"message": message}))


def _count(status: str) -> Counts:
    completed = status == "COMPLETED"
    return Counts(done=1, completed=int(completed), failed=int(not completed))
