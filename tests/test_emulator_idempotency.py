"""The emulator's `Idempotency-Key`: a repeated key answers the first answer, over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connector.emulator import Emulator
from connector.emulator._faults import Fault

AUTH = {"REB-APIKEY": "sk_local_IDEMPOTENCYTEST1"}
BODY = {"websiteId": "web-1", "customerId": "cust-1", "currency": "USD", "amount": 10.5}


@pytest.fixture
def payouts() -> Iterator[tuple[Emulator, str]]:
    """The Rebilly emulator and its payout-requests URL."""
    with Emulator() as emulator:
        yield emulator, f"{emulator.base_url('org-1')}/payout-requests"


def post(url: str, key: str | None, body: dict[str, object] = BODY) -> requests.Response:
    """POST a payout request, with `key` as its Idempotency-Key when given."""
    headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
    return requests.post(url, json=body, headers=headers, timeout=5)


def test_a_repeated_key_gets_the_first_answer_and_creates_nothing_more(
    payouts: tuple[Emulator, str],
) -> None:
    """The second POST with the same key is the first 201 again, marked replayed."""
    _, url = payouts
    first, second = post(url, "k-1"), post(url, "k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(requests.get(url, headers=AUTH, timeout=5).json()) == 1


def test_another_key_or_no_key_creates_again(payouts: tuple[Emulator, str]) -> None:
    """Only the same key is deduplicated."""
    _, url = payouts
    ids = {post(url, key).json()["id"] for key in ("k-1", "k-2", None, None)}
    assert len(ids) == 4


def test_the_same_key_with_another_body_is_refused(payouts: tuple[Emulator, str]) -> None:
    """A key reused for a different request is 422, and nothing is created."""
    _, url = payouts
    post(url, "k-1")
    refused = post(url, "k-1", {**BODY, "amount": 99})
    assert refused.status_code == 422
    assert "another request body" in refused.json()["detail"]
    assert len(requests.get(url, headers=AUTH, timeout=5).json()) == 1


def test_a_request_that_acted_but_lost_its_answer_is_replayed(
    payouts: tuple[Emulator, str],
) -> None:
    """The work was done and the connection dropped: the same key again gets that answer."""
    emulator, url = payouts
    emulator.app.inject(Fault(kind="reset", apply=True))
    with pytest.raises(requests.ConnectionError):
        post(url, "k-1")
    again = post(url, "k-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(requests.get(url, headers=AUTH, timeout=5).json()) == 1
