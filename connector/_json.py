"""JSON from outside (task inputs, template files, engine documents, responses), bounded.

`json.loads` recurses once per level and raises `RecursionError` near a thousand levels; the
code that walks a parsed value afterwards (validation, redaction, printing) recurses too. So
JSON is parsed here, a `RecursionError` becomes a `ValueError`, and a value nested deeper
than `MAX_DEPTH` is refused. `problems` names, for a task input, each value the connector
cannot send: a lone surrogate (JSON's `"\\ud800"`), which no UTF-8 request can carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

from connector._errors import FieldError
from connector._suggest import shown

MAX_DEPTH: Final = 64
"""How deeply JSON from outside may nest (objects and arrays)."""


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text (NaN and Infinity are not JSON).

    Raises:
        ValueError: the text is not JSON, or nests deeper than `max_depth`.
    """
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(f"it nests deeper than {max_depth} levels") from None
    if depth_over(value, max_depth):
        raise ValueError(f"it nests deeper than {max_depth} levels")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def depth_over(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest deeper than `limit` in `value` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = _children(item)
        if children and depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return list(value)
    return []


_KINDS: Final[dict[type, str]] = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
    tuple: "an array",
    dict: "an object",
}


def json_kind(value: object) -> str:
    """What `value` is, in JSON's words (`an array`, `null`), for a message."""
    return _KINDS.get(type(value), f"a {type(value).__name__}")


def problems(
    value: Any, field: str = "", *, max_depth: int = MAX_DEPTH, full_path: bool = False
) -> Iterator[FieldError]:
    """What in a task input cannot be sent: too deep a value, a lone surrogate (no recursion).

    A value nested too deep is named by its field under `field` (`description`), or with
    `full_path` by the path down to where the limit is reached (`description.a.a.…`, cut
    for the message), which says where the nesting is when an engine built the input.
    """
    stack = [(value, field, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                yield FieldError(field=where, message="holds a lone surrogate (not valid Unicode)")
            continue
        if depth >= max_depth and isinstance(item, Mapping | list | tuple):
            top = where.split(".")[: len(field.split(".")) + 1 if field else 1]
            message = f"nests deeper than {max_depth} levels"
            yield FieldError(field=shown(where) if full_path else ".".join(top), message=message)
            continue
        stack.extend(_named_children(item, where, depth))


def _named_children(value: Any, where: str, depth: int) -> Iterator[tuple[Any, str, int]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = shown(str(key))
            path = f"{where}.{name}" if where else name
            if isinstance(key, str) and _has_surrogate(key):
                yield key, path, depth + 1
            else:
                yield item, path, depth + 1
    elif isinstance(value, list | tuple):
        yield from (
            (item, f"{where}.{i}" if where else str(i), depth + 1) for i, item in enumerate(value)
        )


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
