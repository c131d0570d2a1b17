"""One operation of a description as a format-2 task template (a JSON object).

`build_template` gathers what the other modules make of the operation: environments from
its servers, inputs from its parameters and body, `auth` from its security, success codes and
response schemas, and `examples[0]`, a complete input set. Any problem that stops the
operation is a `SkipError`, whose reason names the operation and a JSON pointer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connector.openapi._binding import named_hosts
from connector.openapi._bodies import Body, build_body, kind_of
from connector.openapi._keys import declared_safe, infer_idempotency
from connector.openapi._names import identifier, kebab
from connector.openapi._parameters import build_parameters, effective
from connector.openapi._refs import RefError, Refs, as_dict, pointer_join
from connector.openapi._responses import build_responses
from connector.openapi._schemas import SchemaBuilder, SchemaError
from connector.openapi._security import (
    SchemeTable,
    operation_auth,
    secret_parameters,
)
from connector.openapi._servers import build_servers
from connector.openapi._tags import palette_group

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")
SENDABLE = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "query"})
_TOKEN = re.compile(r"[A-Z][A-Z0-9-]{0,31}")
_NEVER_SENT = frozenset({"TRACE", "CONNECT"})
"""Methods that echo or tunnel: a workflow step never sends them, however declared."""


class SkipError(Exception):
    """An operation that is not imported, and why (the reason names a JSON pointer)."""


@dataclass(frozen=True)
class OperationRef:
    """Where one operation is in the description."""

    method: str
    path: str
    pointer: str
    operation: dict[str, Any]
    path_item: dict[str, Any]
    path_pointer: str

    @property
    def operation_id(self) -> str | None:
        value = self.operation.get("operationId")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def label(self) -> str:
        """How a message names the operation."""
        head = f"{self.method.upper()} {self.path}"
        return f"{self.operation_id} ({head})" if self.operation_id else head

    @property
    def tags(self) -> list[str]:
        tags = self.operation.get("tags")
        return [str(t) for t in tags] if isinstance(tags, list) else []


def find_operations(document: dict[str, Any], refs: Refs) -> Iterator[OperationRef | SkipError]:
    """Every operation under `paths`, in order; a path item that cannot be read is a SkipError."""
    paths = as_dict(document.get("paths"))
    for path, raw in paths.items():
        path_pointer = pointer_join("/paths", path)
        try:
            path_pointer, item = refs.deref(raw, path_pointer)
        except RefError as exc:
            yield SkipError(f"path {path}: {exc}")
            continue
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                pointer = pointer_join(path_pointer, method)
                yield OperationRef(method, str(path), pointer, item[method], item, path_pointer)
        yield from _additional(path, item, path_pointer)


def _additional(path: str, item: dict[str, Any], path_pointer: str) -> Iterator[OperationRef]:
    """OpenAPI 3.2's `additionalOperations`: other methods, keyed as they are sent."""
    for method, operation in as_dict(item.get("additionalOperations")).items():
        if isinstance(operation, dict):
            pointer = pointer_join(path_pointer, "additionalOperations", method)
            yield OperationRef(str(method), str(path), pointer, operation, item, path_pointer)


@dataclass
class Context:
    """What every operation of one description shares."""

    document: dict[str, Any]
    refs: Refs
    schemas: SchemaBuilder
    api: str
    prefix: str
    schemes: SchemeTable
    overlays: tuple[str, ...] = ()


@dataclass
class Built:
    """A template and what the import reports about it."""

    template: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    bindings: dict[str, set[str]] = field(default_factory=dict)
    """The hosts the description names for each credential variable."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Each of those hosts, and where the description names it."""


def build_template(context: Context, op: OperationRef, name: str) -> Built:
    """The task template for `op`, named `name`.

    Raises:
        SkipError: the operation cannot be imported (the reason names where).
    """
    if op.method not in SENDABLE and (not _TOKEN.fullmatch(op.method) or op.method in _NEVER_SENT):
        raise SkipError(
            f"{op.label}: method {op.method.upper()} is not supported (at #{op.pointer})"
        )
    try:
        return _build(context, op, name)
    except (RefError, SchemaError) as exc:
        raise SkipError(f"{op.label}: {exc.reason} (at #{exc.pointer})") from None
    except (RecursionError, MemoryError):
        raise SkipError(f"{op.label}: too deeply nested to import (at #{op.pointer})") from None


