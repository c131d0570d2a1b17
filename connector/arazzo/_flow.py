"""A workflow's control flow: each step's actions (its own, then the workflow's, components
resolved) and which step can follow which, for the checks and the exports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

from connector.arazzo._bind import BindError
from connector.arazzo._model import (
    Document,
    FailureAction,
    Reusable,
    Step,
    SuccessAction,
    Workflow,
)

_T = TypeVar("_T")

__all__ = ["can_precede", "failure_actions", "resolve_actions", "success_actions", "successors"]


def success_actions(document: Document, workflow: Workflow, step: Step) -> list[SuccessAction]:
    """The step's success actions, then the workflow's it does not override by name."""
    own = [_success(document, item) for item in step.on_success]
    shared = [_success(document, item) for item in workflow.success_actions]
    names = {action.name for action in own}
    return own + [action for action in shared if action.name not in names]


def failure_actions(document: Document, workflow: Workflow, step: Step) -> list[FailureAction]:
    """The step's failure actions, then the workflow's it does not override by name."""
    own = [_failure(document, item) for item in step.on_failure]
    shared = [_failure(document, item) for item in workflow.failure_actions]
    names = {action.name for action in own}
    return own + [action for action in shared if action.name not in names]


def _success(document: Document, item: SuccessAction | Reusable) -> SuccessAction:
    if isinstance(item, SuccessAction):
        return item
    return _component(document.components.success_actions, item, "successActions")


def _failure(document: Document, item: FailureAction | Reusable) -> FailureAction:
    if isinstance(item, FailureAction):
        return item
    return _component(document.components.failure_actions, item, "failureActions")


def _component(table: dict[str, _T], item: Reusable, kind: str) -> _T:
    prefix = f"$components.{kind}."
    name = item.reference.removeprefix(prefix)
    if not item.reference.startswith(prefix) or name not in table:
        raise BindError(f"no component {item.reference!r} (components.{kind})")
    return table[name]


def resolve_actions(document: Document, workflow: Workflow, where: str) -> None:
    """Check every action of the workflow's steps; BindError naming the first bad one."""
    ids = {s.step_id for s in workflow.steps}
    for index, step in enumerate(workflow.steps):
        at = f"{where}/steps/{index}"
        try:
            actions: list[SuccessAction | FailureAction] = [
                *success_actions(document, workflow, step),
                *failure_actions(document, workflow, step),
            ]
        except BindError as exc:
            raise BindError(f"{at}: {exc}") from None
        for action in actions:
            problem = _action_problem(document, action, ids)
            if problem:
                raise BindError(f"{at}: action {action.name!r}: {problem}")


def _action_problem(
    document: Document, action: SuccessAction | FailureAction, ids: set[str]
) -> str | None:
    if action.step_id and action.workflow_id:
        return "names both stepId and workflowId (one or the other)"
    if action.type == "retry" and (action.step_id or action.workflow_id):
        return "a retry that first runs another step or workflow is not supported (retry alone)"
    if action.type == "goto" and not (action.step_id or action.workflow_id):
        return "a goto names a stepId or a workflowId"
    if action.step_id and action.step_id not in ids:
        return f"no step {action.step_id!r} in this workflow"
    local = bool(action.workflow_id) and not str(action.workflow_id).startswith("$")
    if local and document.workflow(str(action.workflow_id)) is None:
        return f"no workflow {action.workflow_id!r}"
    return None


def successors(document: Document, workflow: Workflow, step: Step) -> set[str]:
    """The steps that can run right after `step` (the next one, and any goto's target)."""
    index = workflow.steps.index(step)
    following = {workflow.steps[index + 1].step_id} if index + 1 < len(workflow.steps) else set()
    targets = {a.step_id for a in _actions(document, workflow, step) if a.step_id}
    return following | targets


def _actions(
    document: Document, workflow: Workflow, step: Step
) -> Iterator[SuccessAction | FailureAction]:
    try:
        yield from success_actions(document, workflow, step)
        yield from failure_actions(document, workflow, step)
    except BindError:
        return


def can_precede(
    workflow: Workflow, earlier: Step, later: Step, document: Document | None = None
) -> bool:
    """Whether `earlier` can have completed before `later` starts in some run."""
    doc = document
    edges = {
        s.step_id: (successors(doc, workflow, s) if doc else _plain(workflow, s))
        for s in workflow.steps
    }
    reached = _reach(edges, earlier.step_id)
    return later.step_id in reached


def _plain(workflow: Workflow, step: Step) -> set[str]:
    index = workflow.steps.index(step)
    following = {workflow.steps[index + 1].step_id} if index + 1 < len(workflow.steps) else set()
    gotos = {
        a.step_id
        for a in [*step.on_success, *step.on_failure]
        if not isinstance(a, Reusable) and a.step_id
    }
    return following | gotos


def _reach(edges: dict[str, set[str]], start: str) -> set[str]:
    """Steps reachable from `start` by one or more edges."""
    seen: set[str] = set()
    pending = list(edges.get(start, ()))
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending.extend(edges.get(node, ()))
    return seen
