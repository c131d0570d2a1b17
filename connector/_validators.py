"""Every JSON Schema validator the connector builds: offline, with linear-time patterns.

Schemas come from outside (templates, imported descriptions), so each validator is built the
same way, here:

- **nothing is fetched**: retrieval is off (`offline=True`), so a `$ref` to `http://…` or to a
  local file is an unresolvable reference, reported by its address only (never the file's
  values); `$schema` and `$id` are names: a `$schema` that is not a draft this validator
  knows is read as 2020-12's rather than looked up;
- **checks are bounded**: a schema whose `$ref`s expand past `MAX_EXPANDED` nodes (a maze of
  branches naming the level below twice) is refused, since checking a value against it
  could take exponential time;
- **patterns run in linear time**: the `pattern` keyword and `patternProperties` use Rust's
  `regex` crate (finite automata, no backtracking; `RegexOptions`) instead of `fancy-regex`,
  so `^(a+)+$` answers at once whatever the input. What that engine cannot express
  (lookaround, backreferences) is refused when the schema is compiled, never matched
  slowly. `matches` gives the connector's own checks (path segments) the same engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

import jsonschema_rs

KNOWN_DRAFTS: Final = frozenset(
    {
        "http://json-schema.org/draft-04/schema",
        "http://json-schema.org/draft-06/schema",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    }
)
"""`$schema` values read as the draft they name; any other is a name, read as 2020-12."""

PATTERN_SIZE_LIMIT: Final = 16 << 20
"""Bytes one compiled pattern may take (a counted repeat such as `a{100000}` grows it). Real
descriptions need more than 1 MiB: `[\\P{M}\\p{M}]{1,10000}` takes about 10."""

_Formats = Mapping[str, Callable[[str], bool]]


def validator(
    schema: Any, *, formats: _Formats | None = None, validate_formats: bool = False
) -> jsonschema_rs.Validator:
    """A validator for `schema`, offline and with linear-time patterns.

    Raises:
        ValueError: the schema is not valid, a pattern is beyond the linear engine, or a
            `$ref` names something outside the schema (`jsonschema_rs.ValidationError`).
    """
    if expanded_size(schema) > MAX_EXPANDED:
        raise ValueError(
            f"the schema expands to more than {MAX_EXPANDED:,} nodes through its $refs "
            "(checking a value could take exponential time)"
        )
    return jsonschema_rs.validator_for(
        _named_draft(schema),
        formats=dict(formats) if formats else None,
        validate_formats=validate_formats,
        offline=True,
        pattern_options=jsonschema_rs.RegexOptions(size_limit=PATTERN_SIZE_LIMIT),
    )


MAX_EXPANDED: Final = 50_000
"""Schema nodes a validator may visit for one value, `$ref`s expanded (cycles cut): past it,
a maze of `anyOf` branches that each name the level below twice would take exponential time
to check an invalid value (2^30 branches from a 5 KB description; listing the errors of 2^16
takes 16 s). The largest body schema of the public descriptions we import expands to 3,414."""

_DATA_KEYWORDS: Final = frozenset({"$defs", "definitions", "enum", "const", "examples", "default"})


def expanded_size(schema: Any, *, cap: int = MAX_EXPANDED) -> int:
    """The nodes of `schema` with each local `$ref` replaced by its target (a reference back
    to a schema being expanded counts 1), at most `cap` + 1; no recursion."""
    sizes: dict[int, int] = {}
    expanding: set[int] = set()
    stack: list[tuple[Any, bool]] = [(schema, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            expanding.discard(key)
            total = 1 + sum(sizes.get(id(child), 1) for child in _parts(node, schema))
            sizes[key] = min(total, cap + 1)
        elif key not in sizes and key not in expanding:
            expanding.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _parts(node, schema))
    return sizes.get(id(schema), 1)


def _parts(node: Any, root: Any) -> list[Any]:
    if isinstance(node, list):
        return [item for item in node if isinstance(item, dict | list)]
    if not isinstance(node, dict):
        return []
    parts = [v for k, v in node.items() if k not in _DATA_KEYWORDS and isinstance(v, dict | list)]
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target = _pointer(root, ref[1:])
        if target is not None:
            parts.append(target)
    return parts


def _pointer(root: Any, pointer: str) -> Any:
    node = root
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if isinstance(node, dict | list) else None


def _named_draft(schema: Any) -> Any:
    if isinstance(schema, Mapping) and "$schema" in schema:
        name = str(schema["$schema"]).rstrip("#")
        if name not in KNOWN_DRAFTS:
            return {key: value for key, value in schema.items() if key != "$schema"}
    return schema


_NOT_LINEAR: Final = (
    "the linear-time engine cannot run it: not a regular expression, a lookaround or "
    "backreference, or over 16 MiB compiled"
)


def schema_problem(schema: Any) -> str | None:
    """Why `schema` cannot be used (not a schema, a pattern, a `$ref` outside it), or None."""
    try:
        validator(schema)
    except ValueError as exc:
        problem = _first_line(exc)
        return f"{problem} ({_NOT_LINEAR})" if 'is not a "regex"' in problem else problem
    return None


def is_valid(schema: Any, value: Any) -> bool:
    """Whether `schema` accepts `value`; a schema that cannot be compiled accepts nothing."""
    try:
        return bool(validator(schema).is_valid(value))
    except ValueError:
        return False


def pattern_problem(pattern: str) -> str | None:
    """Why the linear engine cannot run `pattern` (lookaround, backreference, size), or None."""
    return _compiled_pattern(pattern)[1]


def matches(pattern: str, text: str) -> bool:
    """Whether `pattern` is found in `text` (searched, as JSON Schema's `pattern` is), in
    linear time; a pattern the engine cannot run matches nothing."""
    compiled, _problem = _compiled_pattern(pattern)
    return compiled is not None and bool(compiled.is_valid(text))


@lru_cache(maxsize=256)
def _compiled_pattern(pattern: str) -> tuple[jsonschema_rs.Validator | None, str | None]:
    try:
        return validator({"type": "string", "pattern": pattern}), None
    except ValueError as exc:
        message = getattr(exc, "message", "") or _first_line(exc)
        if 'is not a "regex"' in message:
            message = _NOT_LINEAR
        return None, message


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
