"""A value built from a schema: the smallest instance that the schema accepts.

Responses the emulator has no stored state for (a transaction made by `POST /payouts`, a
resource of an API served with `--spec`) are built from the response schema: the declared
example when it is valid, else `const`, `default`, the first `enum` value, a value that
meets `format`, `minimum` and `minLength`, and every required property. Alternatives
(`oneOf`, `anyOf`) are tried in order until one validates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from connector.emulator._description import follow
from connector.emulator._validation import compiled

__all__ = ["example_or_instance", "instance", "is_valid"]

MAX_DEPTH: Final = 12
_FORMATS: Final = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "someone@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def is_valid(root: dict[str, Any], node: Any, value: Any) -> bool:
    """Whether `value` meets `node`, a part of the bundled schema `root`."""
    if node is root:
        return _valid(root, value)
    wrapper = _wrappers.get(id(node))
    if wrapper is None or wrapper[0] is not node:
        wrapper = (node, {**{k: v for k, v in root.items() if k != "allOf"}, "allOf": [node]})
        _wrappers[id(node)] = wrapper
    return _valid(wrapper[1], value)


def _valid(schema: dict[str, Any], value: Any) -> bool:
    """A schema that cannot be compiled (a `$ref` outside the description) accepts nothing."""
    try:
        return bool(compiled(schema).is_valid(value))
    except ValueError:
        return False


_wrappers: dict[int, tuple[Any, dict[str, Any]]] = {}


def example_or_instance(root: dict[str, Any], example: Any = None) -> Any:
    """The declared example when `root` accepts it, else the built instance."""
    if example is not None and is_valid(root, root, example):
        return example
    return instance(root)


def instance(root: dict[str, Any], node: Any = None, depth: int = 0) -> Any:
    """The smallest value `node` (default: all of `root`) accepts, as far as it can tell."""
    node = root if node is None else node
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return None
    given = [node[key] for key in ("const", "default", "example") if key in node]
    given += [next((v for v in node["enum"] if v is not None), None)] if node.get("enum") else []
    for value in given:
        if is_valid(root, node, value):
            return value
    return _composed(root, node, depth)


def _composed(root: dict[str, Any], node: dict[str, Any], depth: int) -> Any:
    if isinstance(node.get("$ref"), str):
        return instance(root, follow(root, node["$ref"]), depth + 1)
    for key in ("oneOf", "anyOf"):
        if isinstance(node.get(key), list):
            return _alternative(root, node, key, depth)
    if isinstance(node.get("allOf"), list):
        return _all_of(root, node, depth)
    return _typed(root, node, depth)


def _alternative(root: dict[str, Any], node: dict[str, Any], key: str, depth: int) -> Any:
    base = {k: v for k, v in node.items() if k not in {key, "discriminator"}}
    first: Any = None
    for option in node[key]:
        candidate = _merge(instance(root, base, depth + 1), instance(root, option, depth + 1))
        first = candidate if first is None else first
        if is_valid(root, node, candidate):
            return candidate
    return first


def _all_of(root: dict[str, Any], node: dict[str, Any], depth: int) -> Any:
    value = instance(root, {k: v for k, v in node.items() if k != "allOf"}, depth + 1)
    for part in node["allOf"]:
        value = _merge(value, instance(root, part, depth + 1))
    return value


def _merge(left: Any, right: Any) -> Any:
    if isinstance(left, dict) and isinstance(right, dict):
        return {**left, **right}
    return right if right is not None else left


def _typed(root: dict[str, Any], node: dict[str, Any], depth: int) -> Any:
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    kind = next((k for k in kinds if k != "null"), None)
    if kind is None and ("properties" in node or "required" in node):
        kind = "object"
    if kind is None:
        return None
    if kind == "object":
        properties = node.get("properties") or {}
        return {
            name: instance(root, properties.get(name, {}), depth + 1)
            for name in node.get("required") or []
        }
    if kind == "array":
        item = instance(root, node.get("items") or {}, depth + 1)
        count = int(node.get("minItems", 0))
        return [item] * count if not node.get("uniqueItems") or count <= 1 else []
    if kind == "string":
        text = _FORMATS.get(str(node.get("format")), "x")
        return text.ljust(int(node.get("minLength", 0)), "x")
    if kind in {"number", "integer"}:
        return _number(node, integer=kind == "integer")
    return False if kind == "boolean" else None


def _number(node: dict[str, Any], *, integer: bool) -> int | float:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    value: int | float = 0 if not isinstance(low, int | float) else low
    if "exclusiveMinimum" in node and "minimum" not in node:
        value = value + 1 if integer else value + 0.5
    high = node.get("maximum")
    if high is not None and value > high:
        value = high
    return int(value) if integer else value


def now_utc(timestamp: float) -> str:
    """`timestamp` as the `date-time` the emulator writes."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
