"""Workflow-engine adapters: a task template to an engine's HTTP task JSON, and back.

    export_task(task, "conductor", ExportOptions(...)) -> Export(document, warnings)
    import_task(document, "simworkflow", task=..., name=...) -> Import(template, options, warnings)
    export_workflow(load_workflow(path), "conductor", ExportOptions(...)) -> Export(...)

A workflow of several steps (`_workflow`: the file, its wiring, `holds` and `step_inputs` to
run its steps locally) is exported by `_workflow_export`.

The engines are registered in `_registry` (names, titles, adapters, worker commands). Every
export is checked against the engine's JSON Schema shipped in `schemas/`; a placeholder the
engine cannot express fails with its field named; no export holds a secret value (auth is
referenced: SimWorkflow `credentials`, Conductor `${workflow.secrets.NAME}`). Exporting
`import.template` with `import.options` writes the imported engine JSON again. The models are
resolved lazily, so that listing the engines does not load the template machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from connector.engines._registry import (
    Engine,
    EngineAdapter,
    Pusher,
    WorkerCommand,
    engine_names,
    engines,
    load_adapter,
    load_worker,
    register,
)

if TYPE_CHECKING:
    from connector._task import Task
    from connector.engines._shared import METADATA_KEY, Export, ExportOptions, Import
    from connector.engines._workflow import (
        Step,
        StepRun,
        When,
        Workflow,
        holds,
        load_workflow,
        parse_workflow,
        run_steps,
        step_inputs,
    )
    from connector.engines._workflow_export import export_workflow

__all__ = [
    "METADATA_KEY",
    "Engine",
    "EngineAdapter",
    "Export",
    "ExportOptions",
    "Import",
    "Pusher",
    "Step",
    "StepRun",
    "When",
    "WorkerCommand",
    "Workflow",
    "engine_names",
    "engines",
    "export_task",
    "export_workflow",
    "holds",
    "import_task",
    "load_adapter",
    "load_worker",
    "load_workflow",
    "parse_workflow",
    "register",
    "run_steps",
    "step_inputs",
]

_LAZY = {
    "METADATA_KEY": "_shared",
    "Export": "_shared",
    "ExportOptions": "_shared",
    "Import": "_shared",
    "Step": "_workflow",
    "StepRun": "_workflow",
    "run_steps": "_workflow",
    "When": "_workflow",
    "Workflow": "_workflow",
    "holds": "_workflow",
    "load_workflow": "_workflow",
    "parse_workflow": "_workflow",
    "step_inputs": "_workflow",
    "export_workflow": "_workflow_export",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"connector.engines.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'connector.engines' has no attribute {name!r}")


def export_task(task: Task, engine: str, options: ExportOptions | None = None) -> Export:
    """The engine's task JSON for `task` (see ExportOptions for a workflow, credentials, URL).

    Raises:
        TemplateError: a value the engine cannot express, with its field named.
        ValueError: no such engine.
    """
    from connector.engines._shared import ExportOptions

    return load_adapter(engine).export(task, options or ExportOptions())


def import_task(
    document: Any, engine: str, *, task: str | None = None, name: str | None = None
) -> Import:
    """A task template read from an engine's task JSON or workflow definition.

    Args:
        document: the parsed engine JSON.
        engine: a registered engine name (`engine_names()`).
        task: which HTTP task of a workflow definition (needed when there are several).
        name: the template name when the document does not carry one.

    Raises:
        TemplateError: not an HTTP task of that engine, or a value a template cannot hold.
        ValueError: no such engine.
    """
    return load_adapter(engine).import_(document, task=task, name=name)
