"""A seeded property-based run over every CLI input path with files generated to be hostile
(descriptions, templates, engine files, workflow files, batch inputs as JSON Lines, JSON and
CSV, journal records): every example ends in exit 0, 1 or 2 with nothing raised, within the
stated limits. A longer run (`CONNECTOR_HOSTILE_EXAMPLES`, random seeds): `python
benchmarks/hostile.py`."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector._errors import UsageError
from connector.batch import read_inputs
from connector.batch._results import parse_record
from tests._hostile import (
    ROOT,
    descriptions,
    input_files,
    json_values,
    outcome,
    templates,
)

SEEDED = settings(
    max_examples=int(os.environ.get("CONNECTOR_HOSTILE_EXAMPLES", "12")),
    derandomize="CONNECTOR_HOSTILE_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
PEAK_BYTES = 1 << 30
"""The test process's peak resident memory after every hostile example (1 GiB)."""

ENGINE_FILES = sorted((ROOT / "tests" / "data" / "engines").rglob("*.json"))
SCHEMA = {"properties": {"amount": {"type": "number"}, "websiteId": {"type": "string"}}}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


@SEEDED
@given(text=descriptions())
def test_catalog_import_of_a_hostile_description(tmp_path: Path, text: str) -> None:
    """`catalog import` of a generated description: one outcome, nothing raised."""
    outcome(["catalog", "import", str(_write(tmp_path, "spec.yaml", text))])


@SEEDED
@given(text=templates())
def test_validate_and_render_of_a_hostile_template(tmp_path: Path, text: str) -> None:
    """`validate` and `render` of a generated template: one outcome each."""
    path = _write(tmp_path, "task.json", text)
    outcome(["validate", str(path)])
    inputs = _write(tmp_path, "in.json", json.dumps({"organizationId": "o", "amount": 1}))
    outcome(["render", str(path), "--input", str(inputs)])


@SEEDED
@given(value=json_values, raw=st.text(max_size=40))
def test_render_of_a_hostile_input(tmp_path: Path, value: Any, raw: str) -> None:
    """`render` of generated input JSON (and of text that is not JSON): one outcome."""
    for text in (json.dumps(value), raw):
        path = _write(tmp_path, "in.json", text)
        outcome(["render", "create-payout-request", "--input", str(path)])


@SEEDED
@given(
    source=st.sampled_from(ENGINE_FILES),
    key=st.text(max_size=10),
    value=json_values,
)
def test_import_of_a_hostile_engine_file(
    tmp_path: Path, source: Path, key: str, value: Any
) -> None:
    """`import` of a shipped engine document with one field replaced: one outcome."""
    document = json.loads(source.read_text())
    target = document if isinstance(document, dict) else {}
    for part in ("workflowDef", "tasks"):
        inner = target.get(part)
        if isinstance(inner, dict):
            target = inner
    target[key or "uri"] = value
    engine = "conductor" if "conductor" in source.parts else "simworkflow"
    outcome(
        ["import", str(_write(tmp_path, "engine.json", json.dumps(document))), "--engine", engine]
    )


@SEEDED
@given(steps=json_values)
def test_workflow_run_of_a_hostile_workflow_file(tmp_path: Path, steps: Any) -> None:
    """`workflow run` of a generated workflow file fails at reading it: one outcome."""
    path = _write(tmp_path, "flow.json", json.dumps({"name": "w", "steps": steps}))
    inputs = _write(tmp_path, "in.json", "{}")
    outcome(
        ["workflow", "run", str(path), "--input", str(inputs), "--base-url", "http://127.0.0.1:1"]
    )


@SEEDED
@given(file=input_files())
def test_reading_hostile_batch_inputs(tmp_path: Path, file: tuple[str, str]) -> None:
    """A generated inputs file reads as items (each with inputs or its problem), or is one
    UsageError: what `connector run` does before sending anything."""
    suffix, text = file
    path = _write(tmp_path, f"inputs{suffix}", text)
    try:
        items = list(read_inputs(path, schema=SCHEMA))
    except UsageError as exc:
        assert str(exc)
        return
    assert all((item.inputs is None) != (not item.errors) for item in items)


@SEEDED
@given(record=st.one_of(st.text(max_size=60), json_values.map(json.dumps)))
def test_a_hostile_journal_record_is_a_usage_error(record: str) -> None:
    """A journal record edited by hand is read, or refused with one UsageError."""
    try:
        value = parse_record(record)
    except UsageError as exc:
        assert "journal" in str(exc)
    else:
        assert isinstance(value["line"], int)


def test_the_hostile_run_stayed_under_its_memory_bound() -> None:
    """The process that ran every hostile example above peaked under 1 GiB resident."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert peak < PEAK_BYTES


@pytest.mark.parametrize("style", ["json", "yaml"])
def test_a_description_nested_100000_deep_is_one_message(tmp_path: Path, style: str) -> None:
    """Deep nesting in either syntax is one message (exit 2), not a RecursionError."""
    body = "[" * 100_000 + "]" * 100_000
    text = (
        '{"openapi": "3.1.0", "x": ' + body + "}"
        if style == "json"
        else "openapi: 3.1.0\nx: " + body
    )
    assert outcome(["catalog", "import", str(_write(tmp_path, f"deep.{style}", text))]) == 2
