"""A document's `sourceDescriptions` resolved: each operation a task, each source servable.

- `openapi`: a local file (relative to the Arazzo file) imported on the fly, in memory
  (the user catalogue is not touched); `catalog:API` names an API of the catalogue (shipped
  or imported). A remote URL is never fetched: `--source NAME=PATH` names a local copy, and
  only `allow_remote` (the user's `--allow-remote`) lets it be downloaded.
- `arazzo`: another Arazzo document, read and resolved the same way (nested, depth-bounded).
- `asyncapi`: refused with its reason (the connector sends HTTP requests; a channel is not one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit

import requests

from connector._catalog import load_task
from connector._errors import ConnectorError, FieldError, WorkflowError
from connector._read import max_input_bytes, read_text
from connector._store import all_rows
from connector._task import Task
from connector._template import parse_template
from connector.arazzo._load import from_data
from connector.arazzo._model import Document, SourceDescription
from connector.openapi import import_description, parse_text

if TYPE_CHECKING:
    from connector.emulator import Api

__all__ = ["Operation", "Source", "Sources", "resolve_sources"]

MAX_NESTING: Final = 5
CATALOG_SCHEME: Final = "catalog:"
ASYNCAPI_REFUSED: Final = (
    "AsyncAPI sources are not supported: the connector sends HTTP requests described by "
    "OpenAPI, and a step on an event channel has no request to send"
)
Fetch = Callable[[str], str]


@dataclass(frozen=True)
class Operation:
    """One operation a step can call: the task that sends it, and where it was found."""

    source: str
    task: Task
    operation_id: str | None
    method: str
    path: str


@dataclass
class Source:
    """One resolved source description."""

    name: str
    kind: str
    location: str
    operations: list[Operation] = field(default_factory=list)
    document: dict[str, Any] | None = None
    arazzo: Document | None = None
    nested: Sources | None = None
    catalog_api: str | None = None

    def by_id(self, operation_id: str) -> Operation | None:
        """The operation with this operationId."""
        return next((op for op in self.operations if op.operation_id == operation_id), None)

    def by_path(self, path: str, method: str | None) -> list[Operation]:
        """The operations at this path (of this method, when given)."""
        return [
            op
            for op in self.operations
            if op.path == path and (method is None or op.method.lower() == method.lower())
        ]

    def emulation(self) -> Api:
        """What an emulator serving this source answers with."""
        from connector.emulator import (  # noqa: PLC0415 - the emulator only when served
            api_from_description,
            emulation_for,
        )

        if self.document is not None:
            return api_from_description(self.document)
        return emulation_for(self.operations[0].task.template, whole_api=True).api


@dataclass
class Sources:
    """Every source of a document, by name."""

    by_name: dict[str, Source]

    def http(self) -> list[Source]:
        """The sources whose operations are sent (openapi)."""
        return [s for s in self.by_name.values() if s.kind == "openapi"]


def resolve_sources(
    document: Document,
    base: Path,
    *,
    overrides: Mapping[str, str] | None = None,
    fetch: Fetch | None = None,
    depth: int = 0,
) -> Sources:
    """Resolve each source of `document` (read from directory `base`).

    Raises:
        WorkflowError: a source cannot be read, each named by its JSON pointer.
    """
    overrides = overrides or {}
    resolved: dict[str, Source] = {}
    errors: list[FieldError] = []
    for index, described in enumerate(document.source_descriptions):
        where = f"/sourceDescriptions/{index}"
        try:
            if described.name in resolved:
                raise WorkflowError(f"the name {described.name!r} is used twice")
            location = overrides.get(described.name, described.url)
            resolved[described.name] = _resolve(described, location, base, fetch, depth)
        except ConnectorError as exc:
            errors.append(FieldError(field=where, message=_said(exc)))
    if errors:
        raise WorkflowError("a source description cannot be used", field_errors=errors)
    return Sources(resolved)


def _said(exc: ConnectorError) -> str:
    return "; ".join([exc.message, *(str(e) for e in exc.field_errors)])


def _resolve(
    described: SourceDescription, location: str, base: Path, fetch: Fetch | None, depth: int
) -> Source:
    if described.type == "asyncapi":
        raise WorkflowError(ASYNCAPI_REFUSED)
    if location.startswith(CATALOG_SCHEME):
        return _catalog_source(described.name, location.removeprefix(CATALOG_SCHEME))
    text, where, folder = _read(location, base, fetch)
    data = parse_text(text, source=where)
    kind = described.type or _kind(data)
    if kind == "asyncapi" or "asyncapi" in data:
        raise WorkflowError(ASYNCAPI_REFUSED)
    if kind == "arazzo":
        return _arazzo_source(described.name, data, where, folder, fetch=fetch, depth=depth)
    return _openapi_source(described.name, data, where)


def _kind(data: Mapping[str, Any]) -> str:
    return "arazzo" if "arazzo" in data else "asyncapi" if "asyncapi" in data else "openapi"


def _read(location: str, base: Path, fetch: Fetch | None) -> tuple[str, str, Path]:
    """(text, how to name it, the folder its own relative references start from)."""
    parts = urlsplit(location)
    if parts.scheme in {"http", "https"}:
        if fetch is None:
            raise WorkflowError(
                f"{location} is remote and is not fetched: give --source NAME=PATH for a "
                "local copy, or --allow-remote to download it"
            )
        return fetch(location), location, base
    if parts.scheme not in {"", "file"}:
        raise WorkflowError(f"{location}: the scheme {parts.scheme!r} cannot be read")
    path = base / unquote(parts.path)
    return read_text(path, error=WorkflowError), str(path), path.parent


def _openapi_source(name: str, data: dict[str, Any], where: str) -> Source:
    result = import_description(data, source=where)
    operations = [
        Operation(name, _task(i.template, where), i.operation_id, i.method, i.path)
        for i in result.imported
    ]
    return Source(name, "openapi", where, operations, document=data)


def _task(template: dict[str, Any], where: str) -> Task:
    return Task(parse_template(template, source=where))


def _catalog_source(name: str, api: str) -> Source:
    rows = all_rows(api)
    if not rows:
        raise WorkflowError(f"the catalogue has no API {api!r} (`connector list` shows them)")
    operations = []
    for row in rows:
        task = load_task(row["name"] if row["source"] == "shipped" else f"{api}/{row['name']}")
        operation = task.template.operation
        method, path = task.template.http_request.method, task.template.http_request.url
        operations.append(
            Operation(name, task, operation.operation_id if operation else None, method, path)
        )
    return Source(name, "openapi", CATALOG_SCHEME + api, operations, catalog_api=api)


def _arazzo_source(
    name: str, data: dict[str, Any], where: str, folder: Path, *, fetch: Fetch | None, depth: int
) -> Source:
    if depth >= MAX_NESTING:
        raise WorkflowError(f"Arazzo sources nest more than {MAX_NESTING} deep")
    nested = from_data(data, source=where)
    inner = resolve_sources(nested, folder, fetch=fetch, depth=depth + 1)
    return Source(name, "arazzo", where, arazzo=nested, nested=inner)


def fetch_remote(url: str, *, timeout: float = 10.0) -> str:
    """Download a remote source (only when the user said `--allow-remote`), size-capped."""
    try:
        with requests.get(url, timeout=timeout, stream=True, allow_redirects=True) as answer:
            answer.raise_for_status()
            data = answer.raw.read(max_input_bytes() + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        raise WorkflowError(f"cannot download {url}: {exc}") from None
    if len(data) > max_input_bytes():
        raise WorkflowError(f"{url} is over the {max_input_bytes()}-byte limit")
    return bytes(data).decode("utf-8", errors="replace")
