"""Merging the parts of an `allOf` into one schema, deeply, as the parts mean together.

Properties present in several parts are merged in turn, `required` is the union, types and
enums intersect, bounds take the tighter value, and annotations (description, examples, ...)
take the later part's. What cannot be folded into one schema (two parts that each have a
`oneOf`, or a part that is a reference to a recursive definition) is kept under `allOf`, so the
merged schema accepts exactly what the parts accept together. Inputs are never mutated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_SUBSCHEMAS = ("items", "additionalProperties", "propertyNames", "contains")
_COMBINATORS = ("oneOf", "anyOf", "not", "if", "then", "else")


def merge_all(parts: list[Any]) -> Schema:
    """One schema meaning the same as `allOf: parts` (later parts win for annotations)."""
    merged: Schema = {}
    kept: list[Any] = []
    for part in parts:
        if part is True or part == {}:
            continue
        if not isinstance(part, dict) or _is_reference(part):
            kept.append(part)
            continue
        merged = merge(merged, part)
    if kept:
        merged = {**merged, "allOf": [*merged.get("allOf", []), *kept]}
    return merged


def merge(first: Schema, second: Schema) -> Schema:
    """The schema that holds when both `first` and `second` hold."""
    result = dict(first)
    for key, value in second.items():
        if key not in result:
            result[key] = value
            continue
        rule = _RULES.get(key)
        if rule is not None:
            result[key] = rule(result[key], value)
        elif key in _COMBINATORS:
            result["allOf"] = [*result.get("allOf", []), {key: value}]
        else:
            result[key] = value
    return result


def _is_reference(schema: Schema) -> bool:
    return "$ref" in schema


def _properties(first: Any, second: Any) -> Any:
    if not isinstance(first, dict) or not isinstance(second, dict):
        return second
    result = dict(first)
    for name, schema in second.items():
        result[name] = _subschema(result[name], schema) if name in result else schema
    return result


def _subschema(first: Any, second: Any) -> Any:
    if first is False or second is False:
        return False
    if first is True or first == {}:
        return second
    if second is True or second == {}:
        return first
    if isinstance(first, dict) and isinstance(second, dict):
        if _is_reference(first) or _is_reference(second):
            return {"allOf": [first, second]}
        return merge(first, second)
    return second


def _required(first: Any, second: Any) -> Any:
    return list(dict.fromkeys([*_strings(first), *_strings(second)]))


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _types(first: Any, second: Any) -> Any:
    a, b = _type_list(first), _type_list(second)
    if "integer" in a and "number" in b:
        b.append("integer")
    if "integer" in b and "number" in a:
        a.append("integer")
    common = [t for t in a if t in b]
    if not common:
        return second
    return common[0] if len(common) == 1 else common


def _type_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _enum(first: Any, second: Any) -> Any:
    if not isinstance(first, list) or not isinstance(second, list):
        return second
    common = [value for value in first if value in second]
    return common or second


def _all_of(first: Any, second: Any) -> Any:
    return [
        *(first if isinstance(first, list) else []),
        *(second if isinstance(second, list) else []),
    ]


def _bound(pick: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def rule(first: Any, second: Any) -> Any:
        numbers = (int, float)
        if isinstance(first, numbers) and isinstance(second, numbers):
            return pick(first, second)
        return second

    return rule


_RULES: dict[str, Callable[[Any, Any], Any]] = {
    "properties": _properties,
    "patternProperties": _properties,
    "required": _required,
    "type": _types,
    "enum": _enum,
    "allOf": _all_of,
    **dict.fromkeys(_SUBSCHEMAS, _subschema),
    **dict.fromkeys(_LOWER_BOUNDS, _bound(max)),
    **dict.fromkeys(_UPPER_BOUNDS, _bound(min)),
}
