"""An Arazzo workflow as a Conductor workflow definition: a state machine the engine runs.

    SET_VARIABLE start          next = the first step
    DO_WHILE run                while next != END, at most `max_steps` iterations
      SWITCH dispatch on next   one case per step:
        HTTP  STEP_http         the step's request (the task's own export; optional, so
                                a failed answer reaches the criteria instead of failing all)
        INLINE STEP_decide      success criteria, outputs, then the first action that holds
                                (`_javascript`): the next step, END, or this step again
        SET_VARIABLE STEP_set   next, this step's outputs, its retry count
        SWITCH STEP_retry       on a retry: WAIT `retryAfter` seconds
    SWITCH outcome              TERMINATE (FAILED) when a step failed with no action, or
                                the budget ran out

`goto` and the criteria are the dispatch SWITCH; `retry` is the DO_WHILE coming back to
the same case. A step's input reads `${workflow.input.x}` or `${workflow.variables.STEP.o}`
(an earlier step's outputs); the workflow's outputs read the same variables. The
template's per-request retries stay on the HTTP task's definition. No export holds a secret.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, Final

from connector._errors import TemplateError
from connector._task import Task
from connector.arazzo._bind import BODY, Input, body_fields
from connector.arazzo._check import Checked, CompiledStep
from connector.arazzo._decide import END, body_of, decide, ref
from connector.arazzo._expressions import embedded, is_expression_like, is_selector, parse
from connector.arazzo._javascript import JsonPaths, unsupported
from connector.arazzo._model import Parameter, Step, Workflow
from connector.engines._registry import load_adapter
from connector.engines._shared import Export, ExportOptions, slim, validate

__all__ = ["export_conductor"]

_QUOTED: Final = re.compile(r'"\{(\$[^{}"]*)\}"')
_WIRED: Final = re.compile(r"(?<!\$)\$\{workflow\.input\.([A-Za-z_][A-Za-z0-9_.]*)\}")
JSONPATH_WARNING: Final = (
    "jsonpath criteria are evaluated by Conductor's JSONPath, which differs from RFC 9535 "
    "in places (a filter at the root of an object); rehearse with `connector workflow run`"
)


LAST_STATUS: Final = "connectorLastStatusCode"
"""A workflow's output (and variable) read by a step that runs it, as its `$statusCode`."""
COMPLETED: Final = "connectorCompleted"
"""Present only in the output of a workflow that completed (a terminated one has none)."""
MAX_NESTING: Final = 4
"""How deep workflow steps are exported as inline sub-workflows."""


def export_conductor(
    checked: Checked, workflow_id: str, options: ExportOptions, *, max_steps: int = 100
) -> Export:
    """The workflow as `{"workflowDef", "taskDefs"}`; TemplateError naming what cannot go.
    A step that runs another workflow of the document is a SUB_WORKFLOW task carrying that
    workflow's own export inline (nothing else to register)."""
    options = replace(options, workflow=None, metadata=None)
    task_defs: dict[str, Any] = {}
    warnings: list[str] = []
    found = (task_defs, warnings)
    definition = _workflow_def(checked, workflow_id, options, max_steps=max_steps, found=found)
    validate(definition, "conductor-workflow-def.schema.json", "the exported workflow definition")
    return Export(
        document={"workflowDef": definition, "taskDefs": list(task_defs.values())},
        warnings=warnings,
    )


def _workflow_def(
    checked: Checked, workflow_id: str, options: ExportOptions, *, max_steps: int,
    found: tuple[dict[str, Any], list[str]], depth: int = 0,
) -> dict[str, Any]:  # fmt: skip
    document = checked.document
    workflow = document.workflow(workflow_id)
    assert workflow is not None
    where = f"/workflows/{document.workflows.index(workflow)}"
    task_defs, warnings = found
    cases: dict[str, list[dict[str, Any]]] = {}
    for index, step in enumerate(workflow.steps):
        at = f"{where}/steps/{index}"
        if step.workflow_id is not None:
            if depth >= MAX_NESTING or document.workflow(step.workflow_id) is None:
                said = f"only this document's workflows, {MAX_NESTING} deep, are sub-workflows"
                raise unsupported(f"{at}/workflowId", said)
            inner = _workflow_def(
                checked,
                step.workflow_id,
                options,
                max_steps=max_steps,
                found=found,
                depth=depth + 1,
            )
            http, defs = _sub_workflow(step, inner, at), list[dict[str, Any]]()
        else:
            http, defs = _http_task(step, checked.step(workflow, step), options, at)
        task_defs.update({d["name"]: d for d in defs})
        paths = JsonPaths(body_of(ref(step.step_id)))
        judge = decide(checked, workflow, step, paths, at)
        if paths.used:
            warnings.append(f"{at}: {JSONPATH_WARNING}")
        cases[step.step_id] = [http, judge, _set(step), _retry_wait(step)]
    return _definition(workflow, cases, options, max_steps, where)


