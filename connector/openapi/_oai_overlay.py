"""OpenAPI Initiative Overlays (1.0 and 1.1): ordered actions applied to a description.

An overlay lists actions; each selects nodes of the description with an RFC 9535 JSONPath
`target` and then removes them (`remove: true`), merges a value into them (`update`), or
merges a copy of the one node another JSONPath selects (`copy`, 1.1). Actions run in order,
each on the result of the one before, and a target that selects nothing changes nothing.
Merging follows the specification: a property only in the update is added, primitives
replace primitives, arrays concatenate, objects merge recursively, and any other pairing is
an error. Every error names the overlay, the action's index and its target.

The overlay document itself is a strict model (`OverlayDocument`): unknown keys other than
`x-` extensions are errors, as in the published JSON Schemas (a test keeps the two in step).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import jsonpath_rfc9535 as jsonpath
from pydantic import ConfigDict, Field, ValidationError, model_validator

from connector._errors import OverlayError
from connector._model import StrictModel, field_errors
from connector.openapi._load import read_document

__all__ = [
    "Action",
    "OverlayDocument",
    "OverlayError",
    "apply_action",
    "apply_overlays",
    "overlaid",
    "parse_overlay",
    "read_overlay",
]

Json = Any


class _Extensible(StrictModel):
    """Fixed fields, plus `x-` specification extensions (and nothing else)."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    @model_validator(mode="after")
    def _only_extensions(self) -> _Extensible:
        unknown = [k for k in self.model_extra or {} if not k.startswith("x-")]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (extensions start with 'x-')")
        return self


class Info(_Extensible):
    """What the overlay is for."""

    title: str
    version: str
    description: str | None = None


class Action(_Extensible):
    """One change: `remove`, else `update`, else `copy`, at the nodes `target` selects."""

    target: str = Field(pattern=r"^\$")
    description: str | None = None
    update: Json = None
    copy_from: str | None = Field(default=None, alias="copy", pattern=r"^\$")
    remove: bool = False


class OverlayDocument(_Extensible):
    """An overlay: its version, info, the description it extends, and its actions."""

    overlay: str = Field(pattern=r"^1\.[01]\.\d+$")
    info: Info
    extends: str | None = None
    actions: list[Action] = Field(min_length=1)

    @model_validator(mode="after")
    def _as_its_version_says(self) -> OverlayDocument:
        if self.overlay.startswith("1.0."):
            if any("copy_from" in a.model_fields_set for a in self.actions):
                raise ValueError("'copy' is an Overlay 1.1 action; declare overlay: 1.1.0")
            if "description" in self.info.model_fields_set:
                raise ValueError("info.description is Overlay 1.1; declare overlay: 1.1.0")
        dumped = [a.model_dump_json(by_alias=True, exclude_unset=True) for a in self.actions]
        if len(set(dumped)) != len(dumped):
            raise ValueError("two actions are the same (actions must be unique)")
        return self


def parse_overlay(document: object, *, source: str) -> OverlayDocument:
    """`document` (parsed JSON or YAML) as an overlay; OverlayError naming each bad field."""
    try:
        return OverlayDocument.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(f"{e.field or '(root)'}: {e.message}" for e in field_errors(exc))
        raise OverlayError(f"{source} is not a valid overlay: {problems}") from None


def read_overlay(path: Path) -> OverlayDocument:
    """Read and check one overlay file (JSON or YAML, read as descriptions are)."""
    return parse_overlay(read_document(path), source=str(path))


def overlaid(document: dict[str, Any], paths: Sequence[Path]) -> dict[str, Any]:
    """`document` with the overlay files at `paths` applied in order (each read first)."""
    overlays = [(str(path), read_overlay(path)) for path in paths]
    return apply_overlays(document, overlays) if overlays else document


def apply_overlays(
    document: dict[str, Any], overlays: Iterable[tuple[str, OverlayDocument]]
) -> dict[str, Any]:
    """`document` with each named overlay's actions applied in order (the input is kept)."""
    result = copy.deepcopy(document)
    for source, overlay in overlays:
        for index, action in enumerate(overlay.actions):
            result = apply_action(result, action, where=f"{source}: action {index}")
    return result


def apply_action(document: Json, action: Action, *, where: str) -> Json:
    """One action applied to `document` (changed in place; the root is returned)."""
    label = f"{where} (target {action.target!r})"
    nodes = _select(action.target, document, label)
    if action.remove:
        for location in sorted((n.location for n in nodes), key=_order, reverse=True):
            if not location:
                raise OverlayError(f"{label}: the root cannot be removed")
            del _at(document, location[:-1])[location[-1]]
        return document
    if action.update is None and "update" not in action.model_fields_set:
        if action.copy_from is None:
            return document  # an action that neither removes, updates nor copies
        value = _one_source(action.copy_from, document, label)
    else:
        value = action.update
    for node in nodes:
        document = _place(document, node.location, value, label)
    return document


def _select(query: str, document: Json, label: str) -> list[jsonpath.JSONPathNode]:
    try:
        return list(jsonpath.find(query, document))
    except jsonpath.JSONPathError as exc:
        raise OverlayError(f"{label}: not an RFC 9535 JSONPath: {exc}") from None


def _one_source(query: str, document: Json, label: str) -> Json:
    found = _select(query, document, label)
    if len(found) != 1:
        raise OverlayError(f"{label}: copy {query!r} selects {len(found)} nodes, not one")
    return copy.deepcopy(found[0].value)


def _order(location: Sequence[int | str]) -> tuple[tuple[int, int | str], ...]:
    """Document order of locations, so later array items are removed before earlier ones."""
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in location)


def _at(document: Json, location: Sequence[int | str]) -> Json:
    node = document
    for part in location:
        node = node[part]
    return node


def _place(document: Json, location: Sequence[int | str], value: Json, label: str) -> Json:
    """Merge `value` into the node at `location` (a primitive node is replaced)."""
    node = _at(document, location)
    if isinstance(node, dict | list):
        _merge_into(node, value, label)
        return document
    if isinstance(value, dict | list):
        raise OverlayError(f"{label}: cannot merge {_kind(value)} into a {_kind(node)}")
    if not location:
        return copy.deepcopy(value)
    _at(document, location[:-1])[location[-1]] = copy.deepcopy(value)
    return document


def _merge_into(node: dict[str, Any] | list[Any], value: Json, label: str) -> None:
    if isinstance(node, list):
        node.extend(copy.deepcopy(value) if isinstance(value, list) else [copy.deepcopy(value)])
        return
    if not isinstance(value, dict):
        raise OverlayError(f"{label}: cannot merge {_kind(value)} into an object")
    for key, item in value.items():
        if key not in node:
            node[key] = copy.deepcopy(item)
        elif isinstance(node[key], dict | list) and isinstance(item, type(node[key])):
            _merge_into(node[key], item, label)
        elif isinstance(node[key], dict | list) or isinstance(item, dict | list):
            raise OverlayError(
                f"{label}: property {key!r}: cannot merge {_kind(item)} into {_kind(node[key])}"
            )
        else:
            node[key] = item


def _kind(value: Json) -> Literal["an object", "an array", "a primitive"]:
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else "a primitive"
