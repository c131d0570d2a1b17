"""Rebilly's payout-request allocations and `POST /payouts`, on the stored payout requests.

An allocation reserves part of a request's available amount for a payment instrument;
processing it completes it at once (a `credit` transaction), cancelling it gives the
amount back, and a request whose amount is all paid out is `fulfilled`. `POST /payouts`
makes that credit transaction directly, paid out of a stored request when
`payoutRequestId` names one.
"""

from __future__ import annotations

from typing import Any, Final

from werkzeug.wrappers import Response

from connector.emulator._context import Behaviour, Context
from connector.emulator._payouts import FINAL, KIND, collection, event, money

__all__ = ["BEHAVIOURS", "allocatable", "allocate"]

ALLOCATIONS: Final = "payout-request-allocations"
TRANSACTIONS: Final = "transactions"


def allocatable(item: dict[str, Any]) -> bool:
    return item["status"] not in FINAL and not item.get("blocked") and item["availableAmount"] > 0


def allocate(
    ctx: Context, item: dict[str, Any], instrument: str, gateway: str, amount: float | None
) -> dict[str, Any]:
    amount = money(item["availableAmount"] if amount is None else amount)
    allocation = {
        "id": ctx.store.new_id("pra"),
        "payoutRequestId": item["id"],
        "batchId": item.get("batchId"),
        "paymentInstrumentId": instrument,
        "gatewayAccountId": gateway,
        "amount": amount,
        "currency": item["currency"],
        "status": "pending",
        "createdTime": ctx.timestamp,
        "updatedTime": ctx.timestamp,
    }
    ctx.store.put(ctx.scope, ALLOCATIONS, allocation)
    item["availableAmount"] = money(item["availableAmount"] - amount)
    _refresh(ctx, item)
    event(ctx, item["id"], "payout-request-allocated", f"Allocated {amount} {item['currency']}")
    return allocation


def _refresh(ctx: Context, item: dict[str, Any]) -> None:
    """The request's copy of its allocations, and `fulfilled` once all is paid out."""
    mine = [
        a
        for a in ctx.store.bucket(ctx.scope, ALLOCATIONS).values()
        if a["payoutRequestId"] == item["id"]
    ]
    item["allocations"] = [dict(a) for a in mine]
    live = [a for a in mine if a["status"] != "canceled"]
    if item["availableAmount"] <= 0 and live and all(a["status"] == "completed" for a in live):
        item["status"] = "fulfilled"
    elif any(a["status"] == "completed" for a in live) and item["status"] not in FINAL:
        item["status"] = "in-progress"
    item["updatedTime"] = ctx.timestamp


def _request_for(ctx: Context, rid: Any) -> dict[str, Any] | Response:
    item = ctx.store.get(ctx.scope, KIND, str(rid))
    if item is None:
        return ctx.not_found(f"Payout request {rid!r}", "payoutRequestId")
    if not allocatable(item):
        return ctx.conflict(f"payout request {rid!r} cannot be allocated", "payoutRequestId")
    return item


def create_allocation(ctx: Context) -> Response:
    """Reserve part of a request's available amount for a payment instrument."""
    item = _request_for(ctx, ctx.body["payoutRequestId"])
    if isinstance(item, Response):
        return item
    amount = ctx.body.get("amount")
    if amount is not None and not 0 < amount <= item["availableAmount"]:
        return ctx.invalid_field(
            "amount", f"the amount must be over 0 and at most {item['availableAmount']}"
        )
    body = ctx.body
    allocation = allocate(
        ctx,
        item,
        body["paymentInstrumentId"],
        str(body.get("gatewayAccountId") or "gw_acc_emulator"),
        amount,
    )
    return ctx.created(allocation, ctx.url(ALLOCATIONS, allocation["id"]))


def auto_allocation(ctx: Context) -> Response:
    """Allocate the whole available amount to the request's own instrument."""
    item = _request_for(ctx, ctx.body["payoutRequestId"])
    if isinstance(item, Response):
        return item
    if not item.get("paymentInstrumentId"):
        return ctx.conflict(
            f"payout request {item['id']!r} has no payment instrument", "payoutRequestId"
        )
    allocate(ctx, item, item["paymentInstrumentId"], "gw_acc_emulator", None)
    return ctx.empty()


