"""Rebilly's payout-request batches, on the stored payout requests.

A batch takes requests (by id or by filter) that are not final and not in another batch;
its counts and totals are computed from its members. Approving sets every member
`approved` (a blocked or final member is a conflict); blocking and unblocking set `blocked`
on every member; auto-allocation allocates what each member still has available to its
requested payment instrument. Deleting a batch releases its requests.
"""

from __future__ import annotations

from typing import Any, Final

from werkzeug.wrappers import Response

from connector.emulator._allocations import allocatable, allocate
from connector.emulator._context import Behaviour, Context
from connector.emulator._payouts import FINAL, KIND, collection, event, money
from connector.emulator._store import matches, parse_filter

__all__ = ["BEHAVIOURS"]

BATCHES: Final = "payout-request-batches"


# --- batches ----------------------------------------------------------------------------------


def _members(ctx: Context, batch_id: str) -> list[dict[str, Any]]:
    requests = ctx.store.bucket(ctx.scope, KIND).values()
    return [item for item in requests if item.get("batchId") == batch_id]


def _show(ctx: Context, batch: dict[str, Any]) -> dict[str, Any]:
    members = _members(ctx, batch["id"])
    totals: dict[str, float] = {}
    for item in members:
        totals[item["currency"]] = money(totals.get(item["currency"], 0) + item["amount"])
    batch.update(
        totalCount=len(members),
        customerCount=len({item["customerId"] for item in members}),
        totalAmountByCurrency=[{"currency": c, "amount": a} for c, a in sorted(totals.items())],
        _links=[
            {"href": ctx.url(BATCHES, batch["id"]), "rel": "self"},
            {"href": ctx.url(KIND) + f"?filter=batchId:{batch['id']}", "rel": "payoutRequests"},
        ],
    )
    return batch


def _chosen(ctx: Context, body: dict[str, Any]) -> list[dict[str, Any]] | Response:
    """The requests a body names (by id, or by filter among those in no batch)."""
    requests = ctx.store.bucket(ctx.scope, KIND)
    if "filter" in body:
        conditions = [c for c in parse_filter(str(body["filter"])) if c[0] != "batchId"]
        return [r for r in requests.values() if not r.get("batchId") and matches(r, conditions)]
    chosen = []
    for rid in body.get("payoutRequestIds") or []:
        if rid not in requests:
            return ctx.not_found(f"Payout request {rid!r}", "payoutRequestIds")
        chosen.append(requests[rid])
    return chosen


def _take(ctx: Context, batch: dict[str, Any], body: dict[str, Any]) -> Response | None:
    chosen = _chosen(ctx, body)
    if isinstance(chosen, Response):
        return chosen
    for item in chosen:
        if item.get("batchId") not in {None, batch["id"]} or item["status"] in FINAL:
            return ctx.conflict(f"payout request {item['id']!r} cannot join the batch")
    for item in chosen:
        item.update(batchId=batch["id"], updatedTime=ctx.timestamp)
    return None