def _build(context: Context, op: OperationRef, name: str) -> Built:
    built = Built(template={})
    entries, where = _servers_of(context.document, op)
    servers = build_servers(entries, context.prefix)
    built.warnings.extend(servers.warnings)
    taken = set(servers.inputs)
    entries = effective(
        context.refs,
        op.path_item.get("parameters"),
        op.operation.get("parameters"),
        op.path_pointer,
        op.pointer,
    )
    parameters = build_parameters(entries, context.schemas, taken)
    built.warnings.extend(parameters.warnings)
    inputs: dict[str, Any] = {**servers.inputs, **parameters.inputs}
    # `/PutAuditEvents#channelArn`: a fragment only tells operations apart; it is never sent
    url = _url(op.path.split("#", 1)[0], parameters.path_keys, inputs)
    body = None
    if "requestBody" in op.operation:
        body = build_body(
            context.refs,
            op.operation["requestBody"],
            pointer_join(op.pointer, "requestBody"),
            context.schemas,
            taken,
        )
    success, responses = build_responses(
        context.refs,
        op.operation.get("responses"),
        pointer_join(op.pointer, "responses"),
        context.schemas,
    )
    auth = operation_auth(
        context.schemes, op.operation.get("security", context.document.get("security"))
    )
    built.warnings.extend(auth.warnings)
    auth.auth, secrets, moved = secret_parameters(auth.auth, inputs, context.prefix)
    built.warnings.extend(secrets)
    for key in moved:
        parameters.example.pop(key, None)
    parts = _Parts(servers.environments, inputs, url, body, success, responses)
    template = _assemble(context, op, name, parts)
    idempotency = infer_idempotency(
        context.document, method=op.method, path=op.path, url=url, inputs=inputs, body=body
    )
    if idempotency:
        template["idempotency"] = idempotency
    if auth.auth is not None:
        template["auth"] = auth.auth
        built.bindings, built.hosts = named_hosts(auth.auth["schemes"], servers.hosts, where)
    example = {**dict.fromkeys(servers.inputs, "example"), **parameters.example}
    if body is not None:
        example.update(body.example)
    template["examples"] = [example]
    if declared_safe(op.operation, op.method):
        template["retry"] = {"retryNonIdempotent": True}
    if op.operation.get("deprecated") is True:
        built.warnings.append(f"{op.label} is deprecated")
    built.template = template
    return built


def _servers_of(document: dict[str, Any], op: OperationRef) -> tuple[list[Any], str]:
    """The servers that apply to `op`, and where they are written (for the import's report)."""
    holders = (
        (op.operation, f" of operation {op.label}"),
        (op.path_item, f" of path {op.path}"),
        (document, ""),
    )
    for holder, where in holders:
        servers = holder.get("servers")
        if isinstance(servers, list) and servers:
            return servers, where
    return [], ""


def _url(path: str, keys: dict[str, str], inputs: dict[str, Any]) -> str:
    """The path with `<<input>>` for each `{param}` (one written but not declared: a string)."""

    def replace(match: re.Match[str]) -> str:
        wire = match.group(1)
        if wire not in keys:
            keys[wire] = identifier(wire)
            inputs.setdefault(
                keys[wire], {"in": "path", "required": True, "schema": {"type": "string"}}
            )
        return f"<<{keys[wire]}>>"

    return _PATH_PARAMETER.sub(replace, path)


@dataclass
class _Parts:
    """What the other modules made of an operation, to be put together."""

    servers: dict[str, Any]
    inputs: dict[str, Any]
    url: str
    body: Body | None
    success: list[int | str]
    responses: dict[str, Any]


def _assemble(context: Context, op: OperationRef, name: str, parts: _Parts) -> dict[str, Any]:
    operation: dict[str, Any] = {"api": context.api}
    if op.operation_id:
        operation["operationId"] = op.operation_id
    if op.tags:
        operation["tags"] = op.tags
        group = palette_group(context.document, op.tags)
        if group:
            operation["group"] = group
    if op.operation.get("deprecated") is True:
        operation["deprecated"] = True
    if context.overlays:
        operation["overlays"] = list(context.overlays)
    request: dict[str, Any] = {"url": parts.url, "method": op.method.upper()}
    accept = _accept(parts.responses)
    if accept:
        request["headers"] = {"Accept": accept}
    template: dict[str, Any] = {
        "name": name,
        "title": _title(op),
        "description": _text(op.operation.get("description")) or _text(op.operation.get("summary")),
        "operation": operation,
        "servers": parts.servers,
        "parameters": parts.inputs,
    }
    env = [spec["env"] for spec in parts.inputs.values() if spec.get("env")]
    if env:
        template["env"] = env
    body = parts.body
    if body is not None:
        request["contentType"] = body.content_type
        request["body"] = body.template
        if body.encoding and kind_of(body.content_type or "") in {"form", "multipart"}:
            request["encoding"] = body.encoding
        template["bodySchema"] = body.schema
    template["httpRequest"] = request
    template["successStatusCodes"] = parts.success
    if parts.responses:
        template["responses"] = parts.responses
    return template


def _accept(responses: dict[str, Any]) -> str | None:
    for code, response in responses.items():
        if code.startswith("2") and response.get("contentType"):
            return str(response["contentType"])
    return None


def _title(op: OperationRef) -> str:
    summary = _text(op.operation.get("summary")).strip()
    if summary:
        return summary.splitlines()[0][:200]
    if op.operation_id:
        return " ".join(kebab(op.operation_id).split("-")).capitalize()
    return f"{op.method.upper()} {op.path}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def default_name(op: OperationRef) -> str:
    """The task name: the operationId in kebab-case, else method and path."""
    return kebab(op.operation_id or f"{op.method} {op.path}")


__all__ = [
    "Built",
    "Context",
    "OperationRef",
    "SkipError",
    "build_template",
    "default_name",
    "find_operations",
]
