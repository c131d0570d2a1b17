"""Body validation before sending, and the body schema against the user's document."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import ROOT

from connector import InputError, Task, load_task, task_names
from connector._schema import undefined_placeholders
from connector._template import parse_template

SEED_FILE = ROOT.parent / "shared" / "seed" / "put-payout-requests-id.txt"
if not SEED_FILE.is_file():
    pytest.skip("the seed document is not beside the repository", allow_module_level=True)
SEED = SEED_FILE.read_text(encoding="utf-8")
SEED_TYPES = {
    "String": "string",
    "Number": "number",
    "Boolean": "boolean",
    "Object": "object",
    "Array": "array",
}


def _seed_fields() -> dict[str, dict[str, Any]]:
    """Every body field of the catalogue document: type, required, enum values."""
    section = SEED.split("Request body fields")[1].split("How to start integrating")[0]
    fields: dict[str, dict[str, Any]] = {}
    current = ""
    for line in section.splitlines():
        field = re.match(r"^([\w\[\]\.]+) (String|Number|Boolean|Object|Array) (Yes|No)$", line)
        if field:
            current = field.group(1)
            fields[current] = {
                "type": field.group(2),
                "required": field.group(3) == "Yes",
                "enum": [],
            }
        elif value := re.match(r'^\s*•\s*"(.*)"$', line):
            fields[current]["enum"].append(value.group(1))
    return fields


SEED_FIELDS = _seed_fields()


def _schema_of(task: Task, dotted: str) -> dict[str, Any]:
    node: dict[str, Any] = task.template.body_schema or {}
    for part in dotted.replace("[]", "").split("."):
        node = node["properties"][part]
        if part + "[]" in dotted:
            node = node["items"] if "." in dotted.split(part + "[]", 1)[1] else node
    return node


def _types(schema: dict[str, Any]) -> set[str]:
    if "anyOf" in schema:
        return set().union(*(_types(branch) for branch in schema["anyOf"]))
    kind = schema["type"]
    return {kind} if isinstance(kind, str) else set(kind)


def test_the_seed_has_the_fields_we_expect_to_check() -> None:
    """The parser of the document finds all 32 fields (so the contract tests are not empty)."""
    assert len(SEED_FIELDS) == 32
    assert len(SEED_FIELDS["allocations[].method"]["enum"]) == 197


@pytest.mark.parametrize("field", sorted(SEED_FIELDS))
def test_every_seed_field_is_in_the_body_schema_with_its_type(task: Task, field: str) -> None:
    """Each field of the user's document exists in the body schema and accepts its type."""
    assert SEED_TYPES[SEED_FIELDS[field]["type"]] in _types(_schema_of(task, field))


@pytest.mark.parametrize("field", sorted(f for f, v in SEED_FIELDS.items() if v["enum"]))
def test_every_seed_enum_is_exact(task: Task, field: str) -> None:
    """Enum lists are the document's, value for value, in its order."""
    values = [v for v in _schema_of(task, field)["enum"] if v is not None]
    assert values == SEED_FIELDS[field]["enum"]


def test_the_required_fields_are_the_seeds(task: Task) -> None:
    """currency, websiteId, customerId and amount are required, nothing else."""
    required = sorted(f for f, v in SEED_FIELDS.items() if v["required"])
    assert sorted((task.template.body_schema or {})["required"]) == required


def test_every_seed_body_field_is_mapped_from_the_input_of_the_same_name(task: Task) -> None:
    """The body maps each top-level field from the task input parameter of the same name."""
    body = task.template.http_request.body
    assert isinstance(body, dict)
    top = {f.removesuffix("[]") for f in SEED_FIELDS if "." not in f} - {"id"}
    assert {key: body[key] for key in top} == {key: f"<<{key}>>" for key in top}


def _invalid(task: Task, minimal: dict[str, Any], **changes: Any) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        task.prepare({**minimal, **changes}, environ={})
    return [(e.field, e.message) for e in caught.value.field_errors]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        pytest.param({"amount": "10"}, "amount", "must be a number, not a string", id="amount-str"),
        pytest.param(
            {"amount": True}, "amount", "must be a number, not a boolean", id="amount-bool"
        ),
        pytest.param({"amount": float("nan")}, "amount", "not a JSON number", id="nan"),
        pytest.param({"amount": float("inf")}, "amount", "not a JSON number", id="infinity"),
        pytest.param({"currency": "usd"}, "currency", "ISO 4217", id="currency-lower"),
        pytest.param({"currency": "USDT"}, "currency", "ISO 4217", id="currency-4"),
        pytest.param({"websiteId": "w" * 51}, "websiteId", "longer than 50", id="long-id"),
        pytest.param({"blocked": "yes"}, "blocked", "must be a boolean", id="blocked"),
        pytest.param({"status": "pendng"}, "status", "did you mean 'pending'", id="status-typo"),
        pytest.param(
            {"allocations": [{"method": "Paypal"}]},
            "allocations.0.method",
            "did you mean 'paypal'",
            id="method-case",
        ),
        pytest.param(
            {"allocations": [{"gatewayName": "Strype"}]},
            "allocations.0.gatewayName",
            "did you mean 'Stripe'",
            id="gateway-typo",
        ),
        pytest.param(
            {"allocations": [{"transactionResult": "ok"}]},
            "allocations.0.transactionResult",
            "not an allowed value",
            id="result",
        ),
        pytest.param(
            {"allocations": [{"amount": 1, "extra": 2}]},
            "allocations.0.extra",
            "unknown field",
            id="unknown-nested",
        ),
        pytest.param(
            {"_links": [{"rel": "parent"}]},
            "_links.0.rel",
            "paymentInstrument, self",
            id="link-rel",
        ),
        pytest.param(
            {"cancellationReason": {"canceledBy": "bank"}},
            "cancellationReason.canceledBy",
            "merchant, customer",
            id="canceled-by",
        ),
        pytest.param(
            {"cancellationReason": {"description": "d" * 256}},
            "cancellationReason.description",
            "longer than 255",
            id="reason-long",
        ),
        pytest.param(
            {"selectedPaymentInstrumentRedirectUrl": "example.com/x"},
            "selectedPaymentInstrumentRedirectUrl",
            "not a valid uri",
            id="uri",
        ),
        pytest.param(
            {"createdTime": "yesterday"}, "createdTime", "not a valid date-time", id="date-time"
        ),
        pytest.param({"blockReason": "because"}, "blockReason", "reason codes", id="block-reason"),
        pytest.param(
            {"description": {"text": "x"}},
            "description",
            "must be null or a string",
            id="description-object",
        ),
    ],
)
def test_invalid_values_are_reported_at_their_field(
    task: Task, minimal: dict[str, Any], changes: dict[str, Any], field: str, fragment: str
) -> None:
    """Each invalid body value is an error at its dot-notation path, with an actionable message."""
    errors = dict(_invalid(task, minimal, **changes))
    assert fragment in errors[field]


