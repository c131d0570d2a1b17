"""The operations the emulator serves, read from an API description, and the router that
finds one for a request.

An `Operation` carries what the emulator needs of an OpenAPI operation and nothing more: its
method and path, its parameters with their schemas, the request body's schema and the
responses with theirs (each schema self-contained, see `_description.bundle`). Where it
comes from is not its concern: a description file (`--spec`), or the shipped templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from connector.emulator._description import bundle, resolve

__all__ = [
    "Body",
    "Operation",
    "Parameter",
    "ResponseSpec",
    "Router",
    "operations_from_description",
]

METHODS: Final = ("get", "put", "post", "patch", "delete", "head", "options")
_TEMPLATE_PART: Final = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True, slots=True)
class Parameter:
    """A path, query, header or cookie parameter."""

    name: str
    location: str
    required: bool = False
    schema: dict[str, Any] | None = None
    style: str | None = None
    explode: bool | None = None


@dataclass(frozen=True, slots=True)
class Body:
    """The request body: whether it is required, its media types and its schema."""

    required: bool
    media_types: tuple[str, ...]
    schema: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ResponseSpec:
    """One declared response: its content type, schema and example (any may be absent)."""

    status: str
    content_type: str | None = None
    schema: dict[str, Any] | None = None
    example: Any = None
    headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the description."""

    operation_id: str
    method: str
    path: str
    parameters: tuple[Parameter, ...] = ()
    body: Body | None = None
    responses: Mapping[str, ResponseSpec] = field(default_factory=dict)
    secured: bool = True
    prefix: str | None = None
    """The path of the operation's own servers (its own or its path's), where they differ
    from the description's: it is served there, as its template's `local` URL says."""

    def response(self, status: int) -> ResponseSpec | None:
        """The declared response for `status` (exact, then `4XX`-style, then `default`)."""
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in self.responses:
                return self.responses[key]
        return None

    def declares(self, status: int) -> bool:
        """Whether the description lists `status` itself for this operation."""
        return str(status) in self.responses

    def success(self) -> ResponseSpec | None:
        """The first declared 2xx response."""
        return next((spec for key, spec in self.responses.items() if key[:1] == "2"), None)


def _parameters(document: dict[str, Any], raw: Iterable[Any]) -> list[Parameter]:
    result = []
    for item in raw:
        spec = resolve(document, item)
        if not isinstance(spec, dict) or "name" not in spec or "in" not in spec:
            continue
        schema = spec.get("schema")
        result.append(
            Parameter(
                name=str(spec["name"]),
                location=str(spec["in"]),
                required=bool(spec.get("required", spec["in"] == "path")),
                schema=bundle(document, schema) if isinstance(schema, dict) else None,
                style=spec.get("style"),
                explode=spec.get("explode"),
            )
        )
    return result


def _body(document: dict[str, Any], raw: Any) -> Body | None:
    spec = resolve(document, raw)
    if not isinstance(spec, dict) or not isinstance(spec.get("content"), dict):
        return None
    content = spec["content"]
    json_type = next((name for name in content if _is_json(name)), None)
    schema = (content.get(json_type) or {}).get("schema") if json_type else None
    return Body(
        required=bool(spec.get("required", False)),
        media_types=tuple(content),
        schema=bundle(document, schema) if isinstance(schema, dict) else None,
    )


