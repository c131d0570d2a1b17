"""Export and import through the engine adapters, for one configured step.

The adapters write a template with every input wired from `${workflow.input.…}`. A step
configured on the page also has values, written where each engine keeps them:

- SimWorkflow: in the task's `inputParameters`, in place of the `${workflow.input.…}`
  reference (escaped, so the engine evaluates nothing in them);
- Conductor: the step becomes a one-task workflow definition whose `inputTemplate` holds
  them (Conductor's default values for `${workflow.input.…}`).

An import reads such values back as the step's inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pydantic import JsonValue

from connector._catalog import task_names
from connector._task import Task
from connector.engines import Export, ExportOptions, export_task, import_task
from connector.engines._expressions import escape_literal, unescape_literal
from connector.engines._shared import METADATA_KEY
from connector.service._models import ExportRequest, ImportRequest, ImportResponse

_PARAMETERS = "inputParameters"
_DEFAULTS = "inputTemplate"


def export(task: Task, request: ExportRequest) -> Export:
    """The engine task JSON for `task`, with the step's configured input values."""
    options = ExportOptions(
        workflow=request.workflow,
        credentials=request.credentials,
        environment=request.environment,
    )
    if request.engine == "simworkflow":
        result = export_task(task, request.engine, options)
        for parameters in _parameter_maps(result.document):
            _configure(parameters, request.inputs)
        return result
    if request.inputs and not options.workflow:
        options = replace(options, workflow=f"{task.name}-step")
    result = export_task(task, request.engine, options)
    if request.inputs:
        result.document["workflowDef"][_DEFAULTS] = escape_literal(request.inputs)
    return result


def import_step(request: ImportRequest) -> ImportResponse:
    """The step an engine task JSON describes: its task, template and configured inputs."""
    result = import_task(request.document, request.engine, task=request.task)
    template = result.template
    inputs = _configured_inputs(request.document)
    return ImportResponse(
        task=template.name,
        template=template.to_json(),
        inputs=inputs,
        shipped=template.name in task_names(),
        warnings=[w for w in result.warnings if not _about_configured(w, inputs)],
    )


def _configured_inputs(document: Any) -> dict[str, JsonValue]:
    inputs: dict[str, JsonValue] = {}
    for defaults in _input_templates(document):
        inputs.update(unescape_literal(defaults))
    for parameters in _parameter_maps(document):
        inputs.update(_configured(parameters))
    return inputs


def _about_configured(warning: str, inputs: dict[str, JsonValue]) -> bool:
    """A wiring warning about an input the step was configured with: expected, not news."""
    return warning.startswith(f"{_DEFAULTS}") or any(
        warning.startswith(f"{_PARAMETERS}.{name}: ") for name in inputs
    )


def _input_templates(document: Any) -> Iterator[dict[str, Any]]:
    """A Conductor workflow definition's default inputs, alone or in our export's wrapper."""
    if not isinstance(document, dict):
        return
    workflow = document.get("workflowDef", document)
    defaults = workflow.get(_DEFAULTS) if isinstance(workflow, dict) else None
    if isinstance(defaults, dict):
        yield defaults


def _parameter_maps(document: Any) -> Iterator[dict[str, Any]]:
    """Every `inputParameters` map that belongs to a connector task in `document`."""
    if isinstance(document, dict):
        parameters = document.get(_PARAMETERS)
        if isinstance(parameters, dict) and METADATA_KEY in parameters:
            yield parameters
        for key, value in document.items():
            if key != _PARAMETERS:
                yield from _parameter_maps(value)
    elif isinstance(document, list):
        for item in document:
            yield from _parameter_maps(item)


def _reference(name: str) -> str:
    return "${workflow.input." + name + "}"


def _configure(parameters: dict[str, Any], inputs: dict[str, JsonValue]) -> None:
    for name, value in inputs.items():
        if parameters.get(name) == _reference(name):
            parameters[name] = escape_literal(value)


def _configured(parameters: dict[str, Any]) -> dict[str, JsonValue]:
    """SimWorkflow literal input values; Conductor's `http_request` is not an input."""
    return {
        name: unescape_literal(value)
        for name, value in parameters.items()
        if name not in {METADATA_KEY, "http_request"}
        and value != _reference(name)
        and not _has_expression(value)
    }


def _has_expression(value: Any) -> bool:
    """Whether an engine would evaluate something in `value` (an unescaped `${`)."""
    if isinstance(value, str):
        return "${" in value.replace("$${", "")
    if isinstance(value, dict):
        return any(_has_expression(k) or _has_expression(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return False
