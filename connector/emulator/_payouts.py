"""Rebilly's payout requests, with state: upsert and create, read and list, change, cancel,
split, their payment instruments and their timeline.

A request that is `canceled`, `split`, `merged` or `fulfilled` is final: changing,
cancelling or splitting it again is a conflict (409). A blocked request cannot be cancelled
or move on to `ready` or `approved`. A split needs amounts that add up to what is still
available; the original becomes `split` and each part a new `pending` request.
"""

from __future__ import annotations

from typing import Any, Final

from werkzeug.wrappers import Response

from connector.emulator._context import Behaviour, Context
from connector.emulator._store import page
from connector.emulator._validation import writable_fields

__all__ = ["BEHAVIOURS", "FINAL", "KIND", "event", "links", "money"]

KIND: Final = "payout-requests"
FINAL: Final = frozenset({"canceled", "split", "merged", "fulfilled"})
_PATCH_FIELDS: Final = ("description", "blocked", "blockReason", "blockDescription")


def money(value: float) -> float:
    """An amount rounded as money is (4 decimal places: sums of parts compare equal)."""
    rounded = round(float(value), 4)
    return int(rounded) if rounded.is_integer() and isinstance(value, int) else rounded


def links(ctx: Context, resource: dict[str, Any]) -> list[dict[str, str]]:
    """`self`, and the payment instrument and split origin when there are."""
    found = [{"href": ctx.url(KIND, resource["id"]), "rel": "self"}]
    instrument = resource.get("paymentInstrumentId")
    if isinstance(instrument, str) and instrument:
        found.append(
            {"href": ctx.url("payment-instruments", instrument), "rel": "paymentInstrument"}
        )
    origin = resource.get("splitFromPayoutRequestId")
    if origin:
        found.append({"href": ctx.url(KIND, origin), "rel": "splitFrom"})
    return found


def event(ctx: Context, rid: str, kind: str, message: str) -> dict[str, Any]:
    """Add a timeline message to payout request `rid`."""
    entry = {
        "id": ctx.store.new_id("tl"),
        "type": kind,
        "occurredTime": ctx.timestamp,
        "triggeredBy": "direct-api",
        "message": message,
        "extraData": {},
    }
    return ctx.store.put(ctx.scope, f"timeline/{rid}", entry)


def _writable(ctx: Context) -> dict[str, Any]:
    schema = ctx.operation.body.schema if ctx.operation.body else None
    body = ctx.body if isinstance(ctx.body, dict) else {}
    return {name: body[name] for name in writable_fields(schema) if name in body}


def build(
    ctx: Context, rid: str, fields: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, Any]:
    """A payout request: `previous` (if any) with its writable fields replaced by `fields`."""
    keep = (
        "status",
        "allocations",
        "createdTime",
        "batchId",
        "splitFromPayoutRequestId",
        "cancellationReason",
    )
    kept = {key: previous[key] for key in keep if previous and key in previous}
    allocated = sum(
        a["amount"] for a in kept.get("allocations", []) if a.get("status") != "canceled"
    )
    resource = {
        "id": rid,
        **fields,
        "status": "pending",
        "allocations": [],
        "createdTime": ctx.timestamp,
        **kept,
        "availableAmount": money(fields["amount"] - allocated),
        "updatedTime": ctx.timestamp,
    }
    resource["_links"] = links(ctx, resource)
    return resource


def _stored(ctx: Context) -> dict[str, Any] | None:
    return ctx.store.get(ctx.scope, KIND, ctx.arg("id"))


def put(ctx: Context) -> Response:
    """Create (201 + Location) or update (200) the request with the client's id."""
    rid = ctx.arg("id")
    previous = _stored(ctx)
    if previous is not None and previous["status"] in FINAL:
        return ctx.conflict(f"payout request {rid!r} is {previous['status']} and cannot change")
    resource = ctx.store.put(ctx.scope, KIND, build(ctx, rid, _writable(ctx), previous))
    if previous is None:
        event(ctx, rid, "payout-request-created", "Payout request created")
        return ctx.created(resource, ctx.url(KIND, rid))
    return ctx.json(resource)


def post(ctx: Context) -> Response:
    """Create a request with an id of the emulator's choosing."""
    rid = ctx.store.new_id("pout_req")
    resource = ctx.store.put(ctx.scope, KIND, build(ctx, rid, _writable(ctx), None))
    event(ctx, rid, "payout-request-created", "Payout request created")
    return ctx.created(resource, ctx.url(KIND, rid))


def get(ctx: Context) -> Response:
    """The stored request, or 404."""
    stored = _stored(ctx)
    if stored is None:
        return ctx.not_found(f"Payout request {ctx.arg('id')!r}")
    return ctx.json(stored)


def collection(ctx: Context, kind: str = KIND) -> Response:
    """A page of a collection, with the `Pagination-*` headers."""
    found = page(
        ctx.store.bucket(ctx.scope, kind).values(),
        filter_text=ctx.query("filter"),
        sort=ctx.query("sort") or (),
        limit=ctx.query("limit"),
        offset=ctx.query("offset"),
    )
    return ctx.json(found.items, headers=found.headers())


def _cancel(ctx: Context, stored: dict[str, Any], canceled_by: str) -> None:
    stored.update(
        status="canceled", updatedTime=ctx.timestamp, cancellationReason={"canceledBy": canceled_by}
    )
    event(ctx, stored["id"], "payout-request-canceled", f"Payout request canceled by {canceled_by}")


def _changeable(ctx: Context, stored: dict[str, Any] | None) -> Response | None:
    if stored is None:
        return ctx.not_found(f"Payout request {ctx.arg('id')!r}")
    if stored["status"] in FINAL:
        return ctx.conflict(
            f"payout request {stored['id']!r} is {stored['status']} and cannot change"
        )
    return None


