"""A workflow's inputs checked against its `inputs` JSON Schema before anything is sent.

The schema may point into `components/inputs` (`$ref: "#/components/inputs/x"`, at any
depth): it is validated as a document holding those components, so the pointers resolve
without any retrieval. Every problem is reported at once, named by field, by the body
validator every task uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector._errors import WorkflowError
from connector._schema import BodyValidator
from connector.arazzo._model import Document, Workflow

__all__ = ["check_inputs", "input_schema"]


def input_schema(document: Document, workflow: Workflow) -> dict[str, Any]:
    """The workflow's input schema, with the document's input components beside it."""
    schema = dict(workflow.inputs or {"type": "object"})
    if document.components.inputs:
        schema["components"] = {"inputs": document.components.inputs}
    return schema


def check_inputs(document: Document, workflow: Workflow, inputs: Mapping[str, Any]) -> None:
    """Raise WorkflowError naming each input the schema refuses."""
    try:
        validator = BodyValidator(input_schema(document, workflow))
    except ValueError as exc:
        raise WorkflowError(
            f"workflow {workflow.workflow_id!r}: its inputs schema: {exc}"
        ) from None
    errors = validator.errors(dict(inputs), "inputs")
    if errors:
        raise WorkflowError(
            f"the input does not fit workflow {workflow.workflow_id!r}", field_errors=errors
        )
