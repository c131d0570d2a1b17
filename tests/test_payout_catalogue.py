"""The shipped payout catalogue, end to end: every one of the 31 operations runs through the
connector (template -> render -> validate -> send -> result) against the built-in emulator
on 127.0.0.1, in the order a payout workflow uses them, each answering a success status its
template declares, and each later step reading what the earlier ones made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import connector
from connector import task_names
from connector._reference import reference, to_markdown
from connector.emulator import Emulator

ORG = "org-life"
ENVIRON = {"REBILLY_API_KEY": "sk_local_lifecycle"}
BODY = {"websiteId": "web-1", "customerId": "cust-1", "currency": "USD", "amount": 100}


class Steps:
    """Runs shipped tasks against one emulator and remembers which ones ran."""

    def __init__(self, emulator: Emulator, executor: connector.Executor) -> None:
        self.emulator = emulator
        self.executor = executor
        self.ran: set[str] = set()

    def __call__(self, name: str, **inputs: Any) -> Any:
        task = connector.load_task(name)
        result = self.executor.run(
            task, {"organizationId": ORG, **inputs}, base_url=self.emulator.base_url(ORG)
        )
        assert result.status == "COMPLETED", (name, result.error, result.response)
        assert result.response is not None
        assert result.response.status_code in task.template.success_status_codes, name
        self.ran.add(name)
        return result.response.body


@pytest.fixture
def step() -> Iterator[Steps]:
    with Emulator() as emulator, connector.Executor(environ=ENVIRON) as executor:
        yield Steps(emulator, executor)


def test_every_shipped_operation_runs_in_a_payout_lifecycle(step: Steps) -> None:
    """Requests, timeline, split, batches, allocations and payouts, through the connector."""
    for rid in ("po-1", "po-2", "po-3"):
        made = step("upsert-payout-request", id=rid, paymentInstrumentId="inst-1", **BODY)
        assert made["id"] == rid
    created = step("create-payout-request", **{**BODY, "customerId": "cust-9"})
    assert step("get-payout-request", id=created["id"])["customerId"] == "cust-9"
    listed = step("list-payout-requests", filter="customerId:cust-9", limit=10)
    assert [item["id"] for item in listed] == [created["id"]]
    assert step("update-payout-request", id="po-3", description="checked")["description"] == (
        "checked"
    )
    step("list-payout-request-payment-instruments", id="po-1")

    comment = step("create-payout-request-timeline-comment", id="po-1", message="reviewed")
    assert step("get-payout-request-timeline-message", id="po-1", messageId=comment["id"])[
        "message"
    ] == ("reviewed")
    timeline = step("list-payout-request-timeline", id="po-1")
    assert comment["id"] in [message["id"] for message in timeline]
    step("delete-payout-request-timeline-message", id="po-1", messageId=comment["id"])

    parts = step("split-payout-request", id="po-3", amounts=[60, 40], splitReason="other")
    assert sorted(part["amount"] for part in parts) == [40, 60]

    batch = step("create-payout-request-batch", payoutRequestIds=["po-1"])
    step("add-payout-requests-to-batch", id=batch["id"], payoutRequestIds=["po-2"])
    assert step("get-payout-request-batch", id=batch["id"])["totalCount"] == 2
    step("remove-payout-requests-from-batch", id=batch["id"], payoutRequestIds=["po-2"])
    step("update-payout-request-batch", id=batch["id"], description="weekly")
    assert [b["id"] for b in step("list-payout-request-batches")] == [batch["id"]]
    step("preview-payout-request-batch", filter="id:po-2")
    step("block-payout-request-batch", id=batch["id"], reason="aml-review")
    step("unblock-payout-request-batch", id=batch["id"])
    step("auto-allocate-payout-request-batch", id=batch["id"])
    step("approve-payout-request-batch", id=batch["id"])

    allocation = step(
        "create-payout-request-allocation",
        payoutRequestId="po-2",
        paymentInstrumentId="inst-1",
        gatewayAccountId="gw-1",
        amount=30,
    )
    assert step("get-payout-request-allocation", id=allocation["id"])["amount"] == 30
    step("auto-allocate-payout-requests", payoutRequestId="po-2")
    pending = step("list-payout-request-allocations", filter="status:pending")
    step("update-payout-request-allocation", id=allocation["id"], status="processing")
    rest = [item["id"] for item in pending if item["id"] != allocation["id"]]
    step("process-payout-request-allocations", allocationIds=rest)

    step("upsert-payout-request", id="po-4", **BODY)
    assert step("create-payout", **BODY, payoutRequestId="po-4")["type"] == "credit"
    canceled = step("cancel-payout-request", id=created["id"], canceledBy="merchant")
    assert canceled["status"] == "canceled"
    step("delete-payout-request-batch", id=batch["id"])

    assert sorted(step.ran) == task_names()
    assert len(step.ran) == 31


def test_a_second_cancel_is_a_failed_result_to_branch_on(step: Steps) -> None:
    """The description's 409 for a cancelled request comes back as a FAILED result, once."""
    step("upsert-payout-request", id="po-1", **BODY)
    step("cancel-payout-request", id="po-1", canceledBy="customer")
    result = step.executor.run(
        "cancel-payout-request",
        {"organizationId": ORG, "id": "po-1", "canceledBy": "customer"},
        base_url=step.emulator.base_url(ORG),
    )
    assert result.status == "FAILED"
    assert result.response is not None and result.response.status_code == 409
    assert len(result.attempts) == 1  # a POST is not repeated


def test_every_shipped_operation_has_a_reference_page() -> None:
    """`describe --format markdown` renders each: method and path, parameters, body fields."""
    for name in task_names():
        task = connector.load_task(name)
        page = to_markdown(reference(task))
        method = task.template.http_request.method
        assert page.count(f"{method} ") >= 1, name
        for parameter in task.template.parameters:
            assert parameter in page, (name, parameter)
        if task.template.body_schema is not None:
            fields = task.template.body_schema.get("properties", {})
            assert all(field in page for field in fields), name
