"""Example generation at import has a budget: a schema asking for a gigabyte, a billion
items, a pattern of a billion characters or a maze of branches gets a minimal value and a
warning, in bounded time and memory; `catalog import` of such a description says so."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connector.openapi import example_for
from connector.openapi._budget import ExampleBudget, OverBudgetError, collecting


def _maze_defs(depth: int, prefix: str) -> dict[str, Any]:
    """`anyOf` branches nested `depth` deep, each level naming the one below twice (small on
    disk, exponential to walk), ending in a string no value satisfies."""
    schemas: dict[str, Any] = {"m0": {"type": "string", "minLength": 2, "maxLength": 1}}
    for level in range(1, depth + 1):
        below = {"$ref": f"{prefix}m{level - 1}"}
        schemas[f"m{level}"] = {
            "anyOf": [below, {"type": "object", "required": ["a"], "properties": {"a": below}}]
        }
    return schemas


HOSTILE = {
    "minLength": {"type": "string", "minLength": 1_000_000_000},
    "minLength-float": {"type": "string", "minLength": 1e9},
    "minItems": {"type": "array", "minItems": 1_000_000_000},
    "minProperties": {"type": "object", "minProperties": 1_000_000_000},
    "counted-pattern": {"type": "string", "pattern": "^a{1000000000}$"},
    "nested-counted-pattern": {"type": "string", "pattern": "^((a{1000}){1000}){1000}$"},
    "deep-anyOf": {"$ref": "#/$defs/m20", "$defs": _maze_defs(20, "#/$defs/")},
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_schema_gets_a_minimal_example_and_a_note(name: str) -> None:
    """Each hostile schema: a small value, and a note saying the example was cut short."""
    with collecting() as notes:
        value = example_for(HOSTILE[name])
    assert len(json.dumps(value)) < 100_000
    assert notes and "no example generated" in notes[0]


def test_an_ordinary_schema_makes_no_note() -> None:
    """A schema within the budget is generated as before, with no note."""
    with collecting() as notes:
        value = example_for({"type": "string", "minLength": 3, "pattern": "^[a-z]+$"})
    assert value == "aaa" or (len(value) >= 3 and value.isalpha())
    assert notes == []


def test_the_time_budget_reads_the_injected_clock() -> None:
    """Past its deadline a walk stops at the next check, whatever is left of the steps."""
    now = [0.0]
    budget = ExampleBudget(clock=lambda: now[0])
    now[0] = 10.0
    with pytest.raises(OverBudgetError, match="s to walk"):
        for _ in range(64):
            budget.step()


def _description() -> dict[str, Any]:
    hostile = {**HOSTILE, "deep-anyOf": {"$ref": "#/components/schemas/m20"}}
    paths = {
        f"/{name}": {
            "post": {
                "operationId": name.replace("-", "_"),
                "requestBody": {"content": {"application/json": {"schema": schema}}},
                "responses": {"200": {"description": "ok"}},
            }
        }
        for name, schema in hostile.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Big", "version": "1"},
        "paths": paths,
        "components": {"schemas": _maze_defs(20, "#/components/schemas/")},
    }


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_catalog_import_of_hostile_schemas_is_bounded(tmp_path: Path) -> None:
    """`catalog import` of every hostile schema at once, under 1 GiB of address space and a
    60 s timeout: each operation imported with a warning (the maze skipped, saying why), and
    templates small (one was 1 GB)."""
    spec = tmp_path / "big.json"
    spec.write_text(json.dumps(_description()))
    catalog = tmp_path / "catalog"
    done = subprocess.run(
        [sys.executable, "-m", "connector", "catalog", "import", str(spec), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "CONNECTOR_CATALOG": str(catalog)},
        preexec_fn=_limit_memory,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout)["imported"]
    [skipped] = json.loads(done.stdout)["skipped"]  # the maze: too many branches to check
    assert skipped["path"] == "/deep-anyOf"
    assert "expands to more than" in skipped["reason"]
    assert len(imported) == len(HOSTILE) - 1
    cut = ("no example generated", "is not checked")  # a pattern too big is not even kept
    assert all(any(c in w for c in cut for w in i["warnings"]) for i in imported)
    assert max(path.stat().st_size for path in catalog.rglob("*.json")) < 1_000_000
