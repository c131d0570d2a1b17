"""A step's decide script: the Conductor INLINE task that judges one step of an export.

It applies the success criteria, reads the outputs, then takes the first action whose
criteria hold, naming the next step, END, or the same step again for a retry. Its
JavaScript comes from `_javascript`; its semantics are the runner's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from connector.arazzo._check import Checked
from connector.arazzo._expressions import is_expression_like, parse
from connector.arazzo._flow import failure_actions, success_actions
from connector.arazzo._javascript import (
    HELPERS,
    JsonPaths,
    accessor,
    criteria_js,
    literal,
    unsupported,
)
from connector.arazzo._model import Step, Workflow

__all__ = ["END", "body_of", "decide", "ref"]

END: Final = "END"


def ref(step_id: str) -> str:
    """A step id as a Conductor reference and variable name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", step_id)


def body_of(name: str) -> Callable[[str], str]:
    """The engine expression of a JSONPath tail on the step's response body."""

    def expression(tail: str) -> str:
        return f"${{{name}_http.output.response.body{tail}}}"

    return expression


def decide(
    checked: Checked, workflow: Workflow, step: Step, paths: JsonPaths, at: str
) -> dict[str, Any]:
    name = ref(step.step_id)
    script = [
        f"(function(){{{HELPERS}var tries=$.tries||0;",
        *_on_success(checked, workflow, step, paths, at),
        *_on_failure(checked, workflow, step, paths, at),
        "})()",
    ]
    return {
        "name": f"{name}_decide",
        "taskReferenceName": f"{name}_decide",
        "type": "INLINE",
        "inputParameters": {
            "evaluatorType": "graaljs",
            "expression": "".join(script),
            **_reads(step, name),
            "inputs": "${workflow.input}",
            "steps": "${workflow.variables}",
            "tries": f"${{workflow.variables.{name}_tries}}",
            **paths.inputs,
        },
    }


def _reads(step: Step, name: str) -> dict[str, Any]:
    """What the script reads of the step's task: an HTTP task's response, or a workflow
    step's outputs, its last status code and whether it completed."""
    if step.workflow_id is None:
        return {"response": f"${{{name}_http.output.response}}"}
    return {
        "response": {"statusCode": f"${{{name}_http.output.connectorLastStatusCode}}"},
        "outputs": f"${{{name}_http.output}}",
        "completed": f"${{{name}_http.output.connectorCompleted}}",
    }


def _on_success(
    checked: Checked, workflow: Workflow, step: Step, paths: JsonPaths, at: str
) -> list[str]:
    """`if(ok){…}`: the outputs, then the first success action whose criteria hold."""
    if step.workflow_id is not None:  # a workflow step: its run completed, or it failed
        default = "$.completed===true"
    else:
        template = checked.step(workflow, step).operation.task.template
        codes = literal(sorted(template.success_codes()))
        default = f"{codes}.indexOf(get($.response,['statusCode']))>=0"
    success = (
        criteria_js(step.success_criteria, f"{at}/successCriteria", paths)
        if step.success_criteria
        else default
    )
    outputs = ",".join(
        f"{literal(k)}:{_output(v, f'{at}/outputs/{k}')}" for k, v in step.outputs.items()
    )
    index = workflow.steps.index(step)
    following = workflow.steps[index + 1].step_id if index + 1 < len(workflow.steps) else END
    lines = [f"var ok={success};if(ok){{var out={{{outputs}}};"]
    for number, action in enumerate(success_actions(checked.document, workflow, step)):
        when = criteria_js(action.criteria, f"{at}/onSuccess/{number}/criteria", paths)
        lines.append(f"if({when})return {_result(_target(action), 'out')};")
    return [*lines, f"return {_result(following, 'out')};}}"]


def _on_failure(
    checked: Checked, workflow: Workflow, step: Step, paths: JsonPaths, at: str
) -> list[str]:
    """The first failure action whose criteria hold (a retry while under its limit)."""
    lines = []
    for number, action in enumerate(failure_actions(checked.document, workflow, step)):
        when = criteria_js(action.criteria, f"{at}/onFailure/{number}/criteria", paths)
        if action.type == "retry":
            limit = 1 if action.retry_limit is None else action.retry_limit
            wait = literal(f"{action.retry_after or 0:g} seconds")
            lines.append(
                f"if(({when})&&tries<{limit})return {{next:{literal(step.step_id)},"
                f"outputs:{{}},tries:tries+1,retry:'true',wait:{wait},failed:false,reason:''}};"
            )
        else:
            lines.append(f"if({when})return {_result(_target(action), '{}')};")
    reason = literal(f"step {step.step_id} failed and no failure action applies")
    return [
        *lines,
        "return {next:'END',outputs:{},tries:0,retry:'false',wait:'0 seconds',"
        f"failed:true,reason:{reason}}};",
    ]


def _target(action: Any) -> str:
    if action.type == "end":
        return END
    if action.workflow_id:
        raise unsupported(action.name, "a goto to another workflow is not exported")
    return str(action.step_id)


def _result(next_step: str, outputs: str) -> str:
    return (
        f"{{next:{literal(next_step)},outputs:{outputs},tries:0,retry:'false',"
        "wait:'0 seconds',failed:false,reason:''}"
    )


def _output(value: Any, field: str) -> str:
    if not isinstance(value, str) or not is_expression_like(value):
        raise unsupported(field, "an output is exported only as one runtime expression")
    return accessor(parse(value), field)
