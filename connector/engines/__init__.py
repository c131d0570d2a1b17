"""Workflow-engine adapters: a task template to an engine's HTTP task JSON, and back.

    export_task(task, "conductor", ExportOptions(...)) -> Export(document, warnings)
    import_task(document, "simworkflow", task=..., name=...) -> Import(template, options, warnings)

Every export is checked against the engine's JSON Schema shipped in `schemas/`; a placeholder
the engine cannot express fails with its field named; no export holds a secret value (auth is
referenced: SimWorkflow `credentials`, Conductor `${workflow.secrets.NAME}`). Exporting
`import.template` with `import.options` writes the imported engine JSON again.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Final

from connector._task import Task
from connector.engines._shared import METADATA_KEY, Export, ExportOptions, Import

__all__ = [
    "ENGINES",
    "METADATA_KEY",
    "Export",
    "ExportOptions",
    "Import",
    "export_task",
    "import_task",
]

ENGINES: Final = ("simworkflow", "conductor")


def _engine(name: str) -> ModuleType:
    if name in ENGINES:
        return importlib.import_module(f"connector.engines.{name}")
    raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")


def export_task(task: Task, engine: str, options: ExportOptions | None = None) -> Export:
    """The engine's task JSON for `task` (see ExportOptions for a workflow, credentials, URL).

    Raises:
        TemplateError: a value the engine cannot express, with its field named.
    """
    result: Export = _engine(engine).export(task, options or ExportOptions())
    return result


def import_task(
    document: Any, engine: str, *, task: str | None = None, name: str | None = None
) -> Import:
    """A task template read from an engine's task JSON or workflow definition.

    Args:
        document: the parsed engine JSON.
        engine: "simworkflow" or "conductor".
        task: which HTTP task of a workflow definition (needed when there are several).
        name: the template name when the document does not carry one.

    Raises:
        TemplateError: not an HTTP task of that engine, or a value a template cannot hold.
    """
    result: Import = _engine(engine).import_(document, task=task, name=name)
    return result
