"""A request checked against its operation: path and query values read by their schemas,
the JSON body parsed strictly and validated, every problem as `{field, message}`.

Read-only body fields are not the client's to send: they are dropped before the body is
validated (and a schema's `required` does not ask for them), like the real server.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import jsonschema_rs
from werkzeug.datastructures import MultiDict

from connector._validators import validator as offline_validator
from connector.emulator._description import follow
from connector.emulator._http import finite, float_sized, reject_constant
from connector.emulator._operations import Operation, Parameter

__all__ = [
    "BodyError",
    "Call",
    "compiled",
    "field_errors",
    "parse_json",
    "request_schema",
    "validate_call",
]

_INTEGER: Final = re.compile(r"-?\d{1,30}")
_NUMBER: Final = re.compile(r"-?\d{1,30}(\.\d{1,30})?([eE][-+]?\d{1,3})?")


class BodyError(ValueError):
    """The body is not JSON the emulator can read (a 400)."""


@dataclass(frozen=True, slots=True)
class Call:
    """A request's values by parameter name, its body, and every problem found."""

    path: dict[str, str]
    query: dict[str, Any]
    body: Any
    problems: list[dict[str, str]]


def _is_uri(value: str) -> bool:
    """An absolute URI (`about:blank` too). Braces stay legal: `{{id}}` is Rebilly's own
    placeholder."""
    parts = urlsplit(value)
    return bool(parts.scheme) and not any(char.isspace() or ord(char) < 32 for char in value)


_LOCK: Final = threading.Lock()
_COMPILED: dict[int, tuple[Any, jsonschema_rs.Validator]] = {}


def compiled(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """The validator for `schema`, built once (kept alongside the schema it was built for)."""
    with _LOCK:
        hit = _COMPILED.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
    validator = offline_validator(schema, formats={"uri": _is_uri}, validate_formats=True)
    with _LOCK:
        _COMPILED[id(schema)] = (schema, validator)
    return validator


def field_errors(schema: dict[str, Any], value: Any, prefix: str = "") -> list[dict[str, str]]:
    """Every problem of `value` against `schema`: `[{field, message}]`, dot notation."""
    problems = []
    try:
        validator = compiled(schema)
    except ValueError as exc:  # a `$ref` outside the description, a pattern beyond linear time
        reason = str(getattr(exc, "message", exc)).splitlines()[0]
        return [
            {"field": prefix, "message": f"cannot be checked: its schema is unusable: {reason}"}
        ]
    for error in validator.iter_errors(value):
        path = [str(part) for part in error.instance_path]
        message = error.message
        if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Required):
            path.append(str(error.kind.property))
            message = "This field is required"
        name = ".".join(path)
        field = f"{prefix}.{name}" if prefix and name else prefix or name
        problems.append({"field": field, "message": message})
    unique = {(item["field"], item["message"]): item for item in problems}
    return sorted(unique.values(), key=lambda item: item["field"])


