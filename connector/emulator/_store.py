"""The emulator's state: resources by organization and collection, and a collection read
the way Rebilly's collections are read (`filter`, `sort`, `limit`, `offset`).

`filter` is Rebilly's search-filter form: `field:value` conditions separated by `;`, several
allowed values by `,`, a range by `..` (`amount:10..20`, either end may be left open), and
nested fields in dot notation. `sort` names fields, `-` first for descending.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["Page", "Store", "matches", "page", "parse_filter"]

DEFAULT_LIMIT: Final = 100


@dataclass
class Store:
    """Resources by (organization, collection) and id, in the order they were created."""

    collections: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def bucket(self, scope: str, kind: str) -> dict[str, dict[str, Any]]:
        """The collection `kind` of `scope` (created empty)."""
        return self.collections.setdefault((scope, kind), {})

    def get(self, scope: str, kind: str, rid: str) -> dict[str, Any] | None:
        """The stored resource, or None."""
        return self.collections.get((scope, kind), {}).get(rid)

    def put(self, scope: str, kind: str, resource: dict[str, Any]) -> dict[str, Any]:
        """Store `resource` under its `id` (as text); returns it."""
        self.bucket(scope, kind)[str(resource["id"])] = resource
        return resource

    def delete(self, scope: str, kind: str, rid: str) -> dict[str, Any] | None:
        """Remove and return the resource, or None."""
        return self.collections.get((scope, kind), {}).pop(rid, None)

    def new_id(self, prefix: str) -> str:
        """A fresh id (`<prefix>_0000001`), unique in this store."""
        return f"{prefix}_{next(self.counter):07d}"

    def snapshot(self, scope: str, kind: str, rid: str) -> dict[str, Any] | None:
        """A deep copy of the stored resource, or None."""
        found = self.get(scope, kind, rid)
        return copy.deepcopy(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection and the `Pagination-*` headers that describe it."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    def headers(self) -> dict[str, str]:
        """`Pagination-Total`, `Pagination-Limit`, `Pagination-Offset`."""
        return {
            "Pagination-Total": str(self.total),
            "Pagination-Limit": str(self.limit),
            "Pagination-Offset": str(self.offset),
        }


Condition = tuple[str, list[str]]


def parse_filter(text: str) -> list[Condition]:
    """`status:pending,ready;currency:USD` -> [("status", ["pending", "ready"]), ...]."""
    conditions = []
    for part in text.split(";"):
        name, sep, values = part.partition(":")
        if sep and name.strip():
            conditions.append((name.strip(), values.split(",")))
    return conditions


def _field(resource: Any, name: str) -> Any:
    for part in name.split("."):
        resource = resource.get(part) if isinstance(resource, dict) else None
    return resource


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _in_range(value: Any, low: str, high: str) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        lo, hi = _number(low) if low else None, _number(high) if high else None
        return (lo is None or value >= lo) and (hi is None or value <= hi)
    text = str(value)
    return (not low or text >= low) and (not high or text <= high)


def _accepts(value: Any, wanted: str) -> bool:
    if ".." in wanted:
        low, _, high = wanted.partition("..")
        return _in_range(value, low, high)
    if isinstance(value, bool):
        return wanted == str(value).lower()
    if value is None:
        return wanted in {"null", ""}
    if isinstance(value, int | float):
        return _number(wanted) == value
    return str(value) == wanted


def matches(resource: dict[str, Any], conditions: Iterable[Condition]) -> bool:
    """Whether `resource` meets every condition (any of a condition's values)."""
    for name, wanted in conditions:
        value = _field(resource, name)
        values = value if isinstance(value, list) else [value]
        if not any(_accepts(item, choice) for item in values for choice in wanted):
            return False
    return True


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, float(value))
    return (2, str(value))


def _by(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    return lambda item: _sort_key(_field(item, name))


def page(
    resources: Iterable[dict[str, Any]],
    *,
    filter_text: str | None = None,
    sort: Sequence[str] = (),
    limit: int | None = None,
    offset: int | None = None,
) -> Page:
    """The filtered, sorted page of `resources`; `sort` as names or as written in a query
    (`-amount,name`: a description that declares it a string passes it so)."""
    chosen = [item for item in resources if matches(item, parse_filter(filter_text or ""))]
    names = sort.split(",") if isinstance(sort, str) else sort
    for name in reversed([name.strip() for name in names if name.strip().strip("-")]):
        chosen.sort(key=_by(name.lstrip("-")), reverse=name.startswith("-"))
    limit = DEFAULT_LIMIT if limit is None else limit
    offset = offset or 0
    items = [copy.deepcopy(item) for item in chosen[offset : offset + limit]]
    return Page(items, len(chosen), limit, offset)