def _sub_workflow(step: Step, inner: dict[str, Any], at: str) -> dict[str, Any]:
    """A workflow step: the other workflow's definition inline, its inputs the step's
    parameters."""
    given = {
        p.name: engine_value(p.value, f"{at}/parameters/{i}")
        for i, p in enumerate(step.parameters)
        if isinstance(p, Parameter)
    }
    return {
        "name": f"{ref(step.step_id)}_http",
        "taskReferenceName": f"{ref(step.step_id)}_http",
        "type": "SUB_WORKFLOW",
        "optional": True,
        "inputParameters": given,
        "subWorkflowParam": {"name": inner["name"], "version": 1, "workflowDefinition": inner},
    }


def _http_task(
    step: Step, compiled: CompiledStep, options: ExportOptions, at: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    inputs = [part for item in compiled.inputs for part in _split_payload(step, compiled, item)]
    body = [i.where.removeprefix("body.") for i in inputs if i.where.startswith("body.")]
    task = _sending(compiled.operation.task, {i.name for i in inputs})
    fields = set(body) if isinstance(task.template.http_request.body, dict) else set()
    try:
        exported = load_adapter("conductor").export(slim(task, fields), options).document
    except TemplateError as exc:
        said = "; ".join(f"{e.field}: {e.message}" for e in exc.field_errors) or exc.message
        raise unsupported(f"{at}/operationId", f"{task.name}: {said}") from None
    values = {i.name: engine_value(i.value, i.pointer) for i in inputs}
    http = _rewire(exported["workflowTask"], values)
    http.update(taskReferenceName=f"{ref(step.step_id)}_http", optional=True)
    if step.timeout:
        http["inputParameters"]["http_request"]["readTimeOut"] = step.timeout
    return http, list(exported["taskDefs"])


def _sending(task: Task, given: set[str]) -> Task:
    """The task with every parameter the step gives made required: an engine export leaves
    an optional parameter out, and one the step fills must be sent (or refused when the
    engine cannot write it), never dropped."""
    parameters = task.template.parameters
    wanted = {
        key: spec.model_copy(update={"required": True})
        for key, spec in parameters.items()
        if key in given and spec.location != "path" and not spec.required
    }
    if not wanted:
        return task
    template = task.template.model_copy(update={"parameters": {**parameters, **wanted}})
    return Task(template, source=task.source)


def _split_payload(step: Step, compiled: CompiledStep, item: Input) -> list[Input]:
    """A payload known only when the step runs, as the body fields the engine fills: one
    expression (`$inputs.order`) read field by field, or JSON text with `{$…}` inside."""
    if item.name != BODY:
        return [item]
    fields = body_fields(compiled.operation)
    value = item.value
    if not isinstance(fields, dict) or (step.request_body and step.request_body.replacements):
        raise unsupported(item.pointer, "this payload cannot be split into body fields")
    if isinstance(value, str) and is_expression_like(value):
        return [
            Input(name, f"body.{k}", f"{value}#/{k}", item.pointer) for k, name in fields.items()
        ]
    try:
        parsed = json.loads(_QUOTED.sub(r'"\1"', value)) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not set(parsed) <= set(fields):
        raise unsupported(item.pointer, "a payload is exported as an object of body fields")
    return [Input(fields[k], f"body.{k}", v, f"{item.pointer}/{k}") for k, v in parsed.items()]


def engine_value(value: Any, field: str) -> Any:
    """An Arazzo value as the engine writes it: `${…}` for expressions, literals escaped."""
    if isinstance(value, dict):
        if is_selector(value):
            raise unsupported(field, "selector objects are not exported")
        return {k: engine_value(v, f"{field}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [engine_value(v, f"{field}/{i}") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value
    if is_expression_like(value):
        return "${" + _path(value, field) + "}"
    text = value.replace("${", "$${")
    for inner in embedded(value):
        text = text.replace("{" + inner + "}", "${" + _path(inner, field) + "}")
    return text


def _path(text: str, field: str) -> str:
    expression = parse(text)
    pointer = [p for p in (expression.pointer or "").split("/")[1:] if p]
    if expression.root == "inputs":
        return ".".join(["workflow.input", expression.name, *pointer])
    if expression.root == "steps":
        return ".".join(["workflow.variables", ref(expression.id), expression.name, *pointer])
    raise unsupported(field, f"{text}: not exported (only $inputs and $steps outputs)")


def _rewire(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _rewire(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewire(v, values) for v in value]
    if not isinstance(value, str):
        return value
    whole = _WIRED.fullmatch(value)
    if whole and whole[1] in values:
        return values[whole[1]]

    def text(match: re.Match[str]) -> str:
        found = values.get(match[1], match[0])
        return found if isinstance(found, str) else json.dumps(found)

    return _WIRED.sub(text, value)


def _set(step: Step) -> dict[str, Any]:
    name = ref(step.step_id)
    result = f"{name}_decide.output.result"
    return {
        "name": f"{name}_set",
        "taskReferenceName": f"{name}_set",
        "type": "SET_VARIABLE",
        "inputParameters": {
            "next": f"${{{result}.next}}",
            name: f"${{{result}.outputs}}",
            f"{name}_tries": f"${{{result}.tries}}",
            "failed": f"${{{result}.failed}}",
            "reason": f"${{{result}.reason}}",
            LAST_STATUS: (
                f"${{{name}_http.output.response.statusCode}}"
                if step.workflow_id is None
                else f"${{{name}_http.output.{LAST_STATUS}}}"
            ),
        },
    }


def _retry_wait(step: Step) -> dict[str, Any]:
    name = ref(step.step_id)
    wait = {
        "name": f"{name}_wait",
        "taskReferenceName": f"{name}_wait",
        "type": "WAIT",
        "inputParameters": {"duration": f"${{{name}_decide.output.result.wait}}"},
    }
    return _switch(f"{name}_retry", f"${{{name}_decide.output.result.retry}}", {"true": [wait]})


def _switch(name: str, value: str, cases: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "name": name,
        "taskReferenceName": name,
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": "switchCaseValue",
        "inputParameters": {"switchCaseValue": value},
        "decisionCases": cases,
        "defaultCase": [],
    }


def _definition(
    workflow: Workflow,
    cases: dict[str, list[dict[str, Any]]],
    options: ExportOptions,
    max_steps: int,
    where: str,
) -> dict[str, Any]:
    first = workflow.steps[0].step_id
    start = {
        "name": "start",
        "taskReferenceName": "start",
        "type": "SET_VARIABLE",
        "inputParameters": {"next": first, "failed": False, "reason": ""},
    }
    loop = {
        "name": "run",
        "taskReferenceName": "run",
        "type": "DO_WHILE",
        "inputParameters": {"next": "${workflow.variables.next}"},
        "loopCondition": f"if ($.next != '{END}' && $.run['iteration'] < {max_steps}) "
        "{ true; } else { false; }",
        "loopOver": [_switch("dispatch", "${workflow.variables.next}", cases)],
    }
    terminate = {
        "name": "stop",
        "taskReferenceName": "stop",
        "type": "TERMINATE",
        "inputParameters": {
            "terminationStatus": "FAILED",
            "terminationReason": "${workflow.variables.reason}",
        },
    }
    outcome = _switch("outcome", "${workflow.variables.failed}", {"true": [terminate]})
    tasks = [start, loop, outcome]
    owner = {"ownerEmail": options.owner_email} if options.owner_email else {}
    outputs = {k: engine_value(v, f"{where}/outputs/{k}") for k, v in workflow.outputs.items()}
    inputs = sorted(
        set(_WIRED.findall(json.dumps(tasks))) | set((workflow.inputs or {}).get("properties", {}))
    )
    return {
        "name": workflow.workflow_id,
        "description": workflow.summary or workflow.description or workflow.workflow_id,
        **owner,
        "version": 1,
        "schemaVersion": 2,
        "inputParameters": inputs,
        "tasks": tasks,
        "outputParameters": {
            **outputs,
            LAST_STATUS: f"${{workflow.variables.{LAST_STATUS}}}",
            COMPLETED: True,
        },
        "timeoutPolicy": "ALERT_ONLY",
        "timeoutSeconds": 0,
    }
