"""Local `$ref` resolution over one description: lazy, cached, and never leaving the file.

Refs are looked up with `referencing` when they are met, not expanded ahead of time. Only refs
inside the description (`#/...`) are followed: a ref to a URL or to another file is refused
with a `RefError` before anything is looked up, so the importer never opens a connection or
reads another file (the registry has no retrieval function either). A description that names
its own URI (OpenAPI 3.2's `$self`) may write a ref to itself as that URI or relative to it;
such a ref is local, and every other URI is still refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from referencing import Registry, Resource, Specification
from referencing.exceptions import PointerToNowhere, Unresolvable

BASE_URI = "urn:connector:description"
MAX_HOPS = 32


def as_dict(value: object) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one (descriptions are not trusted)."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    """`value` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


class RefError(Exception):
    """A `$ref` that is not followed; `pointer` is where the ref is written."""

    def __init__(self, reason: str, pointer: str) -> None:
        super().__init__(f"{reason} (at #{pointer})")
        self.reason = reason
        self.pointer = pointer


def escape(token: str) -> str:
    """One JSON pointer token, escaped (`~` as `~0`, `/` as `~1`)."""
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def pointer_join(pointer: str, *tokens: str | int) -> str:
    """`pointer` extended by the given tokens."""
    for token in tokens:
        pointer = f"{pointer}/{escape(str(token))}"
    return pointer


class Refs:
    """Resolves the local refs of one description, each looked up once."""

    def __init__(self, document: dict[str, Any]) -> None:
        resource: Resource[Any] = Specification.OPAQUE.create_resource(document)
        self._resolver = Registry().with_resource(BASE_URI, resource).resolver(BASE_URI)
        self._cache: dict[str, Any] = {}
        own = document.get("$self")
        self._self = urldefrag(own).url if isinstance(own, str) and own else None

    def _local(self, ref: str) -> str:
        """`ref` as a fragment when it names this document through `$self`, else as written."""
        if self._self is None or ref.startswith("#"):
            return ref
        target = urldefrag(urljoin(self._self, ref))
        return f"#{target.fragment}" if target.url == self._self else ref

    def lookup(self, ref: object, where: str) -> tuple[str, Any]:
        """The pointer a ref names and the value there (one hop).

        Args:
            ref: the value of a `$ref` keyword.
            where: the JSON pointer of the object holding the `$ref`.

        Raises:
            RefError: the ref is not local, not a string, or points nowhere.
        """
        if not isinstance(ref, str):
            raise RefError("$ref is not a string", where)
        ref = self._local(ref)
        if not ref.startswith("#"):
            raise RefError(
                f"$ref {ref!r} refers outside the description (remote and file refs are "
                "not followed)",
                where,
            )
        if ref != "#" and not ref.startswith("#/"):
            raise RefError(f"$ref {ref!r} names an anchor, which is not supported", where)
        target = unquote(ref[1:])
        if target not in self._cache:
            try:
                self._cache[target] = self._resolver.lookup(ref).contents
            except PointerToNowhere:
                raise RefError(f"$ref {ref!r} points nowhere in the description", where) from None
            except Unresolvable:
                raise RefError(f"$ref {ref!r} cannot be resolved", where) from None
        return target, self._cache[target]

    def deref(self, value: Any, where: str) -> tuple[str, Any]:
        """Follow a chain of refs from `value` (found at `where`); returns (pointer, value)."""
        seen: set[str] = set()
        while isinstance(value, dict) and "$ref" in value:
            if len(seen) >= MAX_HOPS:
                raise RefError("$ref chain is too long", where)
            target, value = self.lookup(value["$ref"], where)
            if target in seen:
                raise RefError("$ref chain loops back to itself", where)
            seen.add(target)
            where = target
        return where, value
