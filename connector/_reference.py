"""The operation's reference documentation, read from its template: what a catalogue page shows.

`reference(task)` builds it as a model (method and path, description, servers, credentials,
request headers, parameters, request body fields flattened with `[]` and `.`, each with its
type, required flag, description, valid values and default, and how to start);
`to_markdown()` renders it as a page, and the web page renders the same model beside the
form. Nothing here is kept by hand: it is all derived from the template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, JsonValue

from connector._model import StrictModel

if TYPE_CHECKING:
    from connector._task import Task

_PLACEHOLDER = re.compile(r"<<\s*([\w.]+)\s*>>")
_TYPE_NAMES = {
    "string": "String",
    "number": "Number",
    "integer": "Integer",
    "boolean": "Boolean",
    "object": "Object",
    "array": "Array",
}
MAX_DEPTH = 8
"""How deep nested body fields are listed (recursive schemas stop there)."""


class FieldDoc(StrictModel):
    """One documented field: a header, a parameter or a (flattened) body field."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    valid_values: list[JsonValue] = Field(default_factory=list)
    default: JsonValue = None
    has_default: bool = False
    location: str | None = None
    read_only: bool = False


class ServerDoc(StrictModel):
    """A named environment and its base URL."""

    name: str
    url: str


class Reference(StrictModel):
    """The reference page of one operation."""

    name: str
    title: str
    method: str
    path: str
    description: str
    servers: list[ServerDoc]
    credentials: list[str]
    headers: list[FieldDoc]
    parameters: list[FieldDoc]
    body_fields: list[FieldDoc]
    how_to_start: list[str]


def reference(task: Task) -> Reference:
    """The reference documentation of `task`'s operation."""
    template = task.template
    request = template.http_request
    return Reference(
        name=template.name,
        title=template.title,
        method=request.method,
        path=_braces(request.url),
        description=template.description,
        servers=[ServerDoc(name=n, url=_braces(u)) for n, u in template.base_urls.items()],
        credentials=list(template.auth.variables()),
        headers=list(_headers(task)),
        parameters=list(_parameters(task)),
        body_fields=list(body_fields(template.body_schema or {})),
        how_to_start=_how_to_start(task.name),
    )


def _braces(text: str) -> str:
    """`/payout-requests/<<id>>` as OpenAPI writes a path: `/payout-requests/{id}`."""
    return _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", text)


def _headers(task: Task) -> Iterator[FieldDoc]:
    request = task.template.http_request
    content_type = request.content_type or request.headers.get("Content-Type")
    if request.body is not None and content_type:
        yield FieldDoc(
            name="Content-Type",
            type="String",
            required=True,
            description="The media type of the request body.",
            default=content_type,
            has_default=True,
        )
    for name, value in request.headers.items():
        if name.lower() != "content-type":
            yield FieldDoc(name=name, type="String", default=value, has_default=True)


def _parameters(task: Task) -> Iterator[FieldDoc]:
    for key, parameter in task.template.parameters.items():
        schema = parameter.json_schema
        description = parameter.description
        if parameter.env:
            description = f"{description} (default: ${parameter.env})".strip()
        yield FieldDoc(
            name=parameter.name or key,
            type=_type_of(schema),
            required=parameter.required,
            description=description,
            valid_values=_values(schema),
            default=parameter.default if parameter.has_default else schema.get("default"),
            has_default=parameter.has_default or "default" in schema,
            location=parameter.location,
        )


def body_fields(schema: Mapping[str, Any], prefix: str = "", depth: int = 0) -> Iterator[FieldDoc]:
    """Every field of an object schema, flattened: `allocations[]`, `allocations[].method`."""
    schema = _object_branch(schema)
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        yield _field(f"{prefix}{name}", prop, name in required)
        if depth >= MAX_DEPTH:
            continue
        items = _object_branch(prop.get("items") or {}) if _is(prop, "array") else None
        if items is not None and items.get("properties"):
            yield from body_fields(items, f"{prefix}{name}[].", depth + 1)
        elif _object_branch(prop).get("properties"):
            yield from body_fields(prop, f"{prefix}{name}.", depth + 1)