def get_allocation(ctx: Context) -> Response:
    """The allocation, or 404."""
    found = ctx.store.get(ctx.scope, ALLOCATIONS, ctx.arg("id"))
    if found is None:
        return ctx.not_found(f"Payout request allocation {ctx.arg('id')!r}")
    return ctx.json(found)


def list_allocations(ctx: Context) -> Response:
    """The allocations, a collection."""
    return collection(ctx, ALLOCATIONS)


def _process(ctx: Context, allocation: dict[str, Any], status: str) -> None:
    item = ctx.store.get(ctx.scope, KIND, allocation["payoutRequestId"])
    if status == "canceled":
        allocation["status"] = "canceled"
        if item is not None:
            item["availableAmount"] = money(item["availableAmount"] + allocation["amount"])
    else:
        transaction = _transaction(ctx, allocation, item)
        allocation.update(status="completed", transactionId=transaction["id"])
    allocation["updatedTime"] = ctx.timestamp
    if item is not None:
        _refresh(ctx, item)


def patch_allocation(ctx: Context) -> Response:
    """`processing` completes a pending allocation; `canceled` gives its amount back."""
    found = ctx.store.get(ctx.scope, ALLOCATIONS, ctx.arg("id"))
    if found is None:
        return ctx.not_found(f"Payout request allocation {ctx.arg('id')!r}")
    if found["status"] != "pending":
        return ctx.conflict(f"allocation {found['id']!r} is {found['status']}, not pending")
    _process(ctx, found, ctx.body["status"])
    return ctx.json(found)


def process_allocations(ctx: Context) -> Response:
    """Complete every named pending allocation."""
    bucket = ctx.store.bucket(ctx.scope, ALLOCATIONS)
    for index, aid in enumerate(ctx.body["allocationIds"]):
        if aid not in bucket or bucket[aid]["status"] != "pending":
            return ctx.invalid_field(
                f"allocationIds.{index}", f"{aid!r} is not a pending allocation"
            )
    for aid in ctx.body["allocationIds"]:
        _process(ctx, bucket[aid], "processing")
    return ctx.empty()


# --- payouts ----------------------------------------------------------------------------------


def _transaction(
    ctx: Context, source: dict[str, Any], item: dict[str, Any] | None
) -> dict[str, Any]:
    fields = ("websiteId", "customerId", "currency", "amount", "description", "gatewayAccountId")
    owner = ("websiteId", "customerId")
    transaction: dict[str, Any] = {
        **{key: source[key] for key in fields if source.get(key) is not None},
        **({key: item[key] for key in owner if key in item} if item else {}),
        "id": ctx.store.new_id("txn"),
        "type": "credit",
        "status": "completed",
        "result": "approved",
        "createdTime": ctx.timestamp,
        "updatedTime": ctx.timestamp,
    }
    if item is not None:
        transaction["payoutRequestId"] = item["id"]
    return ctx.store.put(ctx.scope, TRANSACTIONS, transaction)


def payout(ctx: Context) -> Response:
    """A credit transaction; with `payoutRequestId`, paid out of that stored request."""
    body = ctx.body
    item: dict[str, Any] | None = None
    if body.get("payoutRequestId") is not None:
        found = _request_for(ctx, body["payoutRequestId"])
        if isinstance(found, Response):
            return found
        item = found
        if (
            body["currency"] != item["currency"]
            or not 0 < body["amount"] <= item["availableAmount"]
        ):
            return ctx.conflict(f"the payout does not fit payout request {item['id']!r}", "amount")
    transaction = _transaction(ctx, body, item)
    if item is not None:
        item["availableAmount"] = money(item["availableAmount"] - body["amount"])
        if item["availableAmount"] <= 0:
            item.update(status="fulfilled", updatedTime=ctx.timestamp)
    return ctx.created(transaction, ctx.url("transactions", transaction["id"]))


BEHAVIOURS: Final[dict[str, Behaviour]] = {
    "GetPayoutRequestAllocationCollection": list_allocations,
    "PostPayoutRequestAllocation": create_allocation,
    "PostPayoutRequestAutoAllocation": auto_allocation,
    "GetPayoutRequestAllocation": get_allocation,
    "PatchPayoutRequestAllocation": patch_allocation,
    "PostPayoutRequestAllocationsProcess": process_allocations,
    "PostPayout": payout,
}
