"""Export and import through the engine adapters, for one configured step.

The adapters write a template with every input wired from the workflow's input; a step
configured on the page also has values, which each adapter writes where its engine keeps
them (`export_step`) and reads back (`import_step`).
"""

from __future__ import annotations

from connector._catalog import task_names
from connector._task import Task
from connector.engines import Export, ExportOptions, load_adapter
from connector.service._models import ExportRequest, ImportRequest, ImportResponse


def export(task: Task, request: ExportRequest) -> Export:
    """The engine task JSON for `task`, with the step's configured input values."""
    options = ExportOptions(
        workflow=request.workflow,
        credentials=request.credentials,
        environment=request.environment,
    )
    return load_adapter(request.engine).export_step(task, options, request.inputs)


def import_step(request: ImportRequest) -> ImportResponse:
    """The step an engine task JSON describes: its task, template and configured inputs."""
    result, inputs = load_adapter(request.engine).import_step(request.document, task=request.task)
    template = result.template
    return ImportResponse(
        task=template.name,
        template=template.to_json(),
        inputs=inputs,
        shipped=template.name in task_names(),
        warnings=result.warnings,
    )
