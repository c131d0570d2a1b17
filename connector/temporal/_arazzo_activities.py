"""The activities of a durable Arazzo run, on the worker that serves the document.

`start` checks the inputs and makes the first cursor; `step` runs the cursor's step through
the connector's executor (validation, host-bound credentials, redaction, the template's
retries) and decides as a local run does (`connector.arazzo._durable`); `lost` records a
step whose worker was lost and which is not safe to send again. The document is named, never
given as a path: a worker runs only the documents it was started with. A background thread
heartbeats while a step runs, so a dead worker is noticed after the heartbeat timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from connector._executor import Executor
from connector._result import TaskResult
from connector.arazzo import Checked
from connector.arazzo._durable import advance, lost, start
from connector.arazzo._sources import Operation
from connector.temporal._activities import _heartbeat_interval, _heartbeating
from connector.temporal._arazzo_workflow import LOST, START, STEP, ArazzoJob

__all__ = ["ArazzoActivities"]


class ArazzoActivities:
    """The three activities for a fixed set of Arazzo documents, by name."""

    def __init__(
        self,
        documents: Mapping[str, Checked],
        *,
        environment: str | None = None,
        base_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        allow_hosts: Iterable[str] = (),
    ) -> None:
        self.documents = dict(documents)
        self.environment = environment
        self.base_url = base_url
        self.environ = environ
        self.allow_hosts = tuple(allow_hosts)
        self._local = threading.local()

    def _checked(self, job: ArazzoJob) -> Checked:
        checked = self.documents.get(job.document)
        if checked is None:
            served = ", ".join(sorted(self.documents)) or "none"
            raise ApplicationError(
                f"this worker does not serve document {job.document!r} (it serves: {served})",
                type="usage",
                non_retryable=True,
            )
        return checked

    @activity.defn(name=START)
    def start(self, job: ArazzoJob) -> dict[str, Any]:
        """The first cursor; a non-retryable error when the run cannot start."""
        from connector._errors import ConnectorError  # noqa: PLC0415 - the error tree only here

        try:
            return start(self._checked(job), job.workflow_id, job.inputs, max_steps=job.max_steps)
        except ConnectorError as exc:
            said = "; ".join([exc.message, *(str(e) for e in exc.field_errors)])
            raise ApplicationError(said, type=exc.kind, non_retryable=True) from None

    @activity.defn(name=STEP)
    def step(self, job: ArazzoJob, cursor: dict[str, Any]) -> dict[str, Any]:
        """The cursor after one run of its step."""
        checked = self._checked(job)
        with _heartbeating(_heartbeat_interval()):
            return advance(checked, cursor, self._send)

    @activity.defn(name=LOST)
    def lost(self, job: ArazzoJob, cursor: dict[str, Any], why: str) -> dict[str, Any]:
        """The cursor after a step that may not be sent again was lost with its worker."""
        return lost(self._checked(job), cursor, why)

    def _send(
        self, operation: Operation, inputs: dict[str, Any], deadline: float | None
    ) -> TaskResult:
        return self._executor().run(
            operation.task, inputs, environment=self.environment, base_url=self.base_url,
            deadline=deadline,
        )  # fmt: skip

    def _executor(self) -> Executor:
        executor: Executor | None = getattr(self._local, "executor", None)
        if executor is None:
            executor = Executor(environ=self.environ, allow_hosts=self.allow_hosts)
            self._local.executor = executor
        return executor