def _field(name: str, schema: Mapping[str, Any], required: bool) -> FieldDoc:
    array = _is(schema, "array")
    return FieldDoc(
        name=f"{name}[]" if array else name,
        type=_type_of(schema),
        required=required,
        description=str(schema.get("description", "")),
        valid_values=_values(schema),
        default=schema.get("default"),
        has_default="default" in schema,
        read_only=bool(schema.get("readOnly")),
    )


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alternatives of a schema (anyOf/oneOf), or the schema itself."""
    found = schema.get("anyOf") or schema.get("oneOf")
    return list(found) if isinstance(found, list) else [schema]


def _types(schema: Mapping[str, Any]) -> list[str]:
    types: list[str] = []
    for branch in _branches(schema):
        kind = branch.get("type", "object" if "properties" in branch else None)
        for name in kind if isinstance(kind, list) else [kind]:
            if name and name != "null" and name not in types:
                types.append(name)
    return types


def _is(schema: Mapping[str, Any], kind: str) -> bool:
    return kind in _types(schema)


def _object_branch(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The branch that has properties, for a field that may also be a string or null."""
    return next((b for b in _branches(schema) if b.get("properties")), schema)


def _type_of(schema: Mapping[str, Any]) -> str:
    names = [_TYPE_NAMES.get(t, t) for t in _types(schema)]
    return " or ".join(names) or "Any"


def _values(schema: Mapping[str, Any]) -> list[Any]:
    values: list[Any] = []
    for branch in _branches(schema):
        values += [v for v in branch.get("enum", []) if v is not None and v not in values]
        if "const" in branch and branch["const"] is not None:
            values.append(branch["const"])
    return values


def _how_to_start(name: str) -> list[str]:
    return [
        f"See the inputs: `connector describe {name} --json` (or open the step in `connector "
        "serve`), and write them to a JSON file.",
        f"Dry run: `connector render {name} --input FILE` shows the exact request; nothing is "
        "sent.",
        f"Test request: `connector test-request {name} --input FILE` sends it (to the local "
        "emulator when no credentials are set) and shows the structured response.",
        f"Add it to a workflow: `connector export {name} --engine simworkflow|conductor`.",
    ]


# -- markdown ------------------------------------------------------------------------------


def to_markdown(ref: Reference) -> str:
    """The reference as a Markdown page."""
    lines = [f"# {ref.method} {ref.path}", "", f"**{ref.title}**", ""]
    if ref.description:
        lines += [ref.description, ""]
    lines += ["## Servers", "", "| Environment | Base URL |", "|---|---|"]
    lines += [f"| {s.name} | `{s.url}` |" for s in ref.servers]
    if ref.credentials:
        names = " or ".join(f"`{name}`" for name in ref.credentials)
        lines += ["", "## Authentication", "", f"Read from the environment: {names}."]
    lines += _table("Request headers", ref.headers)
    lines += _table("Parameters", ref.parameters, location=True)
    lines += _table("Request body fields", ref.body_fields)
    lines += ["", "## How to start", ""]
    lines += [f"{i}. {step}" for i, step in enumerate(ref.how_to_start, 1)]
    return "\n".join(lines) + "\n"


def _table(title: str, fields: list[FieldDoc], *, location: bool = False) -> list[str]:
    if not fields:
        return []
    head = (
        "| Name | In | Type | Required | Description |"
        if location
        else ("| Name | Type | Required | Description |")
    )
    rule = "|---|---|---|---|---|" if location else "|---|---|---|---|"
    rows = []
    for field in fields:
        where = f" {field.location} |" if location else ""
        required = "Yes" if field.required else "No"
        rows.append(f"| `{field.name}` |{where} {field.type} | {required} | {_details(field)} |")
    return ["", f"## {title}", "", head, rule, *rows]


def _details(field: FieldDoc) -> str:
    parts = [field.description] if field.description else []
    if field.read_only:
        parts.append("Read-only: set by the API.")
    if field.valid_values:
        values = ", ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in field.valid_values)
        parts.append(f"Valid values: {values}.")
    if field.has_default:
        parts.append(f"Default value: `{json.dumps(field.default, ensure_ascii=False)}`.")
    return " ".join(parts).replace("|", "\\|").replace("\n", " ")
