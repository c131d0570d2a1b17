"""Webhooks and callbacks: the requests an API sends, read as events a workflow can wait for.

OpenAPI 3.1's `webhooks` name requests the API sends on its own (Rebilly's
`payout-request-created`); an operation's `callbacks` (3.0) describe requests the API sends
to a URL the client gave it (`{$request.body#/callbackUrl}/data`). Each becomes an `Event`:
its name (the webhook's key, or `<task>.<callback>`), the method and, for a callback, the URL
expression, the payload's media type and JSON Schema (as a receiver validates it), and the
headers the sender declares, those whose name says they carry a signature marked as such. An
event that cannot be read (a remote `$ref`, a schema too large) is a warning with its JSON
pointer; the others carry on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from connector.openapi._bodies import build_body
from connector.openapi._names import kebab
from connector.openapi._parameters import build_parameters, effective
from connector.openapi._refs import RefError, Refs, as_dict, pointer_join
from connector.openapi._schemas import SchemaBuilder, SchemaError

__all__ = ["Event", "find_events"]

_METHODS = ("post", "put", "patch", "get", "delete")
_SIGNATURE = re.compile(r"signature|hmac|-sign$", re.IGNORECASE)


@dataclass(frozen=True)
class Event:
    """One request the API sends: a webhook, or a callback of an operation."""

    name: str
    kind: Literal["webhook", "callback"]
    method: str
    pointer: str
    summary: str = ""
    url: str | None = None
    content_type: str | None = None
    payload: dict[str, Any] | None = None
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def signature_headers(self) -> list[str]:
        """The declared headers whose name says they carry the sender's signature."""
        return [name for name in self.headers if _SIGNATURE.search(name)]

    def to_json(self) -> dict[str, Any]:
        """The event as `catalog import --json` reports it."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "method": self.method}
        if self.url is not None:
            out["url"] = self.url
        if self.summary:
            out["summary"] = self.summary
        out.update(contentType=self.content_type, payload=self.payload, headers=self.headers)
        out["signatureHeaders"] = self.signature_headers
        return out


def find_events(
    document: dict[str, Any], refs: Refs, schemas: SchemaBuilder, warnings: list[str]
) -> list[Event]:
    """Every webhook, then every operation's callbacks, in the description's order."""
    events: list[Event] = []
    for name, pointer, item, url in _sources(document, refs, warnings):
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            where = pointer_join(pointer, method)
            try:
                events.append(
                    _event(
                        name,
                        method,
                        where,
                        item=item,
                        operation=operation,
                        url=url,
                        refs=refs,
                        schemas=schemas,
                    )
                )
            except (RefError, SchemaError) as exc:
                warnings.append(f"event {name!r}: {exc.reason} (at #{exc.pointer})")
            except (RecursionError, MemoryError):
                warnings.append(f"event {name!r}: too deeply nested to import (at #{where})")
    return events


def _sources(
    document: dict[str, Any], refs: Refs, warnings: list[str]
) -> Iterator[tuple[str, str, dict[str, Any], str | None]]:
    """(name, pointer, path item, URL expression) of each webhook and callback."""
    for key, raw in as_dict(document.get("webhooks")).items():
        found = _path_item(refs, raw, pointer_join("/webhooks", key), warnings)
        if found is not None:
            yield str(key), found[0], found[1], None
    for path, raw_item in as_dict(document.get("paths")).items():
        for method, operation in as_dict(raw_item).items():
            callbacks = as_dict(operation).get("callbacks") if method in _METHODS else None
            owner = as_dict(operation).get("operationId") or f"{method} {path}"
            base = pointer_join("/paths", path, method, "callbacks")
            for callback, raw in as_dict(callbacks).items():
                named = f"{kebab(str(owner))}.{callback}"
                found = _path_item(refs, raw, pointer_join(base, callback), warnings)
                for expression, item in as_dict(found[1] if found else None).items():
                    where = pointer_join(found[0] if found else base, expression)
                    got = _path_item(refs, item, where, warnings)
                    if got is not None:
                        yield named, got[0], got[1], str(expression)


def _path_item(
    refs: Refs, raw: Any, where: str, warnings: list[str]
) -> tuple[str, dict[str, Any]] | None:
    try:
        pointer, item = refs.deref(raw, where)
    except RefError as exc:
        warnings.append(f"event at #{where}: {exc.reason}")
        return None
    return (pointer, item) if isinstance(item, dict) else None


def _event(
    name: str,
    method: str,
    where: str,
    *,
    item: dict[str, Any],
    operation: dict[str, Any],
    url: str | None,
    refs: Refs,
    schemas: SchemaBuilder,
) -> Event:
    body = None
    if "requestBody" in operation:
        body = build_body(
            refs, operation["requestBody"], pointer_join(where, "requestBody"), schemas, set()
        )
    entries = effective(
        refs, item.get("parameters"), operation.get("parameters"), where.rsplit("/", 1)[0], where
    )
    headers = {
        key: spec
        for key, spec in build_parameters(entries, schemas, set()).inputs.items()
        if spec.get("in") == "header"
    }
    summary = operation.get("summary")
    return Event(
        name=name,
        kind="webhook" if url is None else "callback",
        method=method.upper(),
        pointer=where,
        summary=summary if isinstance(summary, str) else "",
        url=url,
        content_type=body.content_type if body else None,
        payload=body.schema if body else None,
        headers=headers,
    )
