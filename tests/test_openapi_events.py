"""Webhooks and callbacks read as events: name, payload schema, headers, signature headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connector.cli import main
from connector.openapi import import_description, load_description

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"no descriptions at {SHARED}")

SIGNED: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Signed", "version": "1"},
    "paths": {},
    "components": {
        "schemas": {"Paid": {"type": "object", "properties": {"id": {"type": "string"}}}}
    },
    "webhooks": {
        "payout-paid": {
            "post": {
                "summary": "A payout was paid",
                "parameters": [
                    {"name": "X-Signature", "in": "header", "schema": {"type": "string"}},
                    {"name": "X-Event-Id", "in": "header", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Paid"}}
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        },
        "broken": {
            "post": {
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "other.json#/X"}}}
                },
            }
        },
        "not-an-item": 3,
    },
}


@needs_shared
def test_every_rebilly_webhook_is_an_event_with_a_payload_schema() -> None:
    """Rebilly's 149 webhooks: each a POST event named by its key, with a JSON payload."""
    result = import_description(load_description(SHARED / "rebilly-openapi.json"), check=False)
    assert len(result.events) == 149
    assert all(e.kind == "webhook" and e.method == "POST" for e in result.events)
    assert all(e.content_type == "application/json" and e.payload for e in result.events)
    assert len({e.name for e in result.events}) == 149


@needs_shared
def test_a_callback_is_named_by_its_operation_and_keeps_its_url_expression() -> None:
    """The 3.0 callback example: `post-streams.onData`, sent to the client's URL + `/data`."""
    result = import_description(load_description(SHARED / "corpus/oai-v3.0-callback-example.yaml"))
    [event] = result.events
    assert (event.name, event.kind, event.method) == ("post-streams.onData", "callback", "POST")
    assert event.url == "{$request.query.callbackUrl}/data"
    assert set((event.payload or {})["properties"]) == {"timestamp", "userData"}


def test_declared_headers_are_kept_and_signature_headers_named() -> None:
    """Header parameters are the event's headers; the signature header is marked."""
    result = import_description(SIGNED)
    [event] = [e for e in result.events if e.name == "payout-paid"]
    assert set(event.headers) == {"X-Signature", "X-Event-Id"}
    assert event.signature_headers == ["X-Signature"]
    assert event.payload == {"type": "object", "properties": {"id": {"type": "string"}}}


def test_an_event_that_cannot_be_read_is_a_warning_with_its_pointer() -> None:
    """A remote `$ref` in a payload is refused as in operations; the others carry on."""
    result = import_description(SIGNED)
    assert [e.name for e in result.events] == ["payout-paid"]
    [warning] = result.warnings
    assert "event 'broken'" in warning and "(at #/webhooks/broken/post/requestBody" in warning


def test_catalog_import_json_lists_the_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`catalog import --json` reports each event with its payload and signature headers."""
    spec = tmp_path / "signed.json"
    spec.write_text(json.dumps(SIGNED))
    assert main(["catalog", "import", str(spec), "--json"]) == 0
    [event] = json.loads(capsys.readouterr().out)["events"]
    assert event["name"] == "payout-paid" and event["signatureHeaders"] == ["X-Signature"]
    assert event["payload"]["properties"] == {"id": {"type": "string"}}
