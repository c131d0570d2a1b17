"""The generic resource behaviour of an API served from its description (`--spec`).

A path ending in a template segment (`/pets/{petId}`) is an item of the collection above
it (`/pets`). `POST` to a collection creates an item (its id from the body's `id`, else one
of the emulator's); `GET`, `PUT`, `PATCH` and `DELETE` on the item path read, replace,
merge and remove it (`PUT` creates when the item is new); `GET` on the collection lists
its items (honouring `sort`, `limit` and `offset`). A created item is stored as sent, with
its id in the field the schema names and read-only timestamps (`_placement`); every answer
is the declared success response built from its schema and example, with the stored item
placed where the schema keeps it (the top, a wrapper object, a `data` array); without a
response schema, the item itself.
"""

from __future__ import annotations

import re
from typing import Any, Final

from werkzeug.wrappers import Response

from connector.emulator._context import Context
from connector.emulator._placement import (
    id_field,
    new_id,
    place,
    place_many,
    resource_schema,
    stamp,
)
from connector.emulator._store import page
from connector.emulator._synth import is_valid
from connector.emulator._validation import properties as _properties

__all__ = ["respond"]

_TEMPLATE: Final = re.compile(r"^\{([^{}/]+)\}$")


def _split(ctx: Context) -> tuple[str, str | None]:
    """(collection key, item id or None) for the call's path."""
    parts = ctx.operation.path.rstrip("/").split("/")
    filled = [_fill(ctx, part) for part in parts]
    last = _TEMPLATE.match(parts[-1]) if parts else None
    if last is not None:
        return "/".join(filled[:-1]), ctx.call.path.get(last.group(1), "")
    return "/".join(filled), None


def _fill(ctx: Context, part: str) -> str:
    match = _TEMPLATE.match(part)
    return ctx.call.path.get(match.group(1), part) if match else part


def _status(ctx: Context, fallback: int) -> int:
    spec = ctx.operation.success()
    return int(spec.status) if spec is not None and spec.status.isdigit() else fallback


def _shown(ctx: Context, status: int, stored: dict[str, Any] | None) -> Any:
    """The declared body for `status`, the stored item placed where its schema keeps it
    (`_placement`): the user's data in the API's shape, or the item itself without a schema."""
    spec = ctx.operation.response(status)
    if stored is None:
        return ctx.built(status)
    return place(spec.schema if spec is not None else None, ctx.built(status), stored)


def _answer(ctx: Context, status: int, stored: dict[str, Any] | None) -> Response:
    spec = ctx.operation.response(status)
    if spec is None or spec.content_type is None:
        if stored is not None and ctx.operation.method in {"POST", "PUT", "PATCH", "GET"}:
            return ctx.json(stored, status)  # no schema: still the resource, with its id
        return ctx.empty(status)
    return ctx.json(_shown(ctx, status, stored), status)


def _listing(ctx: Context, key: str) -> Response:
    status = _status(ctx, 200)
    spec = ctx.operation.response(status)
    items = list(ctx.store.bucket(ctx.scope, key).values())
    found = page(
        items,
        filter_text=None,
        sort=_sort(ctx.query("sort")),
        limit=_number(ctx.query("limit")),
        offset=_number(ctx.query("offset")),
    )
    shaped = [dict(item) for item in found.items]
    if spec is None or spec.schema is None:
        return ctx.json(shaped, status, found.headers())
    if is_valid(spec.schema, spec.schema, shaped):
        return ctx.json(shaped, status, found.headers())
    return ctx.json(place_many(spec.schema, ctx.built(status), shaped), status, found.headers())


def _sort(value: Any) -> tuple[str, ...]:
    """`sort=-amount,name` (or a repeated parameter) as field names, `-` for descending."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    return tuple(str(p).strip() for p in parts if str(p).strip())


def _number(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _create(ctx: Context, key: str, body: dict[str, Any], given: str | None) -> dict[str, Any]:
    """Store `body` as sent, with its id (in the field the schema names) and timestamps."""
    spec = ctx.operation.success()
    root = spec.schema if spec is not None else None
    node = resource_schema(root, set(body))
    field, id_schema = id_field(root, node)
    rid = given if given is not None else body.get(field)
    if rid in (None, ""):
        rid = new_id(root, id_schema, next(ctx.store.counter))
    resource = stamp(root, node, {**body, field: rid}, ctx.timestamp)
    ctx.store.bucket(ctx.scope, key)[str(rid)] = resource
    return resource


def _missing(ctx: Context, key: str, item: str) -> Response:
    """404 where declared (or a `default` response, built from its schema), else 200."""
    spec = ctx.operation.response(404)
    if spec is None:
        return _answer(ctx, _status(ctx, 200), None)
    if ctx.operation.declares(404) and spec.schema is None:
        return ctx.not_found(f"{key}/{item}")
    detail = f"{key}/{item} was not found"
    overlay = {"code": 404, "status": 404, "message": detail, "detail": detail}
    built = ctx.built(404)
    if isinstance(built, dict) and spec.schema is not None:
        fitting = {k: v for k, v in overlay.items() if k in _properties(spec.schema)}
        if is_valid(spec.schema, spec.schema, {**built, **fitting}):
            built = {**built, **fitting}
    return ctx.json(built, 404)


def _on_collection(ctx: Context, key: str, body: dict[str, Any]) -> Response:
    if ctx.operation.method == "POST":
        return _answer(ctx, _status(ctx, 201), _create(ctx, key, body, None))
    if ctx.operation.method == "GET":
        return _listing(ctx, key)
    return _answer(ctx, _status(ctx, 200), None)


def _on_item(ctx: Context, key: str, item: str, body: dict[str, Any]) -> Response:
    method = ctx.operation.method
    stored = ctx.store.get(ctx.scope, key, item)
    if method == "PUT":
        created = stored is None and ctx.operation.declares(201)
        stored = _create(ctx, key, body, item)
        return _answer(ctx, 201 if created else _status(ctx, 200), stored)
    if stored is None:
        return _missing(ctx, key, item)
    if stored is not None and method == "PATCH":
        stored.update(body)
    elif stored is not None and method == "DELETE":
        ctx.store.delete(ctx.scope, key, item)
        stored = None
    return _answer(ctx, _status(ctx, 200), stored)


def respond(ctx: Context) -> Response:
    """Act on the store as the method and path say; answer the declared response."""
    key, item = _split(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if item is None:
        return _on_collection(ctx, key, body)
    return _on_item(ctx, key, item, body)
