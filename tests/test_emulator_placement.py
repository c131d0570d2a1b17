"""The emulator keeps the user's data for any API (`emulator/_placement`, `_generic`): a
created resource is answered where the response schema puts it, read back as created, and
listed with `sort`, `limit` and `offset`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector.emulator import Emulator, api_from_description

PAYMENT = {
    "type": "object",
    "properties": {
        "payment_id": {"type": "string", "format": "uuid", "readOnly": True},
        "amount": {"type": "integer"},
        "note": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    },
}
WRAPPED = {"type": "object", "properties": {"payment": {"$ref": "#/components/schemas/P"}}}
LISTED = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/P"}}},
}


def _json(schema: dict[str, Any], example: Any = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"description": "ok", "content": {"application/json": media}}


DESCRIPTION: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Wrapped payments", "version": "1"},
    "servers": [{"url": "https://api.pay.example/v1"}],
    "components": {"schemas": {"P": PAYMENT}},
    "paths": {
        "/payments": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": PAYMENT}}},
                "responses": {"201": _json(WRAPPED, {"payment": {"amount": 1, "note": "example"}})},
            },
            "get": {
                "parameters": [
                    {"name": "sort", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer"}},
                ],
                "responses": {"200": _json(LISTED)},
            },
        },
        "/payments/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {}}],
            "get": {"responses": {"200": _json(WRAPPED)}},
        },
        "/notes": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"201": {"description": "created, nothing declared"}},
            }
        },
    },
}


@pytest.fixture
def base() -> Iterator[str]:
    """The description above served on loopback; its base URL."""
    api = api_from_description(DESCRIPTION)
    with Emulator(api=api) as emulator:
        yield emulator.url + api.prefix


def test_a_created_resource_is_answered_inside_its_wrapper_and_read_back(base: str) -> None:
    """{"payment": {...}}: the data sent, an id in the field the schema names, a timestamp;
    the read answers the same resource, not the example."""
    made = requests.post(f"{base}/payments", json={"amount": 250, "note": "rent"}, timeout=5)
    assert made.status_code == 201
    payment = made.json()["payment"]
    assert set(made.json()) == {"payment"}
    assert (payment["amount"], payment["note"]) == (250, "rent")
    assert len(payment["payment_id"]) == 36  # format uuid
    assert payment["created_at"].endswith("Z")
    read = requests.get(f"{base}/payments/{payment['payment_id']}", timeout=5)
    assert read.json() == {"payment": payment}


def test_a_list_sits_in_the_data_array_sorted_and_paged(base: str) -> None:
    """sort=-amount, limit and offset apply to the stored resources in `data`."""
    for amount in (5, 30, 10):
        requests.post(f"{base}/payments", json={"amount": amount}, timeout=5)
    listed = requests.get(f"{base}/payments", params={"sort": "-amount"}, timeout=5).json()
    assert [p["amount"] for p in listed["data"]] == [30, 10, 5]
    paged = requests.get(
        f"{base}/payments", params={"sort": "amount", "limit": 1, "offset": 1}, timeout=5
    ).json()
    assert [p["amount"] for p in paged["data"]] == [10]


def test_without_a_response_schema_the_stored_resource_is_answered_with_its_id(
    base: str,
) -> None:
    """An empty response declaration still answers what was created, and its id."""
    made = requests.post(f"{base}/notes", json={"text": "hello"}, timeout=5)
    assert made.status_code == 201
    assert made.json()["text"] == "hello"
    assert len(made.json()["id"]) == 36  # a UUID: meets most string constraints
