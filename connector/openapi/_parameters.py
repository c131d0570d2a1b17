"""OpenAPI parameters (path, query, header, cookie) as template inputs, with example values.

Each parameter is the input named as in the description; a path parameter's name is made
placeholder-safe (`payout-id` -> `payout_id`, its wire name kept in `name`), and a name used in
two locations gets the location as prefix for the second (`query.id`). Path-level parameters
apply unless the operation redefines them. A parameter described by `content` (a JSON-encoded
value) keeps that content's schema and is reported as a warning, since it is sent as a string;
OpenAPI 3.2's `querystring` parameter is the whole query string, one input written by its
media type (`contentType`), so it is no warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.openapi._examples import example_for, is_valid
from connector.openapi._names import identifier
from connector.openapi._refs import Refs, pointer_join
from connector.openapi._schemas import SchemaBuilder

LOCATIONS = ("path", "query", "header", "cookie", "querystring")
_RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization", "content-length"})


@dataclass
class Parameters:
    """The inputs made from an operation's parameters."""

    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    example: dict[str, Any] = field(default_factory=dict)
    path_keys: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def effective(
    refs: Refs, path_level: Any, operation_level: Any, path_pointer: str, op_pointer: str
) -> list[tuple[str, dict[str, Any]]]:
    """The operation's parameters with their pointers: path-level ones unless redefined."""
    chosen: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for base, entries in ((path_pointer, path_level), (op_pointer, operation_level)):
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            where = pointer_join(base, "parameters", index)
            where, parameter = refs.deref(entry, where)
            if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
                chosen[(str(parameter.get("in")), parameter["name"])] = (where, parameter)
    return list(chosen.values())


def build_parameters(
    entries: list[tuple[str, dict[str, Any]]], schemas: SchemaBuilder, taken: set[str]
) -> Parameters:
    """Inputs for the given parameters; `taken` holds input names already in use."""
    result = Parameters()
    for where, parameter in entries:
        location = parameter.get("in")
        if location not in LOCATIONS:
            result.warnings.append(f"parameter at #{where}: 'in' {location!r} is not supported")
            continue
        wire = parameter["name"]
        if location == "header" and wire.lower() in _RESERVED_HEADERS:
            continue  # OpenAPI: described by the media types and security instead
        key = _key(wire, location, taken)
        spec, example = _one(parameter, where, schemas, result)
        if key != wire:
            spec["name"] = wire
        result.inputs[key] = spec
        if location == "path":
            result.path_keys[wire] = key
        if spec.get("required"):
            result.example[key] = example
    return result


def _key(wire: str, location: str, taken: set[str]) -> str:
    key = identifier(wire) if location == "path" else wire
    if key in taken:
        key = f"{location}.{key}" if location != "path" else f"{key}_path"
    taken.add(key)
    return key


def _one(
    parameter: dict[str, Any], where: str, schemas: SchemaBuilder, result: Parameters
) -> tuple[dict[str, Any], Any]:
    location = parameter["in"]
    raw_schema = parameter.get("schema")
    schema_where = pointer_join(where, "schema")
    if raw_schema is None and isinstance(parameter.get("content"), dict) and parameter["content"]:
        media, content = next(iter(parameter["content"].items()))
        raw_schema = content.get("schema") if isinstance(content, dict) else None
        schema_where = pointer_join(where, "content", media, "schema")
        if location != "querystring":
            result.warnings.append(
                f"parameter {parameter['name']!r} is {media} content, sent as text"
            )
    schema = schemas.build(raw_schema if raw_schema is not None else {}, schema_where, "plain")
    spec: dict[str, Any] = {"in": location}
    if location == "querystring" and isinstance(parameter.get("content"), dict):
        spec["contentType"] = str(next(iter(parameter["content"]), ""))
    if location == "path" or parameter.get("required") is True:
        spec["required"] = True
    for key in ("style", "explode", "allowReserved", "deprecated"):
        if key in parameter and _allowed(key, parameter[key], location):
            spec[key] = parameter[key]
    if isinstance(parameter.get("description"), str) and parameter["description"]:
        spec["description"] = parameter["description"]
    if "default" in schema and not is_valid(schema, schema["default"]):
        schema = {k: v for k, v in schema.items() if k != "default"}
        result.warnings.append(
            f"parameter {parameter['name']!r}: its default is not valid, left out"
        )
    spec["schema"] = schema
    return spec, _example(parameter, schema, location)


def _allowed(key: str, value: Any, location: str) -> bool:
    if key == "style":
        return value in _STYLES[location]
    return isinstance(value, bool)


_STYLES = {
    "path": {"simple", "label", "matrix"},
    "query": {"form", "spaceDelimited", "pipeDelimited", "deepObject"},
    "header": {"simple"},
    "cookie": {"form", "cookie"},
    "querystring": set(),
}


def _example(parameter: dict[str, Any], schema: dict[str, Any], location: str) -> Any:
    candidates = []
    if "example" in parameter:
        candidates.append(parameter["example"])
    examples = parameter.get("examples")
    if isinstance(examples, dict):
        candidates.extend(
            e["value"] for e in examples.values() if isinstance(e, dict) and "value" in e
        )
    for candidate in candidates:
        if _usable(candidate, location) and is_valid(schema, candidate):
            return candidate
    value = example_for(schema)
    if location == "path" and (
        value is None or value == "" or isinstance(value, dict | list | bool)
    ):
        return "example"
    return value


def _usable(value: Any, location: str) -> bool:
    if location != "path":
        return value is not None
    return (
        isinstance(value, str | int)
        and not isinstance(value, bool)
        and str(value) not in {"", ".", ".."}
    )
