"""Reading an Arazzo file (YAML 1.2 or JSON, size-capped) into the strict `Document` model.

A shape error is reported once per field, named by its JSON pointer
(`/workflows/0/steps/2/onFailure/0/retryLimit`), never as a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from connector._errors import DescriptionError, FieldError, WorkflowError
from connector._model import plain_message
from connector._read import read_text
from connector.arazzo._model import Document
from connector.openapi import parse_text

__all__ = ["load_document", "parse_document", "pointer"]


def load_document(path: Path) -> Document:
    """The Arazzo document in `path` (read by the connector's bounded reader: size-capped,
    UTF-8 errors named by line and column).

    Raises:
        WorkflowError: the file cannot be read, is not JSON/YAML, or not Arazzo's shape.
    """
    return parse_document(read_text(path, error=WorkflowError), source=str(path))


def parse_document(text: str, *, source: str) -> Document:
    """The Arazzo document in `text` (`source` names it in messages)."""
    try:
        data = parse_text(text, source=source)
    except DescriptionError as exc:
        raise WorkflowError(
            exc.message.replace("an OpenAPI description", "an Arazzo document")
        ) from None
    return from_data(data, source=source)


def from_data(data: Any, *, source: str) -> Document:
    """The document from parsed JSON; WorkflowError naming each bad field by pointer."""
    if not isinstance(data, dict) or "arazzo" not in data:
        raise WorkflowError(f"{source} is not an Arazzo document (no 'arazzo' version field)")
    try:
        return Document.model_validate(data)
    except ValidationError as exc:
        errors = _field_errors(exc.errors())
        raise WorkflowError(
            f"{source} is not a valid Arazzo document", field_errors=errors
        ) from None


def _field_errors(errors: list[ErrorDetails]) -> list[FieldError]:
    """One error per pointer (a union's alternatives each complain; the first is kept)."""
    seen: dict[str, FieldError] = {}
    for error in errors:
        where = pointer(part for part in error["loc"] if not _is_union_tag(part))
        seen.setdefault(where, FieldError(field=where, message=plain_message(error)))
    return list(seen.values())


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and (
        "[" in part or part[:1].isupper() or part in {"str", "list", "dict", "literal"}
    )


def pointer(parts: Any) -> str:
    """The JSON pointer of a path of keys and indexes (RFC 6901 escaping)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"