def _is_json(media_type: str) -> bool:
    base = media_type.split(";", 1)[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _response(document: dict[str, Any], status: str, raw: Any) -> ResponseSpec:
    spec = resolve(document, raw)
    spec = spec if isinstance(spec, dict) else {}
    content = spec.get("content") if isinstance(spec.get("content"), dict) else {}
    headers = tuple(spec["headers"]) if isinstance(spec.get("headers"), dict) else ()
    if not content:
        return ResponseSpec(status, headers=headers)
    content_type = next((name for name in content if _is_json(name)), next(iter(content)))
    media = resolve(document, content[content_type]) or {}
    schema = media.get("schema")
    example = media.get("example")
    if example is None and isinstance(media.get("examples"), dict) and media["examples"]:
        first = resolve(document, next(iter(media["examples"].values())))
        example = first.get("value") if isinstance(first, dict) else None
    return ResponseSpec(
        status,
        content_type=content_type,
        schema=bundle(document, schema) if isinstance(schema, dict) else None,
        example=example,
        headers=headers,
    )


def operations_from_description(
    document: dict[str, Any], *, path_prefixes: Sequence[str] = ()
) -> list[Operation]:
    """Every operation under `paths` (only those whose path starts with one of
    `path_prefixes`, when given), in the order the description lists them."""
    default_security = document.get("security")
    operations = []
    for path, raw_item in (document.get("paths") or {}).items():
        if path_prefixes and not any(path.startswith(prefix) for prefix in path_prefixes):
            continue
        item = resolve(document, raw_item)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            params = {(p.name, p.location): p for p in _parameters(document, shared)}
            params.update(
                {(p.name, p.location): p for p in _parameters(document, op.get("parameters", []))}
            )
            security = op.get("security", default_security)
            responses: dict[str, Any] = (
                op["responses"] if isinstance(op.get("responses"), dict) else {}
            )
            operations.append(
                Operation(
                    operation_id=str(op.get("operationId") or f"{method} {path}"),
                    method=method.upper(),
                    path=path.split("#", 1)[0],  # a fragment tells operations apart, never sent
                    parameters=tuple(params.values()),
                    body=_body(document, op.get("requestBody")),
                    responses={
                        str(status): _response(document, str(status), spec)
                        for status, spec in responses.items()
                    },
                    secured=bool(security) and not any(req == {} for req in security or []),
                    prefix=_own_prefix(op, item),
                )
            )
    return operations


def _own_prefix(op: dict[str, Any], item: dict[str, Any]) -> str | None:
    """The path of the operation's own (else its path's) first server, if it declares one."""
    for holder in (op, item):
        servers = holder.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            return server_prefix(str(servers[0].get("url", "")))
    return None


def server_prefix(url: str) -> str:
    """The path of a server URL (`https://h/organizations/{organizationId}` ->
    `/organizations/{organizationId}`), without a trailing slash."""
    without_scheme = url.split("://", 1)[-1] if "://" in url else url
    path = "/" + without_scheme.split("/", 1)[1] if "/" in without_scheme else ""
    if not url.startswith(("http://", "https://", "//")) and url.startswith("/"):
        path = url
    return path.rstrip("/")


class Router:
    """Finds the operation and the path values for a method and a path (werkzeug routing:
    literal segments win over templated ones, as `/batches/preview` over `/batches/{id}`)."""

    def __init__(self, operations: Sequence[Operation], prefix: str = "") -> None:
        self.operations = list(operations)
        self._names: list[dict[str, str]] = []
        rules = []
        for index, operation in enumerate(self.operations):
            names: dict[str, str] = {}
            own = operation.prefix if operation.prefix is not None else prefix
            rule = _werkzeug_rule(own + operation.path, names)
            self._names.append(names)
            rules.append(Rule(rule, methods=[operation.method], endpoint=index))
        self.map = Map(rules, strict_slashes=True, merge_slashes=False, redirect_defaults=False)

    def match(self, environ: Any) -> tuple[Operation, dict[str, str]]:
        """(operation, path values by their description names); raises werkzeug's
        NotFound or MethodNotAllowed."""
        adapter = self.map.bind_to_environ(environ)
        try:
            index, values = adapter.match()
        except NotFound:
            # a value with an encoded `/` (Azure's `{resourceUri}`) is one segment as sent
            raw = _segments_as_sent(environ)
            if raw is None:
                raise
            index, values = adapter.match(path_info=raw)
            values = {
                k: v.replace("%2F", "/") if isinstance(v, str) else v for k, v in values.items()
            }
        names = self._names[index]
        return self.operations[index], {names[key]: value for key, value in values.items()}


def _segments_as_sent(environ: Any) -> str | None:
    """The request path with each segment decoded but an encoded `/` kept as `%2F`; None
    when the path as sent is not known or holds no encoded `/`."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
    if "%2f" not in raw.lower():
        return None
    script = str(environ.get("SCRIPT_NAME") or "")
    raw = raw[len(script) :] if script and raw.startswith(script) else raw
    return "/".join(unquote(segment).replace("/", "%2F") for segment in raw.split("/"))


def _werkzeug_rule(template: str, names: dict[str, str]) -> str:
    def part(match: re.Match[str]) -> str:
        alias = f"p{len(names)}"
        names[alias] = match.group(1)
        return f"<{alias}>"

    return _TEMPLATE_PART.sub(part, template)
