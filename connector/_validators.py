"""Every JSON Schema validator the connector builds: offline, with linear-time patterns.

Schemas come from outside (templates, imported descriptions), so each validator is built the
same way, here:

- **nothing is fetched**: retrieval is off (`offline=True`), so a `$ref` to `http://…` or to a
  local file is an unresolvable reference, reported by its address only (never the file's
  values); `$schema` and `$id` are names: a `$schema` that is not a draft this validator
  knows is read as 2020-12's rather than looked up;
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
    return jsonschema_rs.validator_for(
        _named_draft(schema),
        formats=dict(formats) if formats else None,
        validate_formats=validate_formats,
        offline=True,
        pattern_options=jsonschema_rs.RegexOptions(size_limit=PATTERN_SIZE_LIMIT),
    )


def _named_draft(schema: Any) -> Any:
    if isinstance(schema, Mapping) and "$schema" in schema:
        name = str(schema["$schema"]).rstrip("#")
        if name not in KNOWN_DRAFTS:
            return {key: value for key, value in schema.items() if key != "$schema"}
    return schema


_NOT_LINEAR: Final = (
    "the linear-time engine runs no lookaround or backreference, and no pattern compiling "
    "to more than 16 MiB"
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
            message = f"it is not a regular expression, or {_NOT_LINEAR}"
        return None, message


def _first_line(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    lines = str(message).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
