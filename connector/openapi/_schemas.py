"""OpenAPI schema objects as self-contained JSON Schemas (2020-12).

`SchemaBuilder.build(schema, pointer, mode)` resolves every `$ref` (lazily, once per target
and mode), merges `allOf` deeply, keeps `oneOf`/`anyOf` and turns a discriminator's mapping into
a `const` per branch (so validation picks exactly one), writes 3.0's `nullable` as a type array
and `example` as `examples`, and leaves `readOnly` properties out of request bodies (and
`writeOnly` ones out of responses). A schema that refers back to itself is kept recursive: it is
written once under `$defs` and referred to as `#/$defs/NAME`. Vendor extensions and keywords
that are not JSON Schema are dropped.

Work is bounded: a schema nested deeper than `MAX_DEPTH` or larger than `MAX_NODES` is refused
with a `SchemaError` naming where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from connector._suggest import shown
from connector._validators import pattern_problem
from connector.openapi._budget import note
from connector.openapi._merge import merge, merge_all
from connector.openapi._refs import Refs, pointer_join

Mode = Literal["request", "response", "plain"]
Schema = dict[str, Any]
Key = tuple[str, Mode]

MAX_DEPTH = 120
MAX_NODES = 400_000
SHARED_NODES = 150
"""A referenced schema larger than this is written once under `$defs`, not copied inline."""
RESPONSE_NODES = 20_000
"""A response schema whose definitions add up to more keeps only its first level of them."""

_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
_COPIED = frozenset(
    {
        "title",
        "description",
        "default",
        "const",
        "format",
        "deprecated",
        "readOnly",
        "writeOnly",
        "multipleOf",
        "maximum",
        "minimum",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "maxContains",
        "minContains",
        "contentMediaType",
        "contentEncoding",
        "dependentRequired",
    }
)
_ONE = (
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_NAMED = ("properties", "patternProperties", "dependentSchemas")
_SUBSCHEMA_KEYWORDS = frozenset({*_ONE, *_MANY, *_NAMED, "items"})
_HIDDEN: dict[Mode, str] = {"request": "readOnly", "response": "writeOnly"}
_DEF_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(slots=True)
class _Walk:
    """What one build carries down: the mode, and the definitions the result refers to."""

    mode: Mode
    deps: set[Key]


class SchemaError(Exception):
    """A schema that is not imported; `pointer` is where in the description."""

    def __init__(self, reason: str, pointer: str) -> None:
        super().__init__(f"{reason} (at #{pointer})")
        self.reason = reason
        self.pointer = pointer


class SchemaBuilder:
    """Builds JSON Schemas from the schema objects of one description (results are shared).

    3.0 and 3.1 forms are read alike (`nullable`, boolean exclusive bounds): real descriptions
    mix them, so the declared version does not change how a schema is read.
    """

    def __init__(self, refs: Refs) -> None:
        self._refs = refs
        self._memo: dict[Key, tuple[Any, frozenset[Key]]] = {}
        self._defs: dict[Key, tuple[Any, frozenset[Key]]] = {}
        self._recursive: set[Key] = set()
        self._active: set[Key] = set()
        self._names: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._sizes: dict[int, int] = {}
        self._built: dict[Key, tuple[Any, Schema]] = {}
        """Whole results by where they were built: a shared response is built once."""
        self._nodes = 0

    def build(self, schema: Any, pointer: str, mode: Mode) -> Schema:
        """The JSON Schema for `schema` (found at `pointer`), with `$defs` when recursive.

        Raises:
            SchemaError: too deep, too large, or not a schema.
            RefError: a `$ref` that is not local or points nowhere.
        """
        known = self._built.get((pointer, mode))
        if known is not None and known[0] is schema:
            return known[1]
        result = self._build(schema, pointer, mode)
        self._built[(pointer, mode)] = (schema, result)
        return result

    def _build(self, schema: Any, pointer: str, mode: Mode) -> Schema:
        self._nodes = 0
        walk = _Walk(mode, set())
        result = self._schema(schema, pointer, walk, 0)
        if not isinstance(result, dict):
            return {} if result is True else {"not": {}}
        if not walk.deps:
            return result
        defs = self._closure(walk.deps)
        if set(result) == {"$ref"} and result["$ref"].startswith("#/$defs/"):
            result = dict(defs[result["$ref"][8:]])
        if mode == "response" and sum(map(self._size, defs.values())) > RESPONSE_NODES:
            return dict(_unexpanded(result))
        return {**result, "$defs": defs}

    def _closure(self, deps: set[Key]) -> dict[str, Any]:
        defs: dict[str, Any] = {}
        todo = list(deps)
        while todo:
            key = todo.pop()
            name = self._names[key[0]]
            if name in defs:
                continue
            schema, more = self._defs[key]
            defs[name] = schema
            todo.extend(more)
        return dict(sorted(defs.items()))  # the same file whatever the hash seed

    # -- one schema ---------------------------------------------------------------------

    def _schema(self, node: Any, where: str, walk: _Walk, depth: int) -> Any:
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise SchemaError(f"schema is larger than {MAX_NODES} nodes", where)
        if depth > MAX_DEPTH:
            raise SchemaError(f"schema is nested deeper than {MAX_DEPTH} levels", where)
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            return self._reference(node, where, walk, depth)
        out: Schema = {}
        for key, value in node.items():
            if key in _COPIED:
                out[key] = value
            elif key in _SUBSCHEMA_KEYWORDS:
                self._subschemas(out, key, value, pointer_join(where, key), walk, depth=depth + 1)
            else:
                self._annotation(out, key, value)
        return _hide(self._finish(out, node, where, walk.mode), walk.mode)

    def _subschemas(
        self, out: Schema, key: str, value: Any, where: str, walk: _Walk, *, depth: int
    ) -> None:
        if key in _NAMED and isinstance(value, dict):
            out[key] = {
                name: self._schema(s, pointer_join(where, name), walk, depth)
                for name, s in value.items()
            }
        elif key in _ONE and isinstance(value, dict | bool):
            out[key] = self._schema(value, where, walk, depth)
        elif key in _MANY and isinstance(value, list):
            out[key] = [
                self._schema(s, pointer_join(where, i), walk, depth) for i, s in enumerate(value)
            ]
        elif key == "items" and isinstance(value, list):  # the tuple form of older drafts
            out["prefixItems"] = [
                self._schema(s, pointer_join(where, i), walk, depth) for i, s in enumerate(value)
            ]
        elif key == "items" and isinstance(value, dict | bool):
            out["items"] = self._schema(value, where, walk, depth)

    def _annotation(self, out: Schema, key: str, value: Any) -> None:
        if key == "type":
            types = _known_types(value)
            if types:
                out["type"] = types
        elif key == "required" and isinstance(value, list):
            out["required"] = list(dict.fromkeys(v for v in value if isinstance(v, str)))
        elif key == "enum" and isinstance(value, list):
            out["enum"] = list(value)
        elif key == "pattern" and isinstance(value, str):
            problem = pattern_problem(value)
            if problem is None:
                out["pattern"] = value
            else:
                note(f"pattern {shown(value)!r} is not checked: {problem}")
        elif key == "example":
            out.setdefault("examples", [value])
        elif key == "examples":
            out["examples"] = list(value.values()) if isinstance(value, dict) else value
        elif key in {"exclusiveMinimum", "exclusiveMaximum", "nullable", "discriminator"}:
            out[key] = value  # settled in _finish

    def _finish(self, out: Schema, node: Schema, where: str, mode: Mode) -> Any:
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(out.get(bound), bool) and out.pop(bound) and limit in out:
                out[bound] = out.pop(limit)
        if "allOf" in out:
            parts = [self._mergeable(part, mode) for part in out.pop("allOf")]
            out = merge_all([*parts, out])
        nullable = out.pop("nullable", False) is True
        discriminator = out.pop("discriminator", None)
        if isinstance(discriminator, dict):
            _discriminate(out, node, discriminator, where)
        if nullable:
            out = _nullable(out)
        return out

    def _mergeable(self, part: Any, mode: Mode) -> Any:
        """An allOf part as a schema to merge: a definition shared only for its size is inlined
        (a recursive one stays a reference)."""
        ref = part.get("$ref") if isinstance(part, dict) and len(part) == 1 else None
        pointer = self._by_name.get(ref[8:]) if isinstance(ref, str) else None
        key: Key | None = (pointer, mode) if pointer is not None else None
        if key is None or key in self._recursive or key in self._active or key not in self._defs:
            return part
        return self._defs[key][0]

    # -- references ---------------------------------------------------------------------

    def _reference(self, node: Schema, where: str, walk: _Walk, depth: int) -> Any:
        target, raw = self._refs.lookup(node["$ref"], where)
        base = self._target((target, walk.mode), raw, walk, depth)
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        if not siblings:
            return base
        extra = self._schema(siblings, where, walk, depth + 1)
        if not isinstance(base, dict) or not isinstance(extra, dict):
            return base
        if "$ref" in base:
            return {**extra, **base}
        return _hide(merge(base, extra), walk.mode)

    def _target(self, key: Key, raw: Any, walk: _Walk, depth: int) -> Any:
        known = self._memo.get(key)
        if known is not None:
            walk.deps.update(known[1])
            return known[0]
        if key in self._active:
            self._recursive.add(key)
            walk.deps.add(key)
            return {"$ref": f"#/$defs/{self._name(key[0])}"}
        self._active.add(key)
        inner = _Walk(key[1], set())
        try:
            schema = self._schema(raw, key[0], inner, depth + 1)
        finally:
            self._active.discard(key)
        deps = inner.deps
        if key in self._recursive or self._size(schema) > SHARED_NODES:
            self._by_name[self._name(key[0])] = key[0]
            deps.discard(key)
            self._defs[key] = (schema, frozenset(deps))
            schema, deps = {"$ref": f"#/$defs/{self._name(key[0])}"}, {key}
        self._memo[key] = (schema, frozenset(deps))
        walk.deps.update(deps)
        return schema

    def _size(self, node: Any) -> int:
        """How many schema nodes `node` stands for (shared results are counted once each)."""
        if isinstance(node, dict):
            known = self._sizes.get(id(node))
            if known is None:
                known = 1 + sum(map(self._size, node.values()))
                self._sizes[id(node)] = known
            return known
        if isinstance(node, list):
            return 1 + sum(map(self._size, node))
        return 1

    def _name(self, pointer: str) -> str:
        name = self._names.get(pointer)
        if name is None:
            base = _DEF_NAME.sub("_", pointer.rsplit("/", 1)[-1]) or "schema"
            taken = set(self._names.values())
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            self._names[pointer] = name
        return name


def _unexpanded(node: Any) -> Any:
    """`node` with each reference to a definition replaced by a schema that accepts anything."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            rest = {k: _unexpanded(v) for k, v in node.items() if k != "$ref"}
            return {**rest, "$comment": f"{ref[8:]}: not expanded"}
        return {key: _unexpanded(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_unexpanded(item) for item in node]
    return node


def _hide(schema: Any, mode: Mode) -> Any:
    """Leave out properties the mode does not see (readOnly in requests, writeOnly in responses)."""
    flag = _HIDDEN.get(mode)
    properties = schema.get("properties") if isinstance(schema, dict) and flag else None
    if not isinstance(properties, dict):
        return schema
    hidden = {
        name for name, sub in properties.items() if isinstance(sub, dict) and sub.get(flag) is True
    }
    if not hidden:
        return schema
    result = {**schema, "properties": {k: v for k, v in properties.items() if k not in hidden}}
    if isinstance(schema.get("required"), list):
        result["required"] = [name for name in schema["required"] if name not in hidden]
    return result


def _known_types(value: Any) -> Any:
    if isinstance(value, str):
        return value if value in _TYPES else None
    if isinstance(value, list):
        types = [t for t in dict.fromkeys(value) if t in _TYPES]
        return types or None
    return None


def _nullable(schema: Schema) -> Schema:
    """3.0's `nullable: true`: null is one more accepted value."""
    types = schema.get("type")
    result = dict(schema)
    if isinstance(types, str) and types != "null":
        result["type"] = [types, "null"]
    elif isinstance(types, list) and "null" not in types:
        result["type"] = [*types, "null"]
    elif types is None and ("oneOf" in schema or "anyOf" in schema or "allOf" in schema):
        return {"anyOf": [schema, {"type": "null"}]}
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        result["enum"] = [*schema["enum"], None]
    return result


def _discriminate(out: Schema, node: Schema, discriminator: Schema, where: str) -> None:
    """Each branch of a discriminated oneOf/anyOf requires its own discriminator value."""
    name = discriminator.get("propertyName")
    if not isinstance(name, str):
        return
    out["discriminator"] = {"propertyName": name}
    mapping = discriminator.get("mapping")
    values: dict[str, list[str]] = {}
    for value, ref in mapping.items() if isinstance(mapping, dict) else ():
        target = (
            ref[1:]
            if isinstance(ref, str) and ref.startswith("#")
            else f"/components/schemas/{ref}"
        )
        values.setdefault(target, []).append(str(value))
    for keyword in ("oneOf", "anyOf"):
        raw, built = node.get(keyword), out.get(keyword)
        if isinstance(raw, list) and isinstance(built, list) and len(raw) == len(built):
            out[keyword] = [
                _branch(branch, name, *_branch_values(source, values))
                for source, branch in zip(raw, built, strict=True)
            ]


def _branch_values(source: Any, values: dict[str, list[str]]) -> tuple[list[str], bool]:
    """The discriminator values that select a branch, and whether the mapping names them."""
    ref = source.get("$ref") if isinstance(source, dict) else None
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return [], False
    target = ref[1:]
    if target in values:
        return values[target], True
    return [target.rsplit("/", 1)[-1]], False


def _branch(branch: Any, name: str, values: list[str], explicit: bool) -> Any:
    if not values or not isinstance(branch, dict):
        return branch
    constraint: Schema = {"const": values[0]} if len(values) == 1 else {"enum": values}
    if "$ref" in branch:  # the discriminator property must be there, whatever the branch says
        if not explicit:
            return {"allOf": [branch], "required": [name]}
        return {"allOf": [branch], "properties": {name: constraint}, "required": [name]}
    properties = dict(branch.get("properties", {}))
    own = properties.get(name)
    if isinstance(own, dict) and ("const" in own or (not explicit and "enum" in own)):
        constraint = {}
    elif isinstance(own, dict) and isinstance(own.get("enum"), list):
        narrowed = [v for v in own["enum"] if v in values] or values
        constraint = {"const": narrowed[0]} if len(narrowed) == 1 else {"enum": narrowed}
        own = {k: v for k, v in own.items() if k != "enum"}
    properties[name] = {**own, **constraint} if isinstance(own, dict) else constraint
    required = list(dict.fromkeys([*branch.get("required", []), name]))
    return {**branch, "properties": properties, "required": required}
