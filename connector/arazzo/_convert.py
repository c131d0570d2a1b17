"""`connector workflow convert`: the project's earlier workflow format, once, as Arazzo 1.0.1.

Each step's task becomes an `operationId` of a `catalog:API` source; its inputs become
parameters (where the task has a parameter of that name) or body payload fields; an input
`${STEP.output.response.body.a.b}` becomes `$steps.STEP.outputs.body_a_b`, an output the
earlier step declares (`$response.body#/a/b`). A step's `when` becomes a `goto` past it on
the step before, taken when the value differs (Arazzo compares strings ignoring case, the
earlier format did not). Two conditional steps in a row are refused: the skip of the first
would jump past the check of the second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from connector._catalog import load_task
from connector._errors import FieldError, TemplateError
from connector._task import Task
from connector.engines._workflow import Source, Step, Workflow, load_workflow

__all__ = ["convert", "convert_file"]


def convert_file(path: Path) -> str:
    """The earlier-format workflow file at `path` as an Arazzo document (YAML text)."""
    document = convert(load_workflow(path))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def convert(workflow: Workflow) -> dict[str, Any]:
    """The workflow as an Arazzo 1.0.1 document (a JSON object)."""
    tasks = {step.name: load_task(step.task) for step in workflow.steps}
    outputs: dict[str, dict[str, str]] = {step.name: {} for step in workflow.steps}
    steps = [
        _step(step, tasks[step.name], outputs, index) for index, step in enumerate(workflow.steps)
    ]
    for index, step in enumerate(workflow.steps):
        if step.when is not None:
            _add_skip(workflow, steps, index, outputs)
    for converted in steps:
        if outputs[converted["stepId"]]:
            converted["outputs"] = outputs[converted["stepId"]]
    apis = sorted({_api(task) for task in tasks.values()})
    inputs = sorted({s.name for st in workflow.steps for s in _sources(st) if s.kind == "input"})
    return {
        "arazzo": "1.0.1",
        "info": {"title": workflow.name, "version": "1.0.0", **_description(workflow)},
        "sourceDescriptions": [
            {"name": api, "url": f"catalog:{api}", "type": "openapi"} for api in apis
        ],
        "workflows": [
            {
                "workflowId": workflow.name,
                **_description(workflow),
                "inputs": {"type": "object", "properties": {name: {} for name in inputs}},
                "steps": steps,
            }
        ],
    }


def _description(workflow: Workflow) -> dict[str, str]:
    return {"description": workflow.description} if workflow.description else {}


def _api(task: Task) -> str:
    operation = task.template.operation
    return operation.api.lower() if operation else ""


def _sources(step: Step) -> list[Source]:
    return list(step.sources().values())


def _step(step: Step, task: Task, outputs: dict[str, dict[str, str]], index: int) -> dict[str, Any]:
    operation = task.template.operation
    if operation is None or not operation.operation_id:
        raise TemplateError(
            "the workflow cannot be converted",
            field_errors=[
                FieldError(field=f"steps.{index}.task", message=f"{task.name} has no operationId")
            ],
        )
    converted: dict[str, Any] = {
        "stepId": step.name,
        "operationId": f"$sourceDescriptions.{_api(task)}.{operation.operation_id}",
    }
    parameters, payload = [], {}
    body = task.template.http_request.body
    for name, source in step.sources().items():
        value = _value(source, outputs)
        spec = task.template.parameters.get(name)
        if spec is not None:
            parameters.append({"name": spec.name or name, "in": str(spec.location), "value": value})
        else:
            key = (
                next((k for k, v in (body or {}).items() if v == f"<<{name}>>"), name)
                if isinstance(body, dict)
                else name
            )
            payload[key] = value
    if parameters:
        converted["parameters"] = parameters
    if payload:
        converted["requestBody"] = {"contentType": "application/json", "payload": payload}
    codes = sorted(task.template.success_codes())
    converted["successCriteria"] = [
        {"condition": " || ".join(f"$statusCode == {c}" for c in codes)}
    ]
    return converted


def _value(source: Source, outputs: dict[str, dict[str, str]]) -> Any:
    if source.kind == "literal":
        return source.value
    if source.kind == "input":
        return f"$inputs.{source.name}"
    return f"$steps.{source.name}.outputs.{_output(source, outputs)}"


def _output(source: Source, outputs: dict[str, dict[str, str]]) -> str:
    """Declare on the source step the output this path reads; its name."""
    path = list(source.path)
    if path[:2] == ["response", "body"]:
        name = "_".join(["body", *path[2:]])
        expression = "$response.body" + "".join(f"#/{'/'.join(path[2:])}" for _ in [0] if path[2:])
    elif path[:2] == ["response", "statusCode"]:
        name, expression = "statusCode", "$statusCode"
    elif path[:2] == ["response", "headers"] and len(path) == 3:
        name, expression = f"header_{path[2]}", f"$response.header.{path[2]}"
    else:
        raise TemplateError(
            f"{'.'.join(path)}: only a response body, status or header is converted"
        )
    outputs[source.name][name] = expression
    return name


def _add_skip(
    workflow: Workflow, steps: list[dict[str, Any]], index: int, outputs: dict[str, dict[str, str]]
) -> None:
    step = workflow.steps[index]
    assert step.when is not None and index > 0
    if workflow.steps[index - 1].when is not None:
        raise TemplateError(
            "the workflow cannot be converted",
            field_errors=[
                FieldError(field=f"steps.{index}.when", message="two conditional steps in a row")
            ],
        )
    value = _value(Source.of(step.when.value), outputs)
    after = index + 1
    action: dict[str, Any] = {"name": f"skip-{step.name}", "type": "end"}
    if after < len(steps):
        action = {"name": f"skip-{step.name}", "type": "goto", "stepId": steps[after]["stepId"]}
    equals = step.when.equals.replace("'", "''")
    action["criteria"] = [{"condition": f"{value} != '{equals}'"}]
    steps[index - 1].setdefault("onSuccess", []).append(action)
