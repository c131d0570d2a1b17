"""An Arazzo run one step at a time, its state a JSON cursor a durable engine keeps.

    cursor = start(checked, "payout-lifecycle", inputs)        # inputs checked
    while cursor["status"] == "RUNNING":
        sleep(cursor["wait"]); cursor = advance(checked, cursor, send)   # one step run

Each `advance` is one step run of the runner (`Runner.advance`: criteria, outputs, the
action), so a durable run decides exactly as a local one. The cursor says whether the step
about to run is safe to repeat (`safe`): an engine may send it again after losing a worker
only then. A step that was in flight when its worker was lost and is not safe to repeat is
recorded by `lost` and ends the run FAILED: its outcome is unknown, and sending it again
could do it twice. A retry's wait is left to the engine (`wait`), which sleeps durably.

Workflow steps, `goto` to another workflow and `dependsOn` are refused here (their nested
runs are not in the cursor); the refusal names the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from connector._errors import FieldError, UsageError
from connector._idempotency import retry_allowed
from connector.arazzo._check import Checked
from connector.arazzo._flow import failure_actions, success_actions
from connector.arazzo._inputs import check_inputs
from connector.arazzo._model import FailureAction, SuccessAction, Workflow
from connector.arazzo._outcome import read_outputs
from connector.arazzo._records import Limits, WorkflowRun
from connector.arazzo._runner import Runner, Send, SpentError

__all__ = ["advance", "lost", "refusal", "start"]


def _workflow(checked: Checked, workflow_id: str) -> Workflow:
    workflow = checked.document.workflow(workflow_id)
    if workflow is None:
        raise UsageError(f"no workflow {workflow_id!r} in the document")
    return workflow


def refusal(checked: Checked, workflow_id: str) -> FieldError | None:
    """What a durable run cannot hold, by JSON pointer, or None."""
    workflow = _workflow(checked, workflow_id)
    where = f"/workflows/{checked.document.workflows.index(workflow)}"
    if workflow.depends_on:
        return FieldError(field=f"{where}/dependsOn", message="not run durably")
    for index, step in enumerate(workflow.steps):
        actions: list[SuccessAction | FailureAction] = [
            *success_actions(checked.document, workflow, step),
            *failure_actions(checked.document, workflow, step),
        ]
        if step.workflow_id is not None or any(a.workflow_id for a in actions):
            message = "a step or action that runs another workflow is not run durably"
            return FieldError(field=f"{where}/steps/{index}", message=message)
    return None


def start(
    checked: Checked, workflow_id: str, inputs: Mapping[str, Any], *, max_steps: int = 100
) -> dict[str, Any]:
    """The cursor before the first step; UsageError or WorkflowError when it cannot run."""
    workflow = _workflow(checked, workflow_id)
    problem = refusal(checked, workflow_id)
    if problem is not None:
        raise UsageError("the workflow cannot run durably", field_errors=[problem])
    check_inputs(checked.document, workflow, inputs)
    cursor = {
        "workflowId": workflow_id, "inputs": dict(inputs), "index": 0, "retries": {},
        "steps": {}, "spent": 0, "maxSteps": max_steps, "records": [], "status": "RUNNING",
        "reason": "", "outputs": {}, "wait": 0.0,
    }  # fmt: skip
    return {**cursor, "safe": _safe(checked, workflow, 0)}


def advance(checked: Checked, cursor: Mapping[str, Any], send: Send) -> dict[str, Any]:
    """Run the cursor's step once; the next cursor."""
    workflow = _workflow(checked, cursor["workflowId"])
    waits: list[float] = []
    limits = Limits(max_steps=int(cursor["maxSteps"]), deadline_seconds=math.inf)
    runner = Runner(checked, send, limits=limits, sleep=waits.append)
    runner.begin(spent=int(cursor["spent"]))
    scope = runner.scope_for(cursor["inputs"])
    scope.steps.update(cursor["steps"])
    run = WorkflowRun(workflow.workflow_id)
    retries = {s.step_id: int(cursor["retries"].get(s.step_id, 0)) for s in workflow.steps}
    following: int | None
    try:
        following = runner.advance(workflow, scope, run, int(cursor["index"]), retries=retries)
    except SpentError as stop:
        run.status, run.reason, following = "STOPPED", str(stop), None
    done = following is None or following >= len(workflow.steps)
    if done and run.status == "COMPLETED":
        run.outputs = read_outputs(workflow.outputs, scope, run)
    return {
        **cursor,
        "index": following if following is not None else cursor["index"],
        "retries": retries,
        "steps": scope.steps,
        "spent": runner.spent,
        "records": [*cursor["records"], *(r.to_json() for r in run.steps)],
        "status": run.status if done else "RUNNING",
        "reason": run.reason,
        "outputs": run.outputs,
        "wait": sum(waits),
        "safe": not done and _safe(checked, workflow, following or 0),
    }


def lost(checked: Checked, cursor: Mapping[str, Any], why: str) -> dict[str, Any]:
    """The cursor after its step was in flight on a lost worker and may not be sent again."""
    workflow = _workflow(checked, cursor["workflowId"])
    step = workflow.steps[int(cursor["index"])]
    reason = (
        f"step {step.step_id!r} was sent and its outcome is unknown ({why}); it is not safe "
        "to repeat, so it was not sent again"
    )
    record = {
        "workflowId": workflow.workflow_id, "stepId": step.step_id, "succeeded": False,
        "attempt": 1, "action": "end (outcome unknown)", "reason": reason, "result": None,
    }  # fmt: skip
    return {**cursor, "records": [*cursor["records"], record], "status": "FAILED",
            "reason": reason, "wait": 0.0, "safe": False}  # fmt: skip


def _safe(checked: Checked, workflow: Workflow, index: int) -> bool:
    """Whether the step at `index` may be sent twice (the connector's one rule, `retry_allowed`)."""
    step = workflow.steps[index]
    template = checked.step(workflow, step).operation.task.template
    return retry_allowed(template).allowed
