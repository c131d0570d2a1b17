"""A value that a JSON Schema accepts, for the `examples` of an imported template.

Deterministic and small: the schema's own `const`, `examples`, `default` or `enum` when they are
valid; otherwise a value built from the type and its constraints (formats, patterns, bounds,
lengths, required properties; one branch of each `oneOf`/`anyOf`, the first that the whole
schema accepts). `$defs` references are followed with a depth bound, so recursive schemas end.
Each example is built within an `ExampleBudget` (size, steps, time); past it, a minimal value
is used and the import notes why (`_budget`).
"""

from __future__ import annotations

import math
from typing import Any

from connector._validators import validator
from connector.openapi._budget import ExampleBudget, OverBudgetError, note
from connector.openapi._merge import merge_all
from connector.openapi._refs import as_dict, as_list
from connector.openapi._regex import RegexTooHardError, RegexTooLongError, example_matching

Schema = dict[str, Any]

MAX_DEPTH = 24

FORMAT_EXAMPLES: dict[str, str] = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com",
    "url": "https://example.com",
    "iri": "https://example.com",
    "uri-reference": "https://example.com",
    "iri-reference": "https://example.com",
    "uri-template": "https://example.com/{id}",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "byte": "ZXhhbXBsZQ==",
    "json-pointer": "/example",
    "relative-json-pointer": "0",
    "regex": "^example$",
}


def is_valid(schema: Schema, value: Any, root: Schema | None = None) -> bool:
    """Whether `schema` (whose `$defs` are those of `root`) accepts `value`."""
    validator = _validator(schema, root)
    return validator is not None and bool(validator.is_valid(value))


def _validator(schema: Schema, root: Schema | None) -> Any:
    if root is not None and "$defs" in root and "$defs" not in schema:
        schema = {**schema, "$defs": root["$defs"]}
    try:
        return validator(schema, validate_formats=True)
    except ValueError:
        return None


def flatten(schema: Schema, root: Schema) -> Schema:
    """`schema` with its `$defs` reference followed and its `allOf` merged (one level)."""
    return _Generator(root)._resolve(schema, 0)


def example_for(schema: Any, root: Schema | None = None) -> Any:
    """A value `schema` accepts (as far as this generator can tell); `root` holds `$defs`.

    Past the example budget, the smallest value of the schema's type that it accepts (or,
    when none is small, that type's empty value), with a note for the import's warnings.
    """
    generator = _Generator(root if root is not None else schema)
    try:
        return generator.value(schema, 0)
    except OverBudgetError as exc:
        note(f"no example generated ({exc}): a minimal placeholder is used")
        return _minimal(schema, root)


_MINIMAL: dict[str, list[Any]] = {
    "string": ["", "a"],
    "integer": [0, 1],
    "number": [0, 1],
    "boolean": [True, False],
    "array": [[]],
    "object": [{}],
    "null": [None],
}


def _minimal(schema: Any, root: Schema | None) -> Any:
    """The first of the type's two smallest values that `schema` accepts (at most two checks)."""
    if not isinstance(schema, dict):
        return None
    candidates = _MINIMAL.get(_type_of(schema), [""])
    valid = (value for value in candidates if is_valid(schema, value, root))
    return next(valid, candidates[0])