def _strip_read_only_required(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strip_read_only_required(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    result = {key: _strip_read_only_required(value, root) for key, value in node.items()}
    members = node.get("properties")
    if isinstance(members, dict) and isinstance(node.get("required"), list):
        result["required"] = [
            name
            for name in node["required"]
            if not _follow_spec(root, members.get(name)).get("readOnly")
        ]
    return result


_REQUEST_SCHEMAS: dict[int, tuple[Any, dict[str, Any]]] = {}


def request_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` as a request must meet it: read-only properties are not required."""
    with _LOCK:
        hit = _REQUEST_SCHEMAS.get(id(schema))
        if hit is not None and hit[0] is schema:
            return hit[1]
    result: dict[str, Any] = _strip_read_only_required(schema, schema)
    with _LOCK:
        _REQUEST_SCHEMAS[id(schema)] = (schema, result)
    return result


def read_only_fields(schema: dict[str, Any] | None) -> frozenset[str]:
    """The top-level properties a bundled object schema marks read-only."""
    return frozenset(name for name, spec in properties(schema).items() if spec.get("readOnly"))


def writable_fields(schema: dict[str, Any] | None) -> tuple[str, ...]:
    """The top-level properties a client may send, in the schema's order."""
    return tuple(name for name, spec in properties(schema).items() if not spec.get("readOnly"))


def properties(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The top-level properties of a bundled schema (following `allOf` and local `$ref`)."""
    found: dict[str, dict[str, Any]] = {}
    pending = [schema] if schema else []
    while pending:
        node = pending.pop(0)
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/") and schema is not None:
            pending.append(follow(schema, ref))
        for name, spec in (node.get("properties") or {}).items():
            found.setdefault(name, _follow_spec(schema, spec))
        pending.extend(node.get("allOf") or [])
    return found


def _follow_spec(root: dict[str, Any] | None, spec: Any) -> dict[str, Any]:
    if isinstance(spec, dict) and isinstance(spec.get("$ref"), str) and root is not None:
        return {**follow(root, spec["$ref"]), **{k: v for k, v in spec.items() if k != "$ref"}}
    return spec if isinstance(spec, dict) else {}


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN or infinities, numbers that fit a float, valid Unicode."""
    try:
        value = json.loads(
            raw, parse_constant=reject_constant, parse_float=finite, parse_int=float_sized
        )
    except (ValueError, RecursionError) as exc:
        raise BodyError(f"The body is not valid JSON: {exc}") from exc
    return value


def surrogate_fields(value: Any, path: str = "") -> list[str]:
    """Where a string (or key) holds a lone surrogate, which no UTF-8 text can carry (a key
    with one is named with it escaped: `\\udfff`)."""
    if isinstance(value, str):
        return [path] if _has_surrogate(value) else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            name = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
            where = f"{path}.{name}" if path else name
            found += [where] if _has_surrogate(str(key)) else surrogate_fields(item, where)
        return found
    if isinstance(value, list):
        return [
            hit
            for i, item in enumerate(value)
            for hit in surrogate_fields(item, f"{path}.{i}" if path else str(i))
        ]
    return []


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _scalar(kind: Any, text: str) -> Any:
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in kinds and _NUMBER.fullmatch(text):
        return float(text)
    if "boolean" in kinds and text in {"true", "false"}:
        return text == "true"
    return text


def _top(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a bundled parameter schema wraps (`{"allOf": [schema], ...}`)."""
    inner = schema.get("allOf", [schema])[0] if "allOf" in schema else schema
    if isinstance(inner, dict) and isinstance(inner.get("$ref"), str):
        followed = follow(schema, inner["$ref"])
        return followed if isinstance(followed, dict) else {}
    return inner if isinstance(inner, dict) else {}


def query_value(parameter: Parameter, values: list[str]) -> Any:
    """A query parameter's value from its raw strings, read by its schema and style."""
    top = _top(parameter.schema or {})
    if top.get("type") == "array":
        explode = parameter.explode if parameter.explode is not None else True
        parts = values if explode else [p for v in values for p in v.split(",")]
        items: dict[str, Any] = top["items"] if isinstance(top.get("items"), dict) else {}
        return [_scalar(items.get("type"), part) for part in parts]
    return _scalar(top.get("type"), values[-1])


def validate_call(
    operation: Operation, path: Mapping[str, str], query: MultiDict[str, str], body: Any
) -> Call:
    """The values of a request and every problem with them (path, query and body).

    An operation that declares no status for invalid data (neither 400 nor 422) cannot
    refuse a query value: an invalid one is left out, as if it had not been sent."""
    lenient = not (operation.declares(400) or operation.declares(422))
    problems: list[dict[str, str]] = []
    query_values: dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.location == "path" and parameter.name in path and parameter.schema:
            value = _scalar(_top(parameter.schema).get("type"), path[parameter.name])
            problems += field_errors(parameter.schema, value, parameter.name)
        if parameter.location != "query":
            continue
        raw = query.getlist(parameter.name)
        if not raw:
            if parameter.required:
                problems.append({"field": parameter.name, "message": "This field is required"})
            continue
        value = query_value(parameter, raw)
        found = field_errors(parameter.schema, value, parameter.name) if parameter.schema else []
        if found and not lenient:
            problems += found
        elif not found:
            query_values[parameter.name] = value
    schema = operation.body.schema if operation.body is not None else None
    if schema is not None and body is not None:
        if isinstance(body, dict):
            hidden = read_only_fields(schema)
            body = {name: value for name, value in body.items() if name not in hidden}
        problems += field_errors(request_schema(schema), body)
    elif operation.body is not None and operation.body.required and body is None:
        # a body without a JSON schema (a form, text) is not checked, only required
        problems.append({"field": "body", "message": "A request body is required"})
    elif schema is not None and _top(schema).get("required"):
        problems += field_errors(request_schema(schema), {})  # no body: no required field
    return Call(dict(path), query_values, body, problems)
