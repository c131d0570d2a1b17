"""An API description as the emulator reads it: loaded from a file (by the importer's
loader), local `$ref`s followed, and a schema turned into a self-contained JSON Schema
(the components it uses beside it, `$ref`s kept as written).

Only local references (`#/...`) are followed: a description that points elsewhere is read
as far as it can be, and nothing is ever fetched. OpenAPI 3.0 schemas are brought to JSON
Schema 2020-12 where they differ in ways that matter for validation (`nullable`, boolean
`exclusiveMinimum`/`exclusiveMaximum`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from connector._errors import DescriptionError
from connector.openapi import load_description as openapi_load

__all__ = ["DescriptionError", "bundle", "follow", "load_description", "normalise", "resolve"]

MAX_REF_HOPS: Final = 64


def load_description(path: Path) -> dict[str, Any]:
    """The description in `path`, read by the importer's loader (JSON or YAML 1.2, 3.0 or
    3.1, size-capped); raises `DescriptionError`."""
    return openapi_load(path)


def _pointer(document: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        raise DescriptionError(f"reference {ref!r} is not local; only '#/...' is followed")
    node: Any = document
    for raw in ref[1:].split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise DescriptionError(f"reference {ref!r} leads nowhere") from exc
    return node


def follow(root: Any, ref: str) -> Any:
    """The node a local `ref` points at in `root`, or `{}` when it leads nowhere."""
    try:
        return _pointer(root, ref)
    except DescriptionError:
        return {}


def resolve(document: dict[str, Any], node: Any) -> Any:
    """`node` with a `$ref` (a parameter, body, response or header object) followed."""
    for _ in range(MAX_REF_HOPS):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        node = _pointer(document, node["$ref"])
    raise DescriptionError("a chain of references does not end")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def bundle(document: dict[str, Any], schema: Any) -> dict[str, Any]:
    """`schema` as one self-contained JSON Schema: every component it reaches is kept under
    its own pointer beside it, so `$ref`s stay as written (and cycles stay finite)."""
    root: dict[str, Any] = {"allOf": [normalise(schema)]}
    seen: set[str] = set()
    pending = list(_refs(schema))
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/"):
            continue
        seen.add(ref)
        target = _pointer(document, ref)
        _place(root, ref, normalise(target))
        pending.extend(_refs(target))
    return root


def _place(root: dict[str, Any], ref: str, value: Any) -> None:
    parts = [raw.replace("~1", "/").replace("~0", "~") for raw in ref[2:].split("/")]
    node: Any = root
    for part in parts[:-1]:
        if not isinstance(node, dict):
            return  # a pointer through a list or a value: nothing to place it in
        node = node.setdefault(part, {})
    if isinstance(node, dict):
        node[parts[-1]] = value


def normalise(schema: Any) -> Any:
    """A 3.0 schema in 2020-12 terms (`nullable`, boolean exclusive bounds); 3.1 unchanged."""
    if isinstance(schema, list):
        return [normalise(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {
        key: normalise(value)
        for key, value in schema.items()
        if not (key == "nullable" and isinstance(value, bool))
    }
    if schema.get("nullable") is True:
        kind = result.get("type")
        if isinstance(kind, str):
            result["type"] = [kind, "null"]
        if "enum" in result and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(result.get(bound), bool):
            flag = result.pop(bound)
            if flag and limit in result:
                result[bound] = result.pop(limit)
    return result