class _Generator:
    def __init__(self, root: Any) -> None:
        self._defs: Schema = root.get("$defs", {}) if isinstance(root, dict) else {}
        self._root = root if isinstance(root, dict) else {}
        self._validators: dict[int, tuple[Schema, Any]] = {}
        self._budget = ExampleBudget()

    def _valid(self, schema: Schema, value: Any) -> bool:
        """is_valid, each schema compiled once per generation (they stay alive meanwhile)."""
        known = self._validators.get(id(schema))
        if known is None or known[0] is not schema:
            self._budget.step()
            known = (schema, _validator(schema, self._root))
            self._validators[id(schema)] = known
        return known[1] is not None and bool(known[1].is_valid(value))

    def value(self, schema: Any, depth: int) -> Any:
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return None
        self._budget.step()
        schema = self._resolve(schema, depth)
        if "const" in schema:
            return schema["const"]
        known = self._given(schema)
        if known is not _NONE:
            return known
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return next((v for v in enum if v is not None), enum[0])
        for keyword in ("oneOf", "anyOf"):
            if isinstance(schema.get(keyword), list) and schema[keyword]:
                return self._branch(schema, keyword, depth)
        return self._typed(schema, _type_of(schema), depth)

    def _resolve(self, schema: Schema, depth: int) -> Schema:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = self._defs.get(ref[8:], {})
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = merge_all([target, rest]) if rest else target
            return self._resolve(schema, depth + 1) if depth < MAX_DEPTH else schema
        if isinstance(schema.get("allOf"), list):
            parts = [self._resolve(p, depth + 1) for p in schema["allOf"] if isinstance(p, dict)]
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            return merge_all([*parts, rest])
        return schema

    def _given(self, schema: Schema) -> Any:
        candidates = (
            [*schema.get("examples", [])[:3]] if isinstance(schema.get("examples"), list) else []
        )
        if "default" in schema:
            candidates.append(schema["default"])
        for candidate in candidates:
            if candidate is not None and self._valid(schema, candidate):
                return candidate
        return _NONE

    def _branch(self, schema: Schema, keyword: str, depth: int) -> Any:
        rest = {k: v for k, v in schema.items() if k not in {keyword, "discriminator"}}
        first = _NONE
        for rich in (False, True):
            for branch in schema[keyword]:
                if not isinstance(branch, dict):
                    continue
                merged = merge_all([rest, self._resolve(branch, depth + 1)])
                candidate = (
                    self._richer(merged, depth + 1) if rich else self.value(merged, depth + 1)
                )
                if first is _NONE:
                    first = candidate
                if self._valid(schema, candidate):
                    return candidate
        return None if first is _NONE else first

    def _richer(self, schema: Schema, depth: int) -> Any:
        """Every property of an object branch, so that exactly one branch matches it."""
        value = self.value(schema, depth)
        properties = schema.get("properties")
        if isinstance(value, dict) and isinstance(properties, dict):
            for name, sub in properties.items():
                value.setdefault(name, self.value(sub, depth + 1))
        return value

    def _typed(self, schema: Schema, kind: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind in {"integer", "number"}:
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return _string(schema, self._budget)

    def _object(self, schema: Schema, depth: int) -> dict[str, Any]:
        properties = as_dict(schema.get("properties"))
        required = [n for n in as_list(schema.get("required")) if isinstance(n, str)]
        result = {name: self.value(properties.get(name, {}), depth + 1) for name in required}
        minimum = _count(schema.get("minProperties", 0))
        self._budget.charge(max(minimum, len(required)), "minProperties")
        for name, sub in properties.items():
            if len(result) >= minimum:
                break
            result.setdefault(name, self.value(sub, depth + 1))
        extra = schema.get("additionalProperties")
        while len(result) < minimum and extra is not False:
            result[f"key{len(result) + 1}"] = self.value(
                extra if isinstance(extra, dict) else {}, depth + 1
            )
        return result

    def _array(self, schema: Schema, depth: int) -> list[Any]:
        prefix = as_list(schema.get("prefixItems"))
        items = [self.value(sub, depth + 1) for sub in prefix]
        count = max(_count(schema.get("minItems", 1)), 1 if not prefix else 0)
        count = min(count, _count(schema.get("maxItems", count)))
        self._budget.charge(count + len(prefix), "minItems")
        item = schema.get("items", {})
        while len(items) < count and item is not False:
            items.append(self.value(item, depth + 1))
        return items


_NONE: Any = object()


def _type_of(schema: Schema) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), kind[0] if kind else None)
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf", "exclusiveMinimum")):
        return "number"
    return "string"


def _number(schema: Schema, *, integer: bool) -> int | float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + (1 if integer else 0.5)
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - (1 if integer else 0.5)
    value: float = low if isinstance(low, int | float) else 1
    if isinstance(high, int | float) and value > high:
        value = high if low is None else (low + high) / 2
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and step > 0:
        value = math.ceil(value / step) * step
    if integer:
        return (
            math.ceil(value)
            if not isinstance(high, int | float) or math.ceil(value) <= high
            else math.floor(value)
        )
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def _count(value: Any) -> int:
    """A count keyword's value (`minItems`), 0 when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    return max(int(value), 0)


def _string(schema: Schema, budget: ExampleBudget) -> str:
    low = _count(schema.get("minLength", 0))
    budget.charge(low, "minLength")
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    text = FORMAT_EXAMPLES.get(str(schema.get("format")), "")
    if isinstance(pattern, str):
        try:
            text = example_matching(pattern, min_length=low, limit=budget.size)
        except RegexTooLongError as exc:
            raise OverBudgetError(f"the pattern {exc}") from None
        except RegexTooHardError:
            pass
    elif not text:
        text = "example"
    if len(text) < low and not isinstance(pattern, str):
        text = text + "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high and not isinstance(pattern, str):
        text = text[:high]
    return text
