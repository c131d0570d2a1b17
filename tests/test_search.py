"""`connector search`: BM25 with an API-vocabulary thesaurus finds paraphrases near the top."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from connector._search import Hit, Index, search_catalogue, stem, words
from connector._store import all_rows, index_row, remove_api, write_api
from connector.openapi import import_description, load_description

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
DESCRIPTIONS = {
    "rebilly": SHARED / "rebilly-openapi.json",
    "stripe": SHARED / "corpus" / "stripe-spec3.json",
    "twilio": SHARED / "corpus" / "twilio_api_v2010.json",
}

PARAPHRASES = [
    ("stop a payout the customer asked for", "PostPayoutRequestCancellation"),
    ("cancel a withdrawal request", "PostPayoutRequestCancellation"),
    ("void a disbursement request", "PostPayoutRequestCancellation"),
    ("see all payout requests", "GetPayoutRequestCollection"),
    ("fetch one payout request", "GetPayoutRequest"),
    ("divide a payout request in two", "PostPayoutRequestSplit"),
    ("create or replace a payout request with my own id", "PutPayoutRequest"),
    ("approve a batch of payouts", "PostPayoutRequestBatchApprove"),
    ("freeze a payout batch", "PostPayoutRequestBatchBlock"),
    ("release a blocked payout batch", "PostPayoutRequestBatchUnblock"),
    ("list customers", "GetCustomerCollection"),
    ("stop a subscription", "PostSubscriptionCancellation"),
    ("new webhook", "PostWebhook"),
    ("refund a charge", "PostRefunds"),
    ("cancel a payment intent", "PostPaymentIntentsIntentCancel"),
    ("get the account balance", "GetBalance"),
    ("send money to a bank account", "PostPayouts"),
    ("stop a payout", "PostPayoutsPayoutCancel"),
    ("all invoices of a customer", "GetInvoices"),
    ("delete a customer", "DeleteCustomersCustomer"),
    ("send an sms", "CreateMessage"),
    ("hang up a call", "UpdateCall"),
    ("list phone numbers", "ListIncomingPhoneNumber"),
    ("buy a phone number", "CreateIncomingPhoneNumber"),
]


@cache
def _index() -> Index:
    rows = []
    for api, path in DESCRIPTIONS.items():
        if not path.is_file():
            pytest.skip(f"no description at {path}")
        result = import_description(load_description(path), api=api, check=False)
        rows.extend(index_row(item.template) for item in result.imported)
    return Index(rows)


def recall(index: Index, *, synonyms: bool, top: int = 5) -> float:
    """The share of paraphrases whose operation is in the first `top` hits."""
    found = sum(
        want in [h.row["operationId"] for h in index.search(query, top, synonyms=synonyms)]
        for query, want in PARAPHRASES
    )
    return found / len(PARAPHRASES)


def test_the_thesaurus_finds_paraphrases_lexical_ranking_misses() -> None:
    """Over Rebilly, Stripe and Twilio: synonyms lift recall@5 well above plain BM25."""
    index = _index()
    lexical, expanded = recall(index, synonyms=False), recall(index, synonyms=True)
    assert expanded >= 0.75
    assert expanded > lexical + 0.15


def test_stop_a_payout_the_customer_asked_for_finds_the_cancellation_first() -> None:
    """The issue's own paraphrase ranks the payout-request cancellation first."""
    (hit,) = _index().search("stop a payout the customer asked for", 1)
    assert hit.row["operationId"] == "PostPayoutRequestCancellation"


@pytest.mark.parametrize(
    ("word", "expected"),
    [("cancellation", "cancel"), ("canceled", "cancel"), ("payouts", "payout"), ("lists", "list")],
)
def test_stems(word: str, expected: str) -> None:
    """Inflections meet at one stem."""
    assert stem(word) == expected


def test_operation_ids_are_split_into_words() -> None:
    """camelCase operationIds are searchable by their words."""
    assert words("PostPayoutRequestCancellation") == ["post", "payout", "request", "cancel"]


def _ranked(hits: list[Hit]) -> list[tuple[str, float]]:
    return [(str(hit.row["name"]), hit.score) for hit in hits]


def test_the_kept_index_ranks_as_a_fresh_one_and_sees_every_import(tmp_path: Path) -> None:
    """search_catalogue (index kept while the files are unchanged) equals a fresh Index's
    ranking, before and after an API is imported, re-imported smaller, and removed."""
    catalog = tmp_path / "catalog"
    query = "list the pets"

    def same() -> list[tuple[str, float]]:
        kept = _ranked(search_catalogue(query, 20, catalog=catalog))
        assert kept == _ranked(Index(all_rows(catalog=catalog)).search(query, 20))
        return kept

    before = same()
    pets = [
        {"name": n, "title": t, "operation": {"api": "pets", "tags": ["pets"]}}
        for n, t in (("list-pets", "List all pets"), ("create-pet", "Create a pet"))
    ]
    write_api("pets", pets, catalog=catalog)
    assert same()[0][0] == "list-pets"
    write_api("pets", pets[1:], catalog=catalog)
    assert "list-pets" not in dict(same())
    remove_api("pets", catalog=catalog)
    assert same() == before