def create_batch(ctx: Context) -> Response:
    """A new batch of the named requests."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    batch: dict[str, Any] = {
        "id": ctx.store.new_id("preq_batch"),
        "description": body.get("description"),
        "allocationOrder": body.get("allocationOrder"),
        "createdTime": ctx.timestamp,
        "updatedTime": ctx.timestamp,
    }
    refusal = _take(ctx, batch, body)
    if refusal is not None:
        return refusal
    ctx.store.put(ctx.scope, BATCHES, batch)
    return ctx.created(_show(ctx, batch), ctx.url(BATCHES, batch["id"]))


def _batch(ctx: Context) -> dict[str, Any] | None:
    return ctx.store.get(ctx.scope, BATCHES, ctx.arg("id"))


def _missing(ctx: Context) -> Response:
    return ctx.not_found(f"Payout request batch {ctx.arg('id')!r}")


def get_batch(ctx: Context) -> Response:
    """The batch, its counts computed now."""
    batch = _batch(ctx)
    return _missing(ctx) if batch is None else ctx.json(_show(ctx, batch))


def list_batches(ctx: Context) -> Response:
    """The batches, a collection."""
    for batch in ctx.store.bucket(ctx.scope, BATCHES).values():
        _show(ctx, batch)
    return collection(ctx, BATCHES)


def patch_batch(ctx: Context) -> Response:
    """Change the description or the allocation order."""
    batch = _batch(ctx)
    if batch is None:
        return _missing(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    batch.update({k: body[k] for k in ("description", "allocationOrder") if k in body})
    batch["updatedTime"] = ctx.timestamp
    return ctx.json(_show(ctx, batch))


def delete_batch(ctx: Context) -> Response:
    """Remove the batch; its requests are in no batch again."""
    if _batch(ctx) is None:
        return _missing(ctx)
    for item in _members(ctx, ctx.arg("id")):
        item["batchId"] = None
    ctx.store.delete(ctx.scope, BATCHES, ctx.arg("id"))
    return ctx.empty()


def add_to_batch(ctx: Context) -> Response:
    """Take more requests into the batch."""
    batch = _batch(ctx)
    if batch is None:
        return _missing(ctx)
    refusal = _take(ctx, batch, ctx.body if isinstance(ctx.body, dict) else {})
    return refusal or ctx.json(_show(ctx, batch))


def remove_from_batch(ctx: Context) -> Response:
    """Release requests from the batch."""
    batch = _batch(ctx)
    if batch is None:
        return _missing(ctx)
    members = {item["id"]: item for item in _members(ctx, batch["id"])}
    for rid in ctx.body["payoutRequestIds"]:
        if rid not in members:
            return ctx.conflict(f"payout request {rid!r} is not in the batch", "payoutRequestIds")
    for rid in ctx.body["payoutRequestIds"]:
        members[rid].update(batchId=None, updatedTime=ctx.timestamp)
    return ctx.json(_show(ctx, batch))


def _each_member(ctx: Context, change: dict[str, Any], kind: str) -> Response:
    batch = _batch(ctx)
    if batch is None:
        return _missing(ctx)
    members = _members(ctx, batch["id"])
    if kind == "approved" and any(m.get("blocked") or m["status"] in FINAL for m in members):
        return ctx.conflict(f"batch {batch['id']!r} has blocked or final payout requests")
    for item in members:
        item.update(change, updatedTime=ctx.timestamp)
        event(ctx, item["id"], f"payout-request-{kind}", f"Payout request {kind} in batch")
    return ctx.json(_show(ctx, batch))


def approve(ctx: Context) -> Response:
    """Every member `approved`."""
    return _each_member(ctx, {"status": "approved"}, "approved")


def block(ctx: Context) -> Response:
    """Every member blocked, with the reason."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    change = {"blocked": True, "blockReason": body.get("reason")}
    return _each_member(ctx, change, "blocked")


def unblock(ctx: Context) -> Response:
    """Every member unblocked."""
    return _each_member(ctx, {"blocked": False, "blockReason": None}, "unblocked")


def auto_allocate_batch(ctx: Context) -> Response:
    """Allocate what every member still has available to its requested instrument."""
    batch = _batch(ctx)
    if batch is None:
        return _missing(ctx)
    for item in _members(ctx, batch["id"]):
        if allocatable(item) and item.get("paymentInstrumentId"):
            allocate(ctx, item, item["paymentInstrumentId"], "gw_acc_emulator", None)
    return ctx.json(_show(ctx, batch))


def preview(ctx: Context) -> Response:
    """What a batch made with `filter` would hold."""
    chosen = _chosen(ctx, {"filter": ctx.query("filter") or ""})
    assert isinstance(chosen, list)  # a filter never names a missing request
    totals: dict[str, float] = {}
    for item in chosen:
        totals[item["currency"]] = money(totals.get(item["currency"], 0) + item["amount"])
    overlay = {
        "matchingCount": len(chosen),
        "customerCount": len({item["customerId"] for item in chosen}),
        "totalAmountByCurrency": [{"currency": c, "amount": a} for c, a in sorted(totals.items())],
    }
    return ctx.json(ctx.built(200, overlay))


BEHAVIOURS: Final[dict[str, Behaviour]] = {
    "GetPayoutRequestBatchCollection": list_batches,
    "PostPayoutRequestBatch": create_batch,
    "GetPayoutRequestBatch": get_batch,
    "PatchPayoutRequestBatch": patch_batch,
    "DeletePayoutRequestBatch": delete_batch,
    "PostPayoutRequestBatchAutoAllocate": auto_allocate_batch,
    "PostPayoutRequestBatchApprove": approve,
    "PostPayoutRequestBatchBlock": block,
    "PostPayoutRequestsToBatch": add_to_batch,
    "PostRemovePayoutRequestsFromBatch": remove_from_batch,
    "PostPayoutRequestBatchUnblock": unblock,
    "GetPayoutRequestBatchPreview": preview,
}
