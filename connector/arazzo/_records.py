"""What a run of an Arazzo workflow did: its limits, each step run, and the whole run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from connector._result import TaskResult
from connector.arazzo._expressions import Exchange

__all__ = ["Limits", "Status", "StepRecord", "WorkflowRun"]

Status = Literal["COMPLETED", "FAILED", "STOPPED"]


@dataclass(frozen=True)
class Limits:
    """What one run may spend: step runs (retries and gotos included) and seconds."""

    max_steps: int = 100
    deadline_seconds: float = 600.0


@dataclass(frozen=True)
class StepRecord:
    """One run of one step."""

    workflow_id: str
    step_id: str
    attempt: int
    succeeded: bool
    action: str
    reason: str = ""
    inputs: Mapping[str, Any] | None = None
    result: TaskResult | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON (the result as the connector writes results: redacted)."""
        return {
            "workflowId": self.workflow_id,
            "stepId": self.step_id,
            "attempt": self.attempt,
            "succeeded": self.succeeded,
            "action": self.action,
            "reason": self.reason,
            "result": self.result.to_json() if self.result is not None else None,
        }


@dataclass
class WorkflowRun:
    """What a run did: its status, outputs, every step run, and why it ended."""

    workflow_id: str
    status: Status = "COMPLETED"
    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    reason: str = ""
    last: Exchange | None = None

    def to_json(self) -> dict[str, Any]:
        """The run as JSON."""
        return {
            "workflowId": self.workflow_id,
            "status": self.status,
            "reason": self.reason,
            "outputs": self.outputs,
            "steps": [record.to_json() for record in self.steps],
        }
