"""The payout lifecycle in the emulator, over loopback, with the operations read from
Rebilly's description (`../shared/openapi/rebilly-openapi.json`): every answer is also
checked against the response schema the description declares for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.emulator import Emulator
from connector.emulator._api import rebilly_from_description
from connector.emulator._validation import field_errors

DESCRIPTION = next(
    (
        folder / "shared" / "openapi" / "rebilly-openapi.json"
        for folder in Path(__file__).resolve().parents[1:]
        if (folder / "shared" / "openapi" / "rebilly-openapi.json").is_file()
    ),
    None,
)
if DESCRIPTION is None:
    pytest.skip("../shared/openapi/rebilly-openapi.json is not here", allow_module_level=True)

API = rebilly_from_description(json.loads(DESCRIPTION.read_text("utf-8")))
AUTH = {"REB-APIKEY": "sk_sandbox_lifecycle"}
BODY = {"websiteId": "web-1", "customerId": "cust-1", "currency": "USD", "amount": 100}


class Client:
    """Calls the emulator and checks each answer against the declared response schema."""

    def __init__(self, emulator: Emulator) -> None:
        self.base = emulator.base_url("org-1")
        self.session = requests.Session()

    def __call__(
        self, method: str, path: str, body: Any = None, **params: Any
    ) -> requests.Response:
        response = self.session.request(
            method, self.base + path, json=body, params=params or None, headers=AUTH, timeout=5
        )
        template = path.split("?", maxsplit=1)[0]
        self._conforms(method, template, response)
        return response

    def _conforms(self, method: str, path: str, response: requests.Response) -> None:
        adapter = API.router.map.bind("127.0.0.1")
        index, _ = adapter.match("/organizations/org-1" + path, method=method)
        spec = API.router.operations[index].response(response.status_code)
        assert spec is not None, f"{method} {path}: {response.status_code} is not declared"
        if spec.schema is not None:
            assert field_errors(spec.schema, response.json()) == [], response.text


@pytest.fixture
def call() -> Iterator[Client]:
    with Emulator(api=API) as emulator:
        yield Client(emulator)


def ids(response: requests.Response) -> list[str]:
    return [item["id"] for item in response.json()]


def test_put_and_post_are_read_back_and_listed(call: Client) -> None:
    """PUT and POST both store a request that GET returns and the collection lists."""
    assert call("PUT", "/payout-requests/po-1", BODY).status_code == 201
    created = call("POST", "/payout-requests", {**BODY, "amount": 5, "currency": "EUR"})
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert created.headers["Location"].endswith(f"/payout-requests/{new_id}")
    assert call("GET", f"/payout-requests/{new_id}").json() == created.json()
    listed = call("GET", "/payout-requests")
    assert ids(listed) == ["po-1", new_id]
    assert listed.headers["Pagination-Total"] == "2"


def test_the_collection_filters_sorts_and_pages(call: Client) -> None:
    """filter, sort, limit and offset, with the Pagination headers."""
    for rid, amount, currency in [("a", 30, "USD"), ("b", 10, "EUR"), ("c", 20, "USD")]:
        call("PUT", f"/payout-requests/{rid}", {**BODY, "amount": amount, "currency": currency})
    assert ids(call("GET", "/payout-requests", filter="currency:USD")) == ["a", "c"]
    assert ids(call("GET", "/payout-requests", filter="amount:15..30;currency:USD,EUR")) == [
        "a",
        "c",
    ]
    assert ids(call("GET", "/payout-requests", sort="-amount")) == ["a", "c", "b"]
    paged = call("GET", "/payout-requests", sort="amount", limit=1, offset=1)
    assert ids(paged) == ["c"]
    assert {k: v for k, v in paged.headers.items() if k.startswith("Pagination")} == {
        "Pagination-Total": "3",
        "Pagination-Limit": "1",
        "Pagination-Offset": "1",
    }


def test_patch_changes_and_cancel_is_final(call: Client) -> None:
    """PATCH changes; a second cancel, or changing a cancelled request, is 409."""
    call("PUT", "/payout-requests/po-1", BODY)
    patched = call("PATCH", "/payout-requests/po-1", {"status": "ready", "description": "x"})
    assert patched.status_code == 200
    assert patched.json()["status"] == "ready"
    assert patched.json()["description"] == "x"
    canceled = call("POST", "/payout-requests/po-1/cancel", {"canceledBy": "merchant"})
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["cancellationReason"] == {"canceledBy": "merchant"}
    assert call("POST", "/payout-requests/po-1/cancel", {}).status_code == 409
    assert call("PATCH", "/payout-requests/po-1", {"description": "y"}).status_code == 409
    timeline = call("GET", "/payout-requests/po-1/timeline")
    assert [m["type"] for m in timeline.json()] == [
        "payout-request-created",
        "payout-request-ready",
        "payout-request-canceled",
    ]


def test_cancel_through_patch_needs_canceled_by(call: Client) -> None:
    """status canceled without canceledBy is invalid data."""
    call("PUT", "/payout-requests/po-1", BODY)
    refused = call("PATCH", "/payout-requests/po-1", {"status": "canceled"})
    assert refused.status_code == 422
    assert refused.json()["invalidFields"][0]["field"] == "canceledBy"


def test_split_into_parts_that_add_up(call: Client) -> None:
    """A split makes new requests whose amounts add up; amounts that do not are 422."""
    call("PUT", "/payout-requests/po-1", BODY)
    reason = {"splitReason": "processor-limit"}
    wrong = call("POST", "/payout-requests/po-1/split", {"amounts": [60, 30], **reason})
    assert wrong.status_code == 422
    split = call("POST", "/payout-requests/po-1/split", {"amounts": [60.5, 39.5], **reason})
    assert split.status_code == 201
    parts = split.json()
    assert sum(part["amount"] for part in parts) == 100
    assert {part["splitFromPayoutRequestId"] for part in parts} == {"po-1"}
    assert call("GET", "/payout-requests/po-1").json()["status"] == "split"
    again = call("POST", "/payout-requests/po-1/split", {"amounts": [50, 50], **reason})
    assert again.status_code == 409


def test_timeline_comments(call: Client) -> None:
    """A comment is added, read and removed."""
    call("PUT", "/payout-requests/po-1", BODY)
    posted = call("POST", "/payout-requests/po-1/timeline", {"message": "checked"})
    assert posted.status_code == 201
    mid = posted.json()["id"]
    assert call("GET", f"/payout-requests/po-1/timeline/{mid}").json()["message"] == "checked"
    assert call("DELETE", f"/payout-requests/po-1/timeline/{mid}").status_code == 204
    assert call("GET", f"/payout-requests/po-1/timeline/{mid}").status_code == 404


def test_batches_take_list_remove_approve_block_unblock(call: Client) -> None:
    """A batch of requests, changed as a whole."""
    for rid in ("a", "b", "c"):
        call("PUT", f"/payout-requests/{rid}", {**BODY, "customerId": f"cust-{rid}"})
    made = call("POST", "/payout-request-batches", {"payoutRequestIds": ["a", "b"]})
    assert made.status_code == 201
    batch = made.json()
    assert (batch["totalCount"], batch["customerCount"]) == (2, 2)
    assert batch["totalAmountByCurrency"] == [{"currency": "USD", "amount": 200}]
    bid = batch["id"]
    other = call("POST", "/payout-request-batches", {"payoutRequestIds": ["a"]})
    assert other.status_code == 409
    added = call("POST", f"/payout-request-batches/{bid}/payout-requests", {"filter": "id:c"})
    assert added.json()["totalCount"] == 3
    path = f"/payout-request-batches/{bid}/payout-requests/remove"
    assert call("POST", path, {"payoutRequestIds": ["c"]}).json()["totalCount"] == 2
    assert ids(call("GET", "/payout-request-batches")) == [bid]
    blocked = call("POST", f"/payout-request-batches/{bid}/block", {"reason": "aml-review"})
    assert blocked.status_code == 200
    assert call("GET", "/payout-requests/a").json()["blockReason"] == "aml-review"
    assert call("POST", f"/payout-request-batches/{bid}/approve").status_code == 409
    call("POST", f"/payout-request-batches/{bid}/unblock")
    assert call("POST", f"/payout-request-batches/{bid}/approve").status_code == 200
    assert call("GET", "/payout-requests/b").json()["status"] == "approved"
    assert call("GET", "/payout-requests/c").json()["status"] == "pending"
    assert call("DELETE", f"/payout-request-batches/{bid}").status_code == 204
    assert call("GET", "/payout-requests/a").json()["batchId"] is None


def test_allocations_and_payouts_work_on_stored_requests(call: Client) -> None:
    """Allocating and processing pays a request out; POST /payouts draws on one too."""
    call("PUT", "/payout-requests/po-1", {**BODY, "paymentInstrumentId": "inst-1"})
    body = {
        "payoutRequestId": "po-1",
        "paymentInstrumentId": "inst-1",
        "gatewayAccountId": "gw-1",
        "amount": 40,
    }
    allocation = call("POST", "/payout-request-allocations", body)
    assert allocation.status_code == 201
    aid = allocation.json()["id"]
    assert call("GET", "/payout-requests/po-1").json()["availableAmount"] == 60
    assert (
        call("POST", "/payout-request-allocations/auto", {"payoutRequestId": "po-1"}).status_code
        == 204
    )
    pending = call("GET", "/payout-request-allocations", filter="status:pending")
    assert len(pending.json()) == 2
    processed = call("PATCH", f"/payout-request-allocations/{aid}", {"status": "processing"})
    assert processed.json()["status"] == "completed"
    rest = [item["id"] for item in pending.json() if item["id"] != aid]
    assert (
        call("POST", "/payout-request-allocations/process", {"allocationIds": rest}).status_code
        == 204
    )
    assert call("GET", "/payout-requests/po-1").json()["status"] == "fulfilled"
    call("PUT", "/payout-requests/po-2", BODY)
    payout = {**BODY, "amount": 100, "payoutRequestId": "po-2"}
    made = call("POST", "/payouts", payout)
    assert made.status_code == 201
    assert made.json()["type"] == "credit"
    assert call("GET", "/payout-requests/po-2").json()["status"] == "fulfilled"
    assert call("POST", "/payouts", payout).status_code == 409


def test_missing_requests_are_named(call: Client) -> None:
    """An id that names nothing: 404 where declared, else 422 naming the field."""
    assert call("GET", "/payout-requests/nope").status_code == 404
    missing = call("POST", "/payout-request-batches", {"payoutRequestIds": ["nope"]})
    assert missing.status_code == 422
    assert missing.json()["invalidFields"][0]["field"] == "payoutRequestIds"