def patch(ctx: Context) -> Response:
    """Change the status, the description or the blocked state."""
    stored = _stored(ctx)
    refusal = _changeable(ctx, stored)
    if refusal is not None or stored is None:
        return refusal or Response(status=500)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    status = body.get("status")
    blocked = body.get("blocked", stored.get("blocked", False))
    if status == "canceled" and "canceledBy" not in body:
        return ctx.invalid_field("canceledBy", "canceledBy is required when status is canceled")
    if status and status != stored["status"] and blocked:
        return ctx.conflict(f"payout request {stored['id']!r} is blocked")
    stored.update({name: body[name] for name in _PATCH_FIELDS if name in body})
    if status == "canceled":
        _cancel(ctx, stored, body["canceledBy"])
    elif status:
        stored["status"] = status
        event(ctx, stored["id"], f"payout-request-{status}", f"Payout request is {status}")
    stored["updatedTime"] = ctx.timestamp
    return ctx.json(stored)


def cancel(ctx: Context) -> Response:
    """Cancel; a second cancel (or any final request) is a conflict."""
    stored = _stored(ctx)
    refusal = _changeable(ctx, stored)
    if refusal is not None or stored is None:
        return refusal or Response(status=500)
    if stored.get("blocked"):
        return ctx.conflict(f"payout request {stored['id']!r} is blocked")
    body = ctx.body if isinstance(ctx.body, dict) else {}
    _cancel(ctx, stored, str(body.get("canceledBy") or "customer"))
    return ctx.json(stored, headers={"Location": ctx.url(KIND, stored["id"])})


def split(ctx: Context) -> Response:
    """Split into new requests whose amounts add up to what is available."""
    stored = _stored(ctx)
    refusal = _changeable(ctx, stored)
    if refusal is not None or stored is None:
        return refusal or Response(status=500)
    if stored.get("blocked") or stored.get("batchId"):
        return ctx.conflict(f"payout request {stored['id']!r} is blocked or in a batch")
    amounts = [float(amount) for amount in ctx.body["amounts"]]
    if money(sum(amounts)) != money(stored["availableAmount"]):
        return ctx.invalid_field(
            "amounts",
            f"the amounts add up to {money(sum(amounts))}, not {stored['availableAmount']}",
        )
    fields: dict[str, Any] = {
        key: stored[key] for key in ("websiteId", "customerId", "currency") if key in stored
    }
    parts = []
    for amount in amounts:
        rid = ctx.store.new_id("pout_req")
        part = build(ctx, rid, {**fields, "amount": money(amount)}, None)
        part.update(splitFromPayoutRequestId=stored["id"], splitReason=ctx.body["splitReason"])
        part["_links"] = links(ctx, part)
        parts.append(ctx.store.put(ctx.scope, KIND, part))
        event(ctx, rid, "payout-request-created", f"Split from {stored['id']}")
    stored.update(status="split", updatedTime=ctx.timestamp, splitReason=ctx.body["splitReason"])
    return ctx.json(parts, 201, {"Location": ctx.url(KIND, parts[0]["id"])})


def payment_instruments(ctx: Context) -> Response:
    """The requested instrument (if any) as the one to offer."""
    stored = _stored(ctx)
    if stored is None:
        return ctx.not_found(f"Payout request {ctx.arg('id')!r}")
    instrument = stored.get("paymentInstrumentId")
    item = ctx.built(200)
    template = item[0] if isinstance(item, list) and item else {}
    offered = [{**template, "paymentInstrumentId": instrument}] if instrument else []
    return ctx.json(offered)


def timeline(ctx: Context) -> Response:
    """The request's timeline, a collection."""
    if _stored(ctx) is None:
        return ctx.not_found(f"Payout request {ctx.arg('id')!r}")
    return collection(ctx, f"timeline/{ctx.arg('id')}")


def comment(ctx: Context) -> Response:
    """Add a comment to the timeline."""
    if _stored(ctx) is None:
        return ctx.not_found(f"Payout request {ctx.arg('id')!r}")
    message = str((ctx.body or {}).get("message", ""))
    entry = event(ctx, ctx.arg("id"), "timeline-comment-created", message)
    return ctx.created(entry, ctx.url(KIND, ctx.arg("id"), "timeline", entry["id"]))


def message(ctx: Context) -> Response:
    """One timeline message (GET), or its removal (DELETE)."""
    kind = f"timeline/{ctx.arg('id')}"
    found = ctx.store.get(ctx.scope, kind, ctx.arg("messageId"))
    if _stored(ctx) is None or found is None:
        return ctx.not_found(f"Timeline message {ctx.arg('messageId')!r}")
    if ctx.operation.method == "DELETE":
        ctx.store.delete(ctx.scope, kind, ctx.arg("messageId"))
        return ctx.empty()
    return ctx.json(found)


BEHAVIOURS: Final[dict[str, Behaviour]] = {
    "GetPayoutRequestCollection": collection,
    "PostPayoutRequest": post,
    "GetPayoutRequest": get,
    "PutPayoutRequest": put,
    "PatchPayoutRequest": patch,
    "PostPayoutRequestCancellation": cancel,
    "PostPayoutRequestSplit": split,
    "GetPayoutRequestPaymentInstruments": payment_instruments,
    "GetPayoutRequestTimelineCollection": timeline,
    "PostPayoutRequestTimeline": comment,
    "GetPayoutRequestTimelineMessage": message,
    "DeletePayoutRequestTimelineMessage": message,
}
