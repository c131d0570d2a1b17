"""The reference page of an operation, held against the catalogue document it renders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

from connector import load_task
from connector._reference import Reference, reference, to_markdown
from connector.cli import main

SEED = ROOT.parent / "shared" / "seed" / "put-payout-requests-id.txt"
FIELD_LINE = re.compile(r"^(\S+) (String|Number|Integer|Boolean|Object|Array) (Yes|No)$")
VALUE_LINE = re.compile(r'^\s+•\s+"(.*)"$')


def _seed_fields() -> dict[str, tuple[str, bool, list[str]]]:
    """Each body field of the seed document: its type, required flag and valid values."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    start = lines.index("Request body fields")
    fields: dict[str, tuple[str, bool, list[str]]] = {}
    current = None
    for line in lines[start:]:
        if match := FIELD_LINE.match(line):
            current = match.group(1)
            fields[current] = (match.group(2), match.group(3) == "Yes", [])
        elif (match := VALUE_LINE.match(line)) and current is not None:
            fields[current][2].append(match.group(1))
    return fields


@pytest.fixture(scope="module")
def upsert() -> Reference:
    """The reference of the shipped upsert task."""
    return reference(load_task("upsert-payout-request"))


pytestmark = pytest.mark.skipif(not SEED.is_file(), reason="the seed document is not beside")


def test_the_seed_document_is_read_whole() -> None:
    """The parser of the seed finds its fields and enums (so the comparison below means it)."""
    fields = _seed_fields()
    assert len(fields) >= 30
    assert len(fields["allocations[].method"][2]) > 190
    assert fields["currency"] == ("String", True, [])


def test_every_seed_field_is_documented_with_its_type_required_flag_and_values(
    upsert: Reference,
) -> None:
    """Every field, type, required flag and enum value of the seed is on the page."""
    documented = {f.name: f for f in upsert.body_fields}
    missing = []
    for name, (kind, required, values) in _seed_fields().items():
        field = documented.get(name)
        if field is None:
            missing.append(name)
            continue
        assert kind in field.type.split(" or "), name
        assert field.required is required, name
        assert set(values) <= {str(v) for v in field.valid_values}, name
    assert missing == []


def test_the_markdown_page_has_a_row_per_field(upsert: Reference) -> None:
    """The Markdown rendering holds each flattened field as a table row, values included."""
    page = to_markdown(upsert)
    assert page.startswith("# PUT /payout-requests/{id}\n")
    body = page.split("## Request body fields", 1)[1].splitlines()
    for name, (kind, required, values) in _seed_fields().items():
        row = next(line for line in body if line.startswith(f"| `{name}` |"))
        assert f" {kind}" in row
        assert f"| {'Yes' if required else 'No'} |" in row
        assert all(f"`{json.dumps(v)}`" in row for v in values), name
    assert "| `Content-Type` | String | Yes |" in page
    assert 'Default value: `"customer"`' in page
    assert "## How to start" in page


def test_describe_prints_the_markdown_page(capsys: pytest.CaptureFixture[str]) -> None:
    """`connector describe TASK --format markdown` prints the same page."""
    assert main(["describe", "upsert-payout-request", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out == to_markdown(reference(load_task("upsert-payout-request")))


def test_recursive_schemas_stop_at_a_bounded_depth(tmp_path: Path) -> None:
    """A self-referencing body schema is listed to a bounded depth, not forever."""
    from connector._reference import MAX_DEPTH, body_fields

    node: dict[str, object] = {"type": "object", "properties": {}}
    node["properties"] = {"child": node}  # a cycle, as a resolved recursive schema is
    names = [f.name for f in body_fields(node)]
    assert len(names) == MAX_DEPTH + 1
    assert names[-1].count("child") == MAX_DEPTH + 1
