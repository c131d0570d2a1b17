"""Where a stored resource goes in an answer, and the fields the emulator generates for it.

A response schema keeps its resource at the top (`{"id": ..., "amount": ...}`), in one
wrapper property (`{"payment": {...}}`), or in an array (`{"data": [{...}]}`). The spot is the
one whose properties share the most names with the resource (the top wins a tie); the
resource is laid over the example built there, so that the answer is the user's data in the
API's own shape. The id goes in the field the schema names (`id`, `sid`, `uuid`, ..., else
the one property ending in `id`): an integer, text matching its pattern, or a UUID;
read-only date-time properties get the time of the call.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from connector.emulator._description import follow
from connector.emulator._synth import is_valid
from connector.openapi._regex import RegexTooHardError, example_matching

__all__ = ["id_field", "new_id", "place", "place_many", "resource_schema", "stamp"]

_MAX_HOPS: Final = 8
_ID_NAMES: Final = frozenset({"sid", "uuid", "uid", "key", "guid"})


def _deref(root: dict[str, Any], node: Any) -> dict[str, Any]:
    for _ in range(_MAX_HOPS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            break
        node = follow(root, node["$ref"])
    return node if isinstance(node, dict) else {}


def _props(root: dict[str, Any], node: Any) -> dict[str, dict[str, Any]]:
    """The properties of `node` (through `$ref` and `allOf`), each followed."""
    found: dict[str, dict[str, Any]] = {}
    pending, seen = [node], 0
    while pending and seen < 64:
        current = _deref(root, pending.pop(0))
        seen += 1
        for name, spec in (current.get("properties") or {}).items():
            found.setdefault(str(name), _deref(root, spec))
        pending.extend(current.get("allOf") or [])
    return found


def _spot(root: dict[str, Any], names: set[str]) -> tuple[str | None, bool, dict[str, Any]]:
    """(wrapper property or None for the top, whether it is an array, the resource schema)."""
    best: tuple[str | None, bool, dict[str, Any]] = (None, False, root)
    score = len(names & set(_props(root, root)))
    for name, spec in _props(root, root).items():
        many = spec.get("type") == "array"
        node = _deref(root, spec.get("items")) if many else spec
        shared = len(names & set(_props(root, node)))
        if shared > score:
            best, score = (name, many, node), shared
    return best


def resource_schema(root: dict[str, Any] | None, names: set[str]) -> dict[str, Any]:
    """The part of a response schema that holds a resource with these field names."""
    return {} if root is None else _spot(root, names)[2]


def place(root: dict[str, Any] | None, built: Any, stored: dict[str, Any]) -> Any:
    """`built` (the answer made from the schema) with `stored` laid where the schema keeps
    the resource; the stored resource itself when there is no schema or no object."""
    if root is None or not isinstance(built, dict):
        return dict(stored)
    name, many, _ = _spot(root, set(stored))
    if name is None:
        return {**built, **stored}
    inner = built.get(name)
    if many:
        first = inner[0] if isinstance(inner, list) and inner else None
        return {**built, name: [{**(first if isinstance(first, dict) else {}), **stored}]}
    return {**built, name: {**(inner if isinstance(inner, dict) else {}), **stored}}


def place_many(root: dict[str, Any], built: Any, items: list[dict[str, Any]]) -> Any:
    """A list answer: the items in the schema's array property (`{"data": [...]}`), or the
    items themselves when the schema has no such wrapper."""
    names = set().union(*(set(item) for item in items)) if items else set()
    arrays = [n for n, spec in _props(root, root).items() if spec.get("type") == "array"]
    name, many, _ = _spot(root, names) if names else (None, False, root)
    target = name if many else arrays[0] if len(arrays) == 1 else None
    if target is None:
        return items
    return {**(built if isinstance(built, dict) else {}), target: items}


def id_field(root: dict[str, Any] | None, node: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The field that holds the id of a resource of schema `node` (`id`, else the one
    property ending in `id`), and its schema."""
    props = _props(root, node) if root is not None else {}
    name = _id_name(props)
    return name, props.get(name, {})


def _id_name(props: dict[str, dict[str, Any]]) -> str:
    if "id" in props or not props:
        return "id"
    for name in props:  # Twilio's `sid`, a `uuid`, a `key`
        if name.lower() in _ID_NAMES:
            return name
    ending = [name for name in props if name.lower().endswith("id") and len(name) > 2]
    return ending[0] if len(ending) == 1 else "id"


def new_id(root: dict[str, Any] | None, schema: dict[str, Any], number: int) -> str | int:
    """A fresh id of the field's type: an integer, text matching its pattern, or a UUID
    (which meets a `uuid` format and most length limits)."""
    kind = schema.get("type")
    if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
        return number
    made = str(uuid.UUID(int=number, version=4))
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and root is not None and not is_valid(root, schema, made):
        try:
            matching = example_matching(pattern, min_length=int(schema.get("minLength", 0)))
        except (RegexTooHardError, ValueError, TypeError):
            return made
        return matching if is_valid(root, schema, matching) else made
    return made


def stamp(
    root: dict[str, Any] | None, node: dict[str, Any], resource: dict[str, Any], now: str
) -> dict[str, Any]:
    """The resource with every read-only date-time property of `node` it lacks set to `now`."""
    if root is None:
        return resource
    stamps = {
        name: now
        for name, spec in _props(root, node).items()
        if spec.get("readOnly") and spec.get("format") == "date-time" and name not in resource
    }
    return {**resource, **stamps}
