"""`connector workflow export`: an Arazzo workflow as an engine's workflow definition."""

from __future__ import annotations

from connector.arazzo._check import Checked
from connector.arazzo._conductor import export_conductor
from connector.arazzo._simworkflow import export_simworkflow
from connector.engines._shared import Export, ExportOptions

__all__ = ["export"]


def export(checked: Checked, workflow_id: str, engine: str, options: ExportOptions) -> Export:
    """The workflow for `engine` (conductor, simworkflow); TemplateError naming what cannot go."""
    if engine == "conductor":
        return export_conductor(checked, workflow_id, options)
    if engine == "simworkflow":
        return export_simworkflow(checked, workflow_id, options)
    raise ValueError(f"no workflow export for engine {engine!r} (conductor, simworkflow)")
