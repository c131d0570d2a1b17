"""A workflow's export for SimWorkflow and Conductor (the layouts in `_workflow`'s docstring).

Each step is the engine adapter's own export of its task (only the body fields the step is
given, and the required ones; no round-trip metadata), its `${workflow.input.NAME}` then
rewired to the step's sources. No export holds a secret: credentials stay references
(SimWorkflow `credentials`, Conductor `${workflow.secrets.NAME}`), as in a task's export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any, Final

from connector._catalog import load_task
from connector._errors import FieldError, TemplateError
from connector._task import Task
from connector.engines._expressions import escape_literal
from connector.engines._registry import load_adapter
from connector.engines._shared import Export, ExportOptions, null_warning, slim, validate
from connector.engines._workflow import Source, Step, When, Workflow

__all__ = ["export_workflow", "rewire", "workflow_inputs"]

_WIRED: Final = re.compile(r"(?<!\$)\$\{workflow\.input\.([A-Za-z_][A-Za-z0-9_]*)\}")
_SWITCH_PARAMETER: Final = "switchCaseValue"


Expression = Callable[[Source], str]


def export_workflow(
    workflow: Workflow,
    engine: str,
    options: ExportOptions | None = None,
    *,
    load: Callable[[str], Task] | None = None,
) -> Export:
    """The workflow as the engine's workflow definition (see the module docstring).

    Raises:
        TemplateError: a step's task or input that cannot be exported (its field named).
        ValueError: an engine without a workflow export.
    """
    if engine not in _LAYOUTS:
        raise ValueError(
            f"no workflow export for engine {engine!r} (one of: simworkflow, conductor)"
        )
    options = replace(options or ExportOptions(), workflow=None, metadata=None)
    warnings: list[str] = []
    exported = []
    for index, step in enumerate(workflow.steps):
        task = _step_task(step, index, load or load_task)
        result = load_adapter(engine).export(task, options)
        said = [w for w in result.warnings if w not in null_warning(task.template)]
        said += _null_inputs(step, task)
        warnings += [f"steps.{index} ({step.name}): {w}" for w in said]
        exported.append((step, result.document))
    document = _LAYOUTS[engine](workflow, exported, options)
    return Export(document=document, warnings=sorted(set(warnings), key=warnings.index))


def _step_task(step: Step, index: int, load: Callable[[str], Task]) -> Task:
    """The step's task with the body fields it is given (and the required ones)."""
    task = load(step.task)
    schema = task.input_schema()
    known, required = set(schema["properties"]), set(schema.get("required", []))
    problems = [
        FieldError(field=f"steps.{index}.inputs.{name}", message=f"not an input of {task.name}")
        for name in sorted(set(step.inputs) - known)
    ] + [
        FieldError(field=f"steps.{index}.inputs", message=f"{task.name} needs input {name!r}")
        for name in sorted(required - set(step.inputs))
    ]
    if problems:
        raise TemplateError(f"step {step.name!r} cannot run {task.name}", field_errors=problems)
    body = task.template.http_request.body
    return slim(task, [name for name in step.inputs if isinstance(body, dict) and name in body])


def _null_inputs(step: Step, task: Task) -> list[str]:
    """The optional body fields a step takes from the workflow input: the engine sends null
    for one the workflow is not given (the step's task as exported only has given fields)."""
    body = task.template.http_request.body
    required = set((task.template.body_schema or {}).get("required", []))
    optional = sorted(
        name
        for name, source in step.sources().items()
        if source.kind == "input"
        and isinstance(body, dict)
        and name in body
        and name not in required
    )
    if not optional:
        return []
    return [
        f"optional body fields from the workflow input ({', '.join(optional)}): the engine "
        "sends null for one the workflow is not given (give it, or take it out of the step)"
    ]


