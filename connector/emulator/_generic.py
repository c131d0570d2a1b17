"""The generic resource behaviour of an API served from its description (`--spec`).

A path ending in a template segment (`/pets/{petId}`) is an item of the collection above
it (`/pets`). `POST` to a collection creates an item (its id from the body's `id`, else one
of the emulator's); `GET`, `PUT`, `PATCH` and `DELETE` on the item path read, replace,
merge and remove it (`PUT` creates when the item is new); `GET` on the collection lists
its items. Every answer is the declared success response built from its schema and
example, with the stored item laid over it when it still fits the schema.
"""

from __future__ import annotations

import re
from typing import Any, Final

from werkzeug.wrappers import Response

from connector.emulator._context import Context
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
    """The declared body for `status`, the stored item laid over it when it still fits."""
    spec = ctx.operation.response(status)
    built = ctx.built(status)
    if spec is None or spec.schema is None:
        return stored if stored is not None else built
    if stored is not None and isinstance(built, dict):
        merged = {**built, **stored}
        if is_valid(spec.schema, spec.schema, merged):
            return merged
    return built


def _answer(ctx: Context, status: int, stored: dict[str, Any] | None) -> Response:
    spec = ctx.operation.response(status)
    if spec is None or spec.content_type is None:
        return ctx.empty(status)
    return ctx.json(_shown(ctx, status, stored), status)


def _listing(ctx: Context, key: str) -> Response:
    status = _status(ctx, 200)
    spec = ctx.operation.response(status)
    items = list(ctx.store.bucket(ctx.scope, key).values())
    found = page(
        items, filter_text=None, sort=(), limit=ctx.query("limit"), offset=ctx.query("offset")
    )
    shaped = [dict(item) for item in found.items]
    if spec is not None and spec.schema is not None and is_valid(spec.schema, spec.schema, shaped):
        return ctx.json(shaped, status, found.headers())
    return _answer(ctx, status, None)


def _new_id(ctx: Context) -> str | int:
    """A fresh id, an integer where the success response says `id` is one."""
    spec = ctx.operation.success()
    number = next(ctx.store.counter)
    if spec is not None and spec.schema is not None:
        kind = (_properties(spec.schema).get("id") or {}).get("type")
        if kind == "integer" or (isinstance(kind, list) and "integer" in kind):
            return number
    return f"res_{number:07d}"


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
        rid = body.get("id") or _new_id(ctx)
        stored = ctx.store.put(ctx.scope, key, {**body, "id": rid})
        return _answer(ctx, _status(ctx, 201), stored)
    if ctx.operation.method == "GET":
        return _listing(ctx, key)
    return _answer(ctx, _status(ctx, 200), None)


def _on_item(ctx: Context, key: str, item: str, body: dict[str, Any]) -> Response:
    method = ctx.operation.method
    stored = ctx.store.get(ctx.scope, key, item)
    if method == "PUT":
        created = stored is None and ctx.operation.declares(201)
        stored = ctx.store.put(ctx.scope, key, {**body, "id": item})
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
