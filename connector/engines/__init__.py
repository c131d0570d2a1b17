"""Workflow-engine adapters: a task template to an engine's HTTP task JSON, and back.

    export_task(task, "conductor", ExportOptions(...)) -> Export(document, warnings)
    import_task(document, "simworkflow", task=..., name=...) -> Import(template, options, warnings)

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

__all__ = [
    "METADATA_KEY",
    "Engine",
    "EngineAdapter",
    "Export",
    "ExportOptions",
    "Import",
    "Pusher",
    "WorkerCommand",
    "engine_names",
    "engines",
    "export_task",
    "import_task",
    "load_adapter",
    "load_worker",
    "register",
]

_LAZY = {"METADATA_KEY", "Export", "ExportOptions", "Import"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module("connector.engines._shared"), name)
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
