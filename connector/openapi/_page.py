"""A catalogue page's request-body table read as fields, and those fields as a JSON Schema.

A catalogue page renders one operation: its method and path, then a table per part of the
request. Under "Request body fields", each field is a line `NAME Type Required` (nested
fields flattened with `.` and `[]`: `allocations[].method`), followed by its description,
`Valid values:` with one `• "value"` line each, and `Default value: "..."`.

    fields = read_page(text)                      # in the page's order
    schema = page_schema(fields, described)       # the page's contract, constraints added
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from connector._errors import DescriptionError

__all__ = ["PageField", "field_at", "page_schema", "read_page"]

_FIELD: Final = re.compile(r"^(\S+) (String|Number|Integer|Boolean|Object|Array) (Yes|No)$")
_VALUE: Final = re.compile(r'^\s+•\s+"(.*)"$')
_DEFAULT: Final = re.compile(r"^Default value: (.+)$")
_TYPES: Final = {
    "String": "string",
    "Number": "number",
    "Integer": "integer",
    "Boolean": "boolean",
    "Object": "object",
    "Array": "array",
}
_SECTION: Final = "Request body fields"
_END: Final = "How to start integrating"
_CONSTRAINTS: Final = (
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "readOnly",
    "deprecated",
    "minItems",
    "maxItems",
)


@dataclass
class PageField:
    """One row of the page's request-body table."""

    path: str
    type: str
    required: bool
    description: str = ""
    values: list[str] = field(default_factory=list)
    default: Any = None


def read_page(text: str) -> list[PageField]:
    """The request-body fields of a catalogue page, in its order; raises `DescriptionError`."""
    lines = text.splitlines()
    try:
        start = lines.index(_SECTION)
    except ValueError:
        raise DescriptionError(f"the page has no {_SECTION!r} section") from None
    fields: list[PageField] = []
    prose: list[str] = []
    for line in lines[start + 1 :]:
        if line.strip() == _END:
            break
        if match := _FIELD.match(line):
            fields.append(PageField(match[1], _TYPES[match[2]], match[3] == "Yes"))
            prose = []
        elif not fields:
            continue
        elif match := _VALUE.match(line):
            fields[-1].values.append(match[1])
        elif match := _DEFAULT.match(line.strip()):
            fields[-1].default = _literal(match[1])
        elif line.strip() and line.strip() != "Valid values:" and not fields[-1].values:
            prose.append(line.strip())
            fields[-1].description = " ".join(prose)
    if not fields:
        raise DescriptionError(f"the page's {_SECTION!r} section lists no field")
    return fields


def _literal(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def page_schema(fields: list[PageField], described: dict[str, Any]) -> dict[str, Any]:
    """The page's fields as one JSON Schema (2020-12, unknown fields refused).

    The page decides which fields there are, their type, whether they are required, their
    description, valid values (in its order) and default. `described` (the same body in the
    API description, `$ref`s inlined) adds the constraints the page does not show: formats,
    patterns, lengths, bounds, `readOnly`, and `null` where the description allows it.
    """
    root: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "required": [],
        "properties": {},
    }
    for item in fields:
        parent, name, source = _place(root, described, item.path)
        parent.setdefault("properties", {})[name] = _field_schema(item, source)
        if item.required:
            parent.setdefault("required", []).append(name)
    return root


def _place(
    root: dict[str, Any], described: dict[str, Any], path: str
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """The object schema that holds `path`'s last part, that part, and the described one."""
    parts = path.split(".")
    node, source = root, described
    for part in parts[:-1]:
        name, is_list = (part[:-2], True) if part.endswith("[]") else (part, False)
        node = node["properties"][name]
        source = _property(source, name)
        if is_list:
            node = node.setdefault("items", {"type": "object"})
            source = _object(source.get("items"))
        node.setdefault("additionalProperties", False)
    last = parts[-1].removesuffix("[]")
    return node, last, _property(source, last)


def field_at(
    root: dict[str, Any], described: dict[str, Any], path: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The field at `path` (`a[].b`) of a schema `page_schema` made, and its described one."""
    parent, name, source = _place(root, described, path)
    return parent["properties"][name], source


def _property(schema: dict[str, Any], name: str) -> dict[str, Any]:
    for candidate in _branches(schema):
        properties = candidate.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get(name), dict):
            return dict(properties[name])
    return {}


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema]
    for key in ("allOf", "anyOf", "oneOf"):
        found += [_object(part) for part in schema.get(key) or () if isinstance(part, dict)]
    return found


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _field_schema(item: PageField, source: dict[str, Any]) -> dict[str, Any]:
    kind: Any = item.type
    if _allows_null(source):
        kind = [item.type, "null"]
    schema: dict[str, Any] = {"type": kind}
    for key in _CONSTRAINTS:
        for candidate in _branches(source):
            if key in candidate and key not in schema:
                schema[key] = candidate[key]
    if item.description:
        schema["description"] = item.description
    if item.values:
        schema["enum"] = [*item.values, None] if isinstance(kind, list) else list(item.values)
    if item.default is not None:
        schema["default"] = item.default
    return schema


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(
        _allows_null(_object(part)) for part in schema.get("anyOf") or schema.get("oneOf") or ()
    )
