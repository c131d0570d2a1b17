"""Running a checked Arazzo workflow: steps, criteria, actions, outputs, under a budget.

    runner = Runner(checked, send, limits=Limits(max_steps=100, deadline_seconds=600))
    run = runner.run("payout-lifecycle", {"id": "po-1"})

Each operation step is sent by `send` (the connector's executor: validation before
sending, host-bound credentials, redaction, the template's own per-request retries); one
call of `send` is one Arazzo attempt. Success is the step's `successCriteria` (or, without
any, the task's own success codes). Then the first action whose criteria hold: `end`,
`goto` a step or a workflow, or `retry` (after `retryAfter` seconds, or the answer's
`Retry-After`, at most `retryLimit` times, 1 when not given; when spent, the next failure
action that applies). Without an action, the next step (success) or the end of the run
(failure). Every step run counts against `max_steps` and the clock against
`deadline_seconds`: a `goto` loop stops there with status STOPPED and the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from connector._result import TaskResult
from connector.arazzo._bind import BindError, build_inputs
from connector.arazzo._check import Checked
from connector.arazzo._criteria import CriterionError, holds
from connector.arazzo._expressions import (
    ExpressionError,
    Scope,
    UnresolvedError,
    resolve_value,
)
from connector.arazzo._flow import failure_actions, success_actions
from connector.arazzo._inputs import check_inputs
from connector.arazzo._model import Criterion, FailureAction, Step, SuccessAction, Workflow
from connector.arazzo._outcome import Outcome, exchange_of, judge, read_outputs, retry_after
from connector.arazzo._records import Limits, Status, StepRecord, WorkflowRun
from connector.arazzo._sources import Operation

__all__ = ["Limits", "Runner", "Send", "StepRecord", "WorkflowRun"]

Send = Callable[[Operation, dict[str, Any], float | None], TaskResult]
"""Sends one step: (operation, task input, deadline seconds or None) -> its result."""
MAX_NESTING: Final = 8
DEFAULT_LIMITS: Final = Limits()


class SpentError(Exception):
    """The budget or the deadline is spent."""


class Runner:
    """Runs the workflows of one checked document."""

    def __init__(
        self,
        checked: Checked,
        send: Send,
        *,
        limits: Limits = DEFAULT_LIMITS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.checked = checked
        self.send = send
        self.limits = limits
        self._monotonic = monotonic
        self._sleep = sleep
        self.spent = 0
        self._deadline = 0.0
        self._workflows: dict[str, dict[str, Any]] = {}
        self._inner: list[StepRecord] = []

    def begin(self, spent: int = 0) -> None:
        """Start the budget and the deadline (`spent`: step runs an earlier part spent)."""
        self.spent = spent
        self._deadline = self._monotonic() + self.limits.deadline_seconds

    def run(self, workflow_id: str, inputs: Mapping[str, Any]) -> WorkflowRun:
        """Run one workflow (its `dependsOn` first) with `inputs`.

        Raises:
            WorkflowError: the inputs do not match the workflow's input schema.
        """
        self.begin()
        return self._run(workflow_id, dict(inputs), depth=0)

    def _run(self, workflow_id: str, inputs: dict[str, Any], *, depth: int) -> WorkflowRun:
        document = self.checked.document
        workflow = document.workflow(workflow_id)
        assert workflow is not None  # checked
        check_inputs(document, workflow, inputs)
        run = WorkflowRun(workflow_id)
        for needed in workflow.depends_on:
            if needed not in self._workflows and depth < MAX_NESTING:
                before = self._run(needed, inputs, depth=depth + 1)
                run.steps += before.steps
                if before.status != "COMPLETED":
                    return _ended(run, before.status, f"workflow {needed!r}: {before.reason}")
        scope = self.scope_for(inputs)
        try:
            self._steps(workflow, scope, run, depth)
        except SpentError as stop:
            return _ended(run, "STOPPED", str(stop))
        if run.status == "COMPLETED":
            run.outputs = read_outputs(workflow.outputs, scope, run)
        self._workflows[workflow_id] = {"inputs": inputs, "outputs": run.outputs}
        return run

    def scope_for(self, inputs: Mapping[str, Any]) -> Scope:
        """What the expressions of a workflow run with `inputs` read before any step."""
        document = self.checked.document
        return Scope(
            inputs=dict(inputs),
            workflows=self._workflows,
            sources={
                n: {"url": s.location, "name": n} for n, s in self.checked.sources.by_name.items()
            },
            components=document.components.model_dump(by_alias=True),
            self_uri=document.self_uri,
        )

    def _steps(self, workflow: Workflow, scope: Scope, run: WorkflowRun, depth: int) -> None:
        index: int | None = 0
        retries = dict.fromkeys((s.step_id for s in workflow.steps), 0)
        while index is not None and index < len(workflow.steps):
            index = self.advance(workflow, scope, run, index, retries=retries, depth=depth)

    def advance(
        self, workflow: Workflow, scope: Scope, run: WorkflowRun, index: int, *,
        retries: dict[str, int], depth: int = 0,
    ) -> int | None:  # fmt: skip
        """Run the step at `index` once and apply its action: the index of the step to run
        next, or None when the run ended (`run.status` and `run.reason` say how).

        Raises:
            SpentError: the step budget or the deadline is spent.
        """
        ids = [s.step_id for s in workflow.steps]
        step = workflow.steps[index]
        self._charge(step)
        outcome = self._attempt(workflow, step, scope, depth)
        attempt = retries[step.step_id] + 1
        if outcome.succeeded:
            retries[step.step_id] = 0
            scope.steps[step.step_id] = dict(outcome.outputs)
            action, said = self._on_success(workflow, step, scope, outcome)
        else:
            action, said = self._on_failure(workflow, step, scope, outcome, retries)
        run.last = outcome.exchange or run.last
        run.steps += self._inner  # a workflow step's own steps, before its record
        self._inner.clear()
        record = StepRecord(workflow.workflow_id, step.step_id, attempt, outcome.succeeded, said,
                            outcome.reason, outcome.inputs, outcome.result)  # fmt: skip
        run.steps.append(record)
        if action is None:
            return index + 1
        if action == "":
            _ended(run, "COMPLETED" if outcome.succeeded else "FAILED", said)
            return None
        if action.startswith("workflow:"):
            self._goto_workflow(action.removeprefix("workflow:"), scope, run, depth)
            return None
        return ids.index(action)

    def _charge(self, step: Step) -> None:
        if self.spent >= self.limits.max_steps:
            raise SpentError(
                f"the step budget of {self.limits.max_steps} step runs is spent (at step "
                f"{step.step_id!r}: a goto or retry loop?); raise it with --max-steps"
            )
        if self._monotonic() > self._deadline:
            raise SpentError(
                f"the deadline of {self.limits.deadline_seconds:g} s has passed (at step "
                f"{step.step_id!r}); raise it with --deadline"
            )
        self.spent += 1

    def _attempt(self, workflow: Workflow, step: Step, scope: Scope, depth: int) -> Outcome:
        scope.exchange = None
        if step.workflow_id is not None:
            return self._sub_workflow(step, scope, depth)
        compiled = self.checked.step(workflow, step)
        try:
            inputs = build_inputs(compiled.inputs, step, compiled.operation, scope)
        except (UnresolvedError, ExpressionError, BindError, CriterionError) as exc:
            return Outcome(False, f"not sent: {exc}")
        timeout = step.timeout / 1000 if step.timeout else None
        result = self.send(compiled.operation, inputs, timeout)
        exchange = exchange_of(result, compiled.inputs, inputs)
        scope.exchange = exchange
        outcome = judge(step, result, scope)
        outcome.exchange, outcome.result, outcome.inputs = exchange, result, inputs
        outcome.retry_after = retry_after(result)
        return outcome

    def _sub_workflow(self, step: Step, scope: Scope, depth: int) -> Outcome:
        if depth >= MAX_NESTING:
            return Outcome(False, f"workflows nest more than {MAX_NESTING} deep")
        target = str(step.workflow_id)
        try:
            given = {
                p.name: resolve_value(p.value, scope) for p in step.parameters if hasattr(p, "name")
            }
        except (UnresolvedError, ExpressionError) as exc:
            return Outcome(False, f"not started: {exc}")
        inner = self._run(target, given, depth=depth + 1)
        self._inner.extend(inner.steps)
        scope.exchange, scope.outputs = inner.last, inner.outputs
        outcome = (
            judge(step, None, scope)
            if inner.status == "COMPLETED"
            else Outcome(False, f"workflow {target!r} {inner.status}: {inner.reason}")
        )
        scope.outputs = {}
        return outcome

    def _on_success(
        self, workflow: Workflow, step: Step, scope: Scope, outcome: Outcome
    ) -> tuple[str | None, str]:
        for action in success_actions(self.checked.document, workflow, step):
            if _all_hold(action.criteria, scope):
                return _transfer(action)
        return None, "next"

    def _on_failure(
        self,
        workflow: Workflow,
        step: Step,
        scope: Scope,
        outcome: Outcome,
        retries: dict[str, int],
    ) -> tuple[str | None, str]:
        for action in failure_actions(self.checked.document, workflow, step):
            if not _all_hold(action.criteria, scope):
                continue
            if action.type != "retry":
                return _transfer(action)
            limit = 1 if action.retry_limit is None else action.retry_limit
            if retries[step.step_id] < limit:
                retries[step.step_id] += 1
                wait = (
                    outcome.retry_after
                    if outcome.retry_after is not None
                    else action.retry_after or 0
                )
                self._wait(wait)
                return (
                    step.step_id,
                    f"retry ({action.name}, {retries[step.step_id]} of {limit}) after {wait:g} s",
                )
        return "", "end (failed: no failure action applies)"

    def _wait(self, seconds: float) -> None:
        left = self._deadline - self._monotonic()
        if seconds > left:
            raise SpentError(f"a retry would wait {seconds:g} s, past the deadline")
        self._sleep(seconds)

    def _goto_workflow(self, target: str, scope: Scope, run: WorkflowRun, depth: int) -> None:
        inner = self._run(target, dict(scope.inputs), depth=depth + 1)
        run.steps += inner.steps
        _ended(run, inner.status, f"went to workflow {target!r}: {inner.reason or inner.status}")


def _transfer(action: SuccessAction | FailureAction) -> tuple[str | None, str]:
    if action.type == "end":
        return "", f"end ({action.name})"
    if action.workflow_id:
        return (
            f"workflow:{action.workflow_id}",
            f"goto workflow {action.workflow_id} ({action.name})",
        )
    return str(action.step_id), f"goto {action.step_id} ({action.name})"


def _ended(run: WorkflowRun, status: Status, reason: str) -> WorkflowRun:
    run.status, run.reason = status, reason
    return run


def _all_hold(criteria: list[Criterion], scope: Scope) -> bool:
    return all(holds(criterion, scope)[0] for criterion in criteria)
