"""An Arazzo workflow as a SimWorkflow workflow definition, where SimWorkflow can say it.

SimWorkflow's definitions here are `Http` tasks chained by `nextTask`: an Arazzo workflow
whose steps run in order, each an operation whose inputs are workflow inputs, literals or
an earlier step's output read from its response body, is written as that chain (by the
same layout as every workflow export of the connector). Anything else is refused with the
step and field named: actions (`goto`, `retry`, `end`), criteria beyond the operation's own
success codes, workflow steps, selectors and payloads given as one expression.
"""

from __future__ import annotations

import re
from typing import Any

from connector._task import Task
from connector.arazzo._bind import BODY, Input
from connector.arazzo._check import Checked
from connector.arazzo._conditions import Binary, Literal, Read, compile_condition
from connector.arazzo._expressions import is_expression_like, parse
from connector.arazzo._javascript import unsupported
from connector.arazzo._model import Step, Workflow
from connector.engines._shared import Export, ExportOptions
from connector.engines._workflow import Workflow as Chain
from connector.engines._workflow_export import export_workflow

__all__ = ["export_simworkflow"]


def _name(step_id: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", step_id.lower())
    return name if name[:1].isalpha() else f"s_{name}"


def export_simworkflow(checked: Checked, workflow_id: str, options: ExportOptions) -> Export:
    """The workflow as a SimWorkflow definition; TemplateError naming what it cannot say."""
    document = checked.document
    workflow = document.workflow(workflow_id)
    assert workflow is not None
    where = f"/workflows/{document.workflows.index(workflow)}"
    tasks: dict[str, Task] = {}
    steps = []
    for index, step in enumerate(workflow.steps):
        at = f"{where}/steps/{index}"
        _refuse_flow(step, at)
        compiled = checked.step(workflow, step)
        tasks[step.step_id] = compiled.operation.task
        inputs = {i.name: _value(workflow, i) for i in compiled.inputs}
        steps.append({"name": _name(step.step_id), "task": step.step_id, "inputs": inputs})
    chain = Chain.model_validate(
        {"name": workflow.workflow_id, "description": workflow.summary or "", "steps": steps}
    )
    return export_workflow(chain, "simworkflow", options, load=tasks.__getitem__)


def _refuse_flow(step: Step, at: str) -> None:
    if step.workflow_id is not None:
        raise unsupported(f"{at}/workflowId", "a step that runs a workflow is not expressible")
    for field, given in (("onSuccess", step.on_success), ("onFailure", step.on_failure)):
        if given:
            raise unsupported(
                f"{at}/{field}",
                "SimWorkflow runs the steps in order: actions "
                "(end, goto, retry) are not expressible; export to conductor",
            )
    for index, criterion in enumerate(step.success_criteria):
        if not _status_only(criterion.condition, criterion.type):
            raise unsupported(
                f"{at}/successCriteria/{index}",
                "only `$statusCode == N` is expressible (the Http task's own check)",
            )


def _status_only(condition: str, kind: Any) -> bool:
    if kind not in {None, "simple"}:
        return False
    tree = compile_condition(condition).tree
    return (
        isinstance(tree, Binary)
        and tree.op == "=="
        and isinstance(tree.left, Read)
        and tree.left.expression.root == "statusCode"
        and isinstance(tree.right, Literal)
    )


def _value(workflow: Workflow, item: Input) -> Any:
    if item.name == BODY:
        raise unsupported(item.pointer, "a payload given as one expression is not expressible")
    value = item.value
    if not isinstance(value, str) or not is_expression_like(value):
        if "{$" in str(value) or "${" in str(value):
            raise unsupported(item.pointer, "embedded expressions are not expressible")
        return value
    expression = parse(value)
    if expression.root == "inputs" and not expression.pointer:
        return "${workflow.input." + expression.name + "}"
    if expression.root == "steps" and not expression.pointer:
        step = next(s for s in workflow.steps if s.step_id == expression.id)
        output = step.outputs.get(expression.name)
        read = parse(output) if isinstance(output, str) else None
        if (
            read is not None
            and read.root == "exchange"
            and read.at == "body"
            and read.side == "response"
        ):
            path = [p for p in (read.pointer or "").split("/")[1:] if p] + list(read.tail)
            return "${" + ".".join([_name(step.step_id), "output.response.body", *path]) + "}"
    raise unsupported(
        item.pointer,
        f"{value}: only $inputs.NAME and outputs read from a response body are expressible",
    )
