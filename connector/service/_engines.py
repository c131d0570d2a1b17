"""Export and import through the engine adapters, for one configured step.

The adapters write a template with every input wired from `${workflow.input.…}`. A step
configured on the page also has values: an export writes them in place of those references
(escaped, so the engine evaluates nothing in them), and an import reads such literal values
back as the step's inputs.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Protocol, cast

from pydantic import JsonValue

from connector._catalog import task_names
from connector._errors import ConnectorError
from connector._task import Task
from connector.engines._expressions import escape_literal, unescape_literal
from connector.engines._shared import METADATA_KEY, Export, ExportOptions, Import
from connector.service._models import ExportRequest, ImportRequest, ImportResponse

_PARAMETERS = "inputParameters"


class EngineUnavailableError(ConnectorError):
    """This build has no adapter for the engine."""

    kind = "unavailable"


class _Adapter(Protocol):
    def export(self, task: Task, options: ExportOptions) -> Export: ...

    def import_(
        self, document: Any, *, task: str | None = None, name: str | None = None
    ) -> Import: ...


def adapter(engine: str) -> _Adapter:
    """The adapter module of `engine` (`connector.engines.<engine>`)."""
    try:
        module = importlib.import_module(f"connector.engines.{engine}")
    except ImportError:
        raise EngineUnavailableError(f"no {engine} adapter in this installation") from None
    return cast(_Adapter, module)


def export(task: Task, request: ExportRequest) -> Export:
    """The engine task JSON for `task`, its inputs set to the step's configured values."""
    options = ExportOptions(
        workflow=request.workflow,
        credentials=request.credentials,
        environment=request.environment,
    )
    result = adapter(request.engine).export(task, options)
    for parameters in _parameter_maps(result.document):
        _configure(parameters, request.inputs)
    return result


def import_step(request: ImportRequest) -> ImportResponse:
    """The step an engine task JSON describes: its task, template and configured inputs."""
    result = adapter(request.engine).import_(request.document, task=request.task)
    template = result.template
    inputs: dict[str, JsonValue] = {}
    for parameters in _parameter_maps(request.document):
        inputs.update(_configured(parameters))
    return ImportResponse(
        task=template.name,
        template=template.to_json(),
        inputs=inputs,
        shipped=template.name in task_names(),
        warnings=[w for w in result.warnings if not _about_configured(w, inputs)],
    )


def _about_configured(warning: str, inputs: dict[str, JsonValue]) -> bool:
    """A wiring warning about an input the step was configured with: expected, not news."""
    return any(warning.startswith(f"{_PARAMETERS}.{name}: ") for name in inputs)


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
    return {
        name: unescape_literal(value)
        for name, value in parameters.items()
        if name != METADATA_KEY and value != _reference(name) and not _has_expression(value)
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