def rewire(value: Any, sources: Mapping[str, Source], expression: Expression) -> Any:
    """`value` with each `${workflow.input.NAME}` of a wired input replaced by its source:
    the engine expression of an input or output, or the literal (escaped)."""
    if isinstance(value, dict):
        return {key: rewire(item, sources, expression) for key, item in value.items()}
    if isinstance(value, list):
        return [rewire(item, sources, expression) for item in value]
    if not isinstance(value, str):
        return value
    whole = _WIRED.fullmatch(value)
    if whole and whole[1] in sources and sources[whole[1]].kind == "literal":
        return escape_literal(sources[whole[1]].value)

    def replace_one(match: re.Match[str]) -> str:
        source = sources.get(match[1])
        if source is None:
            return match[0]  # not wired: the workflow input of the same name
        if source.kind == "literal":
            literal = source.value
            return str(escape_literal(literal if isinstance(literal, str) else json.dumps(literal)))
        return "${" + expression(source) + "}"

    return _WIRED.sub(replace_one, value)


def workflow_inputs(value: Any) -> Iterator[str]:
    """The workflow inputs `value` reads."""
    yield from _WIRED.findall(json.dumps(value))


def _simworkflow(
    workflow: Workflow, exported: list[tuple[Step, dict[str, Any]]], options: ExportOptions
) -> dict[str, Any]:
    def expression(source: Source) -> str:
        if source.kind == "input":
            return f"workflow.input.{source.name}"
        return ".".join((source.name, "output", *source.path))

    entries = [f"{step.name}_when" if step.when else step.name for step, _ in exported]
    tasks: dict[str, Any] = {}
    for index, (step, task) in enumerate(exported):
        after = entries[index + 1] if index + 1 < len(entries) else None
        flow: dict[str, Any] = {"nextTask": after} if after else {"end": True}
        if step.when is not None:
            variable = "${" + expression(Source.of(step.when.value)) + "}"
            choice = {"variable": variable, "stringEquals": step.when.equals, "nextTask": step.name}
            default = {"defaultTask": after} if after else {"end": True}
            tasks[entries[index]] = {"type": "Decision", "choices": [choice], **default}
        tasks[step.name] = {**rewire(task, step.sources(), expression), **flow}
    document: dict[str, Any] = {"name": workflow.name}
    if workflow.description:
        document["description"] = workflow.description
    document.update(startTask=entries[0], tasks=tasks)
    validate(document, "simworkflow-workflow.schema.json", "the exported workflow")
    return document


def _conductor(
    workflow: Workflow, exported: list[tuple[Step, dict[str, Any]]], options: ExportOptions
) -> dict[str, Any]:
    def expression(source: Source) -> str:
        if source.kind == "input":
            return f"workflow.input.{source.name}"
        return ".".join((f"{source.name}_ref", "output", *source.path))

    tasks: list[dict[str, Any]] = []
    task_defs: dict[str, Any] = {}
    for step, document in exported:
        task = rewire(document["workflowTask"], step.sources(), expression)
        task["taskReferenceName"] = f"{step.name}_ref"
        task_defs.update({item["name"]: item for item in document["taskDefs"]})
        tasks.append(task if step.when is None else _switch(step, step.when, task, expression))
    owner = {"ownerEmail": options.owner_email} if options.owner_email else {}
    definition = {
        "name": workflow.name,
        "description": workflow.description or workflow.name,
        **owner,
        "version": 1,
        "schemaVersion": 2,
        "inputParameters": sorted(set(workflow_inputs(tasks))),
        "tasks": tasks,
        "outputParameters": {
            step.name: "${" + f"{step.name}_ref.output.response" + "}" for step, _ in exported
        },
        "timeoutPolicy": "ALERT_ONLY",
        "timeoutSeconds": 0,
    }
    validate(definition, "conductor-workflow-def.schema.json", "the exported workflow definition")
    return {"workflowDef": definition, "taskDefs": list(task_defs.values())}


def _switch(step: Step, when: When, task: dict[str, Any], expression: Expression) -> dict[str, Any]:
    return {
        "name": f"{step.name}_when",
        "taskReferenceName": f"{step.name}_when_ref",
        "type": "SWITCH",
        "evaluatorType": "value-param",
        "expression": _SWITCH_PARAMETER,
        "inputParameters": {_SWITCH_PARAMETER: "${" + expression(Source.of(when.value)) + "}"},
        "decisionCases": {when.equals: [task]},
        "defaultCase": [],
    }


_LAYOUTS: Final[dict[str, Callable[..., dict[str, Any]]]] = {
    "simworkflow": _simworkflow,
    "conductor": _conductor,
}
