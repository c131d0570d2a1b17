"""An Arazzo workflow run durably: a Temporal workflow that advances a cursor one step at a
time, each step an activity on a worker that serves the document.

    ArazzoWorkflow(job)   start -> (sleep the retry's wait) -> step -> ... -> the cursor
                          a step not safe to repeat gets one activity attempt; if its worker
                          is lost, `lost` records it and the run ends FAILED (never sent twice)

Like `_workflows`, this module imports nothing but the SDK and the standard library: the
cursor is a plain dict the activities (`_arazzo_activities`) read and write, so every
decision (criteria, outputs, actions) is made on the worker by the same runner a local run
uses, and the workflow only keeps the cursor and the timers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

START = "connector.arazzo_start"
STEP = "connector.arazzo_step"
LOST = "connector.arazzo_lost"
WORKFLOW_NAME = "connector.arazzo"
SAFE_ATTEMPTS = 5
"""Activity attempts for a step safe to repeat (one for any other)."""


@dataclass
class ArazzoJob:
    """One run: the document (by the name the worker serves it under), workflow, inputs."""

    document: str
    workflow_id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    max_steps: int = 100
    step_seconds: float = 60.0
    heartbeat_seconds: float = 2.0


@workflow.defn(name=WORKFLOW_NAME)
class ArazzoWorkflow:
    """Advances the cursor until the run is COMPLETED, FAILED or STOPPED; returns it."""

    @workflow.run
    async def run(self, job: ArazzoJob) -> dict[str, Any]:
        """The final cursor (status, reason, outputs, one record per step run)."""
        cursor: dict[str, Any] = await workflow.execute_activity(
            START,
            job,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        while cursor["status"] == "RUNNING":
            if cursor["wait"] > 0:
                await workflow.sleep(timedelta(seconds=cursor["wait"]))
            cursor = await self._step(job, cursor)
        return cursor

    async def _step(self, job: ArazzoJob, cursor: dict[str, Any]) -> dict[str, Any]:
        attempts = SAFE_ATTEMPTS if cursor["safe"] else 1
        try:
            result: dict[str, Any] = await workflow.execute_activity(
                STEP,
                args=[job, cursor],
                start_to_close_timeout=timedelta(seconds=job.step_seconds),
                heartbeat_timeout=timedelta(seconds=job.heartbeat_seconds),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=0.5), maximum_attempts=attempts
                ),
            )
        except ActivityError as error:
            why = str(error.cause or error)
            result = await workflow.execute_activity(
                LOST,
                args=[job, cursor, why],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
        return result
