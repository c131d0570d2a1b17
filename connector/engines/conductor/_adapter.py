"""The Conductor engine adapter: export, import, a configured step, and `connector push`.

A configured step becomes a one-task workflow definition whose `inputTemplate` holds the
step's values (Conductor's defaults for `${workflow.input.…}`), escaped so that the engine
evaluates nothing in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pydantic import JsonValue

from connector._task import Task
from connector.engines._expressions import escape_literal, unescape_literal
from connector.engines._shared import Export, ExportOptions, Import
from connector.engines.conductor._export import export
from connector.engines.conductor._import import import_
from connector.engines.conductor._push import push

_DEFAULTS = "inputTemplate"


class ConductorAdapter:
    """Conductor: HTTP workflow tasks, task definitions, workflow definitions."""

    export = staticmethod(export)
    import_ = staticmethod(import_)
    server_env = "CONDUCTOR_SERVER_URL"

    def export_step(
        self, task: Task, options: ExportOptions, inputs: Mapping[str, JsonValue]
    ) -> Export:
        """A one-task workflow (named `TASK-step` unless given) with the values as defaults."""
        if inputs and not options.workflow:
            options = replace(options, workflow=f"{task.name}-step")
        result = export(task, options)
        if inputs:
            result.document["workflowDef"][_DEFAULTS] = escape_literal(dict(inputs))
        return result

    def import_step(
        self, document: Any, *, task: str | None
    ) -> tuple[Import, dict[str, JsonValue]]:
        """The import and the workflow's default inputs (alone or in our export's wrapper)."""
        result = import_(document, task=task)
        workflow = document.get("workflowDef", document) if isinstance(document, dict) else None
        defaults = workflow.get(_DEFAULTS) if isinstance(workflow, dict) else None
        inputs: dict[str, JsonValue] = (
            unescape_literal(defaults) if isinstance(defaults, dict) else {}
        )
        warnings = [w for w in result.warnings if not w.startswith(_DEFAULTS)]
        return result.model_copy(update={"warnings": warnings}), inputs

    def push(self, document: dict[str, Any], server: str, *, update: bool) -> dict[str, Any]:
        """Register the export's task definitions and workflow (see `_push`)."""
        return push(document, server, update=update).to_json()


ADAPTER = ConductorAdapter()
