"""Export and import through the engine adapters, shaped for the page."""

from __future__ import annotations

from typing import Any

from connector._errors import ConnectorError
from connector._task import Task
from connector.service._models import ExportRequest, ImportRequest, ImportResponse


class EngineUnavailableError(ConnectorError):
    """The engine adapters are not installed in this build."""

    kind = "unavailable"


def export(task: Task, request: ExportRequest) -> Any:
    """The engine task JSON for `task`, configured with `request.inputs`."""
    raise EngineUnavailableError(f"export to {request.engine} is not available", task=task.name)


def import_step(request: ImportRequest) -> ImportResponse:
    """The step an engine task JSON describes."""
    raise EngineUnavailableError(f"import from {request.engine} is not available")
