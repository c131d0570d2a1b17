"""Golden tests of the importer on real descriptions: Rebilly's upsert, Stripe's nested form
fields, and discriminated oneOf bodies."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from connector._resources import templates_dir
from connector._task import Task
from connector._template import parse_template
from connector.openapi import import_description, load_description

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
REBILLY = SHARED / "rebilly-openapi.json"
STRIPE = SHARED / "corpus" / "stripe-spec3.json"


@cache
def _template(path: Path, operation_id: str) -> dict[str, Any]:
    if not path.is_file():
        pytest.skip(f"no description at {path}")
    api = "rebilly" if path == REBILLY else path.stem.split("-")[0]
    result = import_description(load_description(path), api=api, operations=[operation_id])
    (imported,) = result.imported
    return imported.template


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref[8:]], root)
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    kinds = schema.get("type")
    if kinds is None:
        branches = schema.get("oneOf") or schema.get("anyOf") or []
        return set().union(*(_types(b) for b in branches)) if branches else set()
    return {kinds} if isinstance(kinds, str) else set(kinds)


def _enum(schema: dict[str, Any]) -> set[Any]:
    branches = schema.get("oneOf") or schema.get("anyOf") or []
    return set(schema.get("enum", [])).union(*(_enum(b) for b in branches if isinstance(b, dict)))


def test_rebilly_put_payout_request_matches_the_shipped_upsert() -> None:
    """Same fields, types, enums and required fields as the shipped template, read-only aside."""
    imported = _template(REBILLY, "PutPayoutRequest")
    shipped = json.loads((templates_dir() / "upsert-payout-request.json").read_text())
    ours, theirs = imported["bodySchema"], shipped["bodySchema"]
    writable = {k: v for k, v in theirs["properties"].items() if not v.get("readOnly")}
    # The description (2026-08) has one field more than the seed's rendering (2026-02/03).
    assert set(ours["properties"]) - set(writable) == {"splitReason"}
    assert set(writable) <= set(ours["properties"])
    assert set(ours["required"]) == set(theirs["required"])
    for name, expected in writable.items():
        actual = _resolve(ours["properties"][name], ours)
        # the shipped blockReason keeps the seed's deprecated object form (accepted, warned)
        assert _types(actual) == _types(expected) - ({"object"} if name == "blockReason" else set())
        assert _enum(actual) == _enum(expected), name
    assert imported["httpRequest"]["url"] == "/payout-requests/<<id>>"
    assert imported["httpRequest"]["method"] == "PUT"
    assert imported["parameters"]["organizationId"]["required"] is True
    assert imported["successStatusCodes"] == [200, 201]


def test_rebilly_servers_keep_the_organization_as_a_required_input() -> None:
    """`'{organizationId}'` is a placeholder default: an input with its variable, not a value."""
    imported = _template(REBILLY, "PutPayoutRequest")
    assert imported["servers"]["sandbox"]["url"] == (
        "https://api-sandbox.rebilly.com/organizations/<<organizationId>>"
    )
    assert "variables" not in imported["servers"]["sandbox"]
    assert imported["servers"]["local"] == "http://127.0.0.1:8765/organizations/<<organizationId>>"
    assert imported["parameters"]["organizationId"]["env"] == "CONNECTOR_REBILLY_ORGANIZATION_ID"
    assert imported["auth"]["schemes"]["SecretApiKey"]["name"] == "REB-APIKEY"


def test_stripe_nested_form_fields_keep_their_structure_and_encoding() -> None:
    """A form body's nested objects are typed inputs, encoded as deepObject as Stripe says."""
    imported = _template(STRIPE, "PostCustomers")
    request = imported["httpRequest"]
    assert request["contentType"] == "application/x-www-form-urlencoded"
    assert request["encoding"]["address"] == {"explode": True, "style": "deepObject"}
    assert request["body"]["address"] == "<<address>>"
    validator = jsonschema_rs.validator_for(imported["bodySchema"])
    assert validator.is_valid({"address": {"line1": "1 Main St", "city": "Paris"}})
    assert validator.is_valid({"address": ""})
    assert not validator.is_valid({"address": {"line1": 1}})
    assert validator.is_valid(
        {"invoice_settings": {"custom_fields": [{"name": "a", "value": "b"}]}}
    )
    assert not validator.is_valid({"invoice_settings": {"custom_fields": [{"name": "a"}]}})
    task = Task(parse_template(imported, source="stripe"))
    inputs = {"address": {"line1": "1 Main St"}, "metadata": {"order": "42"}}
    prepared = task.prepare(inputs, environment="server1", environ={})
    assert prepared.body == inputs


@pytest.mark.parametrize(
    ("operation_id", "branches"),
    [
        pytest.param("PostAuthenticationToken", {"password", "passwordless"}, id="token-mode"),
        pytest.param("PostKycDocument", {"identity-proof", "address-proof"}, id="kyc-document"),
    ],
)
def test_a_discriminated_one_of_accepts_each_branch_by_its_value(
    operation_id: str, branches: set[str]
) -> None:
    """Each branch's discriminator value selects it; the example is valid; every branch's
    properties are inputs."""
    imported = _template(REBILLY, operation_id)
    schema = imported["bodySchema"]
    validator = jsonschema_rs.validator_for(schema)
    assert validator.is_valid(_body(imported))
    name = schema["discriminator"]["propertyName"]
    values = {
        _resolve(b, schema)["properties"][name].get("const")
        or next(iter(_resolve(b, schema)["properties"][name].get("enum", [])), None)
        for b in schema["oneOf"]
    }
    assert branches <= values
    assert name in imported["httpRequest"]["body"]


def _body(template: dict[str, Any]) -> dict[str, Any]:
    keys = set(template["httpRequest"]["body"])
    return {k: v for k, v in template["examples"][0].items() if k in keys}
