"""Validating a rendered body against the template's body schema, before anything is sent.

All problems are reported at once, each with a field path in dot notation
(`allocations.0.method`) and a message a person can act on (a schema may word its pattern
errors with the annotation `x-patternMessage`). Fields the schema marks
`readOnly`, and values matching a `deprecated` alternative, are accepted and reported as
warnings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs

from connector._errors import FieldError
from connector._render import compile_leaf
from connector._suggest import did_you_mean
from connector._template import TaskTemplate
from connector._validators import is_valid, validator

JSON_SCALARS = (str, int, float, bool, type(None))


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def _is_uri(value: str) -> bool:
    """An absolute http(s) URI. Braces stay legal: `{{id}}` is Rebilly's own placeholder."""
    if _SPACE_OR_CONTROL.search(value):
        return False
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _is_date_time(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value.upper() and parsed.tzinfo is not None


FORMATS = {"uri": _is_uri, "date-time": _is_date_time}


class BodyValidator:
    """Compiled once per template; `errors(body)` lists every problem."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = dict(schema)
        self._validator = validator(self.schema, formats=FORMATS, validate_formats=True)
        self._annotated = frozenset(
            key for key, sub in self.schema.get("properties", {}).items() if _has_annotations(sub)
        )

    def errors(self, body: Any, prefix: str = "") -> list[FieldError]:
        """Every problem with `body`, non-JSON values (NaN, Infinity, objects) first."""
        problems = list(non_json_values(body, prefix))
        if problems:
            return problems
        return self.schema_errors(body, prefix)

    def schema_errors(self, body: Any, prefix: str = "") -> list[FieldError]:
        """Every schema problem of a body already known to hold only JSON values."""
        if self._validator.is_valid(body):
            return []
        return sorted(
            (self._translate(error, prefix) for error in self._validator.iter_errors(body)),
            key=lambda error: error.field,
        )

    def warnings(self, body: Any) -> list[str]:
        """Read-only fields and deprecated forms present in a valid body."""
        if isinstance(body, Mapping) and self._annotated.isdisjoint(body):
            return []
        return list(_annotations(self.schema, body, ""))

    def _translate(self, error: jsonschema_rs.ValidationError, prefix: str) -> FieldError:
        path = [str(part) for part in error.instance_path]
        field = ".".join(filter(None, [prefix, *path]))
        kind = error.kind
        message = error.message
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
            unexpected = list(kind.unexpected)
            allowed = list(self._subschema(error.schema_path).get("properties", {}))
            field = _join(field, unexpected[0])
            message = "unknown field" + did_you_mean(unexpected[0], allowed)
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            field = _join(field, str(kind.property))
            message = "is required"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
            options = [str(option) for option in kind.options if option is not None]
            message = f"{error.instance!r} is not an allowed value" + did_you_mean(
                str(error.instance), options
            )
            if len(options) <= 8:
                message += f" (one of: {', '.join(options)})"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Type):
            message = f"must be {_types(kind.types)}, not {_json_type(error.instance)}"
        elif isinstance(
            kind,
            jsonschema_rs.ValidationErrorKind.AnyOf
            | jsonschema_rs.ValidationErrorKind.OneOfNotValid,
        ):
            description = self._subschema(error.schema_path[:-1]).get("description")
            message = f"{error.instance!r} is not valid" + (
                f": {description}" if description else ""
            )
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Format):
            message = f"{error.instance!r} is not a valid {kind.format}"
        elif isinstance(kind, jsonschema_rs.ValidationErrorKind.Pattern):
            hint = self._subschema(error.schema_path[:-1]).get("x-patternMessage")
            message = f"{error.instance!r} " + (hint or f"does not match {kind.pattern}")
        return FieldError(field=field, message=message)

    def _subschema(self, schema_path: Sequence[str | int]) -> dict[str, Any]:
        node: Any = self.schema
        for part in schema_path:
            node = node[part]
        return node if isinstance(node, dict) else {}

    def __repr__(self) -> str:
        return f"BodyValidator(properties={len(self.schema.get('properties', {}))})"


def non_json_values(value: Any, field: str = "") -> Iterator[FieldError]:
    """Values JSON cannot carry: NaN, Infinity, and anything that is not a JSON type."""
    if isinstance(value, float) and not math.isfinite(value):
        yield FieldError(field=field, message=f"{value} is not a JSON number")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                yield FieldError(field=field, message=f"key {key!r} is not a string")
            else:
                yield from non_json_values(item, _join(field, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from non_json_values(item, _join(field, str(index)))
    elif not isinstance(value, JSON_SCALARS):
        yield FieldError(field=field, message=f"a {type(value).__name__} is not a JSON value")


def _annotations(schema: Mapping[str, Any], value: Any, field: str) -> Iterator[str]:
    if schema.get("readOnly") and field:
        yield f"{field}: read-only, managed by the server; it is ignored or rejected on input"
        return
    if schema.get("deprecated") and field:
        yield f"{field}: {schema.get('description') or 'deprecated form'}"
    if isinstance(value, Mapping):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                yield from _annotations(properties[key], item, _join(field, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            yield from _annotations(schema["items"], item, _join(field, str(index)))
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        if branch.get("deprecated") and is_valid(branch, value):
            yield f"{field}: {branch.get('description') or 'deprecated form'}"


def _has_annotations(schema: Any) -> bool:
    """True when a schema or any schema below it is readOnly or deprecated."""
    if isinstance(schema, Mapping):
        if schema.get("readOnly") or schema.get("deprecated"):
            return True
        return any(_has_annotations(value) for value in schema.values())
    if isinstance(schema, list):
        return any(_has_annotations(item) for item in schema)
    return False


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _types(types: Sequence[Any]) -> str:
    names = [_TYPE_NAMES.get(str(kind).lower().split(".")[-1], str(kind)) for kind in types]
    return " or ".join(names)


_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    if isinstance(value, str):
        return "a string"
    return "an object" if isinstance(value, dict) else "an array"


# -- the task's input schema -------------------------------------------------------------------


def input_schema(template: TaskTemplate) -> dict[str, Any]:
    """Each parameter's schema, and for each body leaf `<<name>>` the schema of its field."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, parameter in template.parameters.items():
        properties[name] = {**parameter.json_schema, "description": parameter.description}
        if parameter.required and not parameter.env:
            required.append(name)
    body_schema = template.body_schema or {}
    for path, name in _simple_leaves(template.http_request.body, ()):
        schema, is_required = _schema_at(body_schema, path)
        properties.setdefault(name, schema)
        if is_required and name not in required:
            required.append(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": template.title,
        "type": "object",
        "properties": properties,
        "required": required,
    }


def undefined_placeholders(template: TaskTemplate) -> list[FieldError]:
    """Each `<<name>>` in a text (URL, server, header, or a body string that is more than one
    placeholder) that neither a parameter nor a body field's `<<name>>` leaf defines: almost
    always a typo, and an input no form would offer."""
    request = template.http_request
    defined = set(template.parameters) | {name for _, name in _simple_leaves(request.body, ())}
    texts = [
        ("httpRequest.url", request.url),
        *((f"servers.{name}", url) for name, url in template.base_urls.items()),
        *((f"httpRequest.headers.{name}", value) for name, value in request.headers.items()),
        *(("body." + ".".join(path), text) for path, text in _texts(request.body, ())),
    ]
    return [
        FieldError(field=field, message=f"<<{name}>>: no parameter or body field defines it")
        for field, text in texts
        for name in sorted(compile_leaf(text, field).variables - defined)
    ]


def _texts(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    """The body's string leaves that are not a single `<<name>>` (those define an input)."""
    if isinstance(value, str):
        if not compile_leaf(value, ".".join(path)).simple:
            yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, (*path, str(index)))


def _simple_leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        leaf = compile_leaf(value, ".".join(path))
        if leaf.simple:
            yield path, leaf.simple
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _simple_leaves(item, (*path, key))


def _schema_at(schema: Mapping[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], bool]:
    node, required = schema, True
    for key in path:
        required = required and key in node.get("required", [])
        node = node.get("properties", {}).get(key, {})
    return dict(node), required
