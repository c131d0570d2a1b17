"""`POST /api/workflows/plan`: the page's workflow panel, an Arazzo document's dry run.

The page sends the document's text; the answer is `connector workflow plan`'s JSON (each
step's request with what is known before the run, where each value comes from, safe to
repeat, credential hosts), nothing sent. The service reads no file and fetches nothing a
document names: only `catalog:API` sources are resolved here (a document whose sources are
files is planned with `connector workflow plan` on the command line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from pydantic import Field, JsonValue

from connector._errors import FieldError, InputError
from connector._model import StrictModel
from connector.arazzo import check_document, parse_document, resolve_sources
from connector.arazzo._plan import plan_workflow
from connector.arazzo._sources import CATALOG_SCHEME

__all__ = ["WorkflowPlanRequest", "plan"]

MAX_DOCUMENT: Final = 1 << 20


class WorkflowPlanRequest(StrictModel):
    """An Arazzo document (YAML or JSON text), which workflow, and its inputs."""

    document: str = Field(min_length=1, max_length=MAX_DOCUMENT)
    workflow_id: str | None = Field(default=None, max_length=200)
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    environment: str = Field(default="local", pattern=r"^[A-Za-z0-9_-]{1,40}$")


def plan(body: WorkflowPlanRequest) -> dict[str, Any]:
    """The plan of the chosen workflow (the first when none is named).

    Raises:
        WorkflowError: the document breaks its shape or rules (fields by JSON pointer).
        InputError: a source that is not a catalogue API, or an unknown workflow.
    """
    document = parse_document(body.document, source="the document")
    refused = [
        FieldError(
            field=f"/sourceDescriptions/{index}/url",
            message="the page plans catalogue sources only (catalog:API); plan a document "
            "whose sources are files with `connector workflow plan`",
        )
        for index, source in enumerate(document.source_descriptions)
        if not source.url.startswith(CATALOG_SCHEME)
    ]
    if refused:
        raise InputError("a source the service does not read", field_errors=refused)
    checked = check_document(document, resolve_sources(document, Path("/nonexistent")))
    ids = [w.workflow_id for w in document.workflows]
    chosen = body.workflow_id or ids[0]
    if chosen not in ids:
        field = FieldError(field="workflowId", message=f"one of: {', '.join(ids)}")
        raise InputError(f"no workflow {chosen!r} in the document", field_errors=[field])
    return {
        "workflows": ids,
        **plan_workflow(checked, chosen, body.inputs, environment=body.environment),
    }