def test_a_missing_required_field_is_named(task: Task, minimal: dict[str, Any]) -> None:
    """Leaving out a required field reports that field as required."""
    del minimal["amount"], minimal["currency"]
    with pytest.raises(InputError) as caught:
        task.prepare(minimal, environ={})
    assert [(e.field, e.message) for e in caught.value.field_errors] == [
        ("amount", "is required"),
        ("currency", "is required"),
    ]


def test_all_body_errors_come_at_once(task: Task, minimal: dict[str, Any]) -> None:
    """Several problems in one body are all listed, sorted by field."""
    fields = [f for f, _ in _invalid(task, minimal, amount="x", currency="x", blocked=1)]
    assert fields == ["amount", "blocked", "currency"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("fraud-suspected", id="published-string"),
        pytest.param(None, id="null"),
        pytest.param({"reason": "manual"}, id="seed-object"),
    ],
)
def test_block_reason_accepts_the_seed_object_and_the_published_string(
    task: Task, minimal: dict[str, Any], value: Any
) -> None:
    """The document says Object, the published API a reason string or null: both pass."""
    request = task.prepare({**minimal, "blockReason": value}, environ={})
    assert request.body["blockReason"] == value
    object_warning = any(w.startswith("blockReason:") for w in request.warnings)
    assert object_warning is isinstance(value, dict)


def test_read_only_fields_are_accepted_with_a_warning(task: Task, minimal: dict[str, Any]) -> None:
    """Server-managed fields are sent as the document lists them, each with one warning."""
    request = task.prepare(
        {**minimal, "status": "pending", "allocations": [{"method": "paypal", "amount": 1}]},
        environ={},
    )
    read_only = sorted(w.split(":")[0] for w in request.warnings if "read-only" in w)
    assert read_only == ["allocations", "status"]


def test_a_valid_example_has_no_field_warnings(task: Task, example: dict[str, Any]) -> None:
    """The README example carries no read-only or deprecated fields (no noise)."""
    warnings = task.prepare(example, environ={"REBILLY_API_KEY": "sk_sandbox_x1234"}).warnings
    assert warnings == ()


def test_rebilly_placeholder_in_a_uri_field_is_valid(task: Task, minimal: dict[str, Any]) -> None:
    """`{{id}}` inside selectedPaymentInstrumentRedirectUrl is Rebilly's and passes as-is."""
    url = "https://shop.example.test/payouts/{{id}}/done"
    request = task.prepare({**minimal, "selectedPaymentInstrumentRedirectUrl": url}, environ={})
    assert request.body["selectedPaymentInstrumentRedirectUrl"] == url


def test_every_seed_method_and_gateway_is_accepted(task: Task, minimal: dict[str, Any]) -> None:
    """No enum value of the document is refused (one allocation per value)."""
    methods = SEED_FIELDS["allocations[].method"]["enum"]
    gateways = SEED_FIELDS["allocations[].gatewayName"]["enum"]
    allocations = [{"method": m} for m in methods] + [{"gatewayName": g} for g in gateways]
    request = task.prepare({**minimal, "allocations": allocations}, environ={})
    assert len(request.body["allocations"]) == len(methods) + len(gateways)


@pytest.mark.parametrize("name", task_names())
def test_every_shipped_placeholder_is_defined(name: str) -> None:
    """No shipped template holds a placeholder that no parameter or body field defines."""
    assert undefined_placeholders(load_task(name).template) == []


def test_an_undefined_placeholder_is_named_with_its_place() -> None:
    """A typo in the URL and a header naming no input are each reported where they stand."""
    data = json.loads((ROOT / "task_templates" / "get-payout-request.json").read_text())
    data["httpRequest"]["url"] = "/payout-requests/<<idd>>"
    data["httpRequest"]["headers"]["X-Trace"] = "trace <<trace>>"
    data["httpRequest"]["body"] = {"note": "for <<id>> and <<whom>>", "id": "<<id>>"}
    errors = undefined_placeholders(parse_template(data, source="test"))
    assert [(e.field, e.message.split(":")[0]) for e in errors] == [
        ("httpRequest.url", "<<idd>>"),
        ("httpRequest.headers.X-Trace", "<<trace>>"),
        ("body.note", "<<whom>>"),
    ]
