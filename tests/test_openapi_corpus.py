"""The importer over Rebilly's description and the corpus of public descriptions.

Each description is imported once per session. Every operation is either imported or skipped
with a reason naming a JSON pointer; at least 99 % are imported; every imported template loads
as a task; and for at least 98 % of them, the dry run of `examples[0]` is a request that
openapi-core's parameter and body validators accept against the description.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from connector._task import Task
from connector._template import parse_template
from connector.openapi import ImportResult, import_description, load_description
from connector.openapi._operations import METHODS
from tests._openapi_check import Checker

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "openapi"
FILES = sorted([*SHARED.glob("rebilly-openapi.json"), *SHARED.glob("corpus/*")])

pytestmark = pytest.mark.skipif(not FILES, reason=f"no descriptions at {SHARED}")


@cache
def imported(path: Path) -> tuple[dict[str, Any], ImportResult]:
    """The description and its import (once per session)."""
    document = load_description(path)
    return document, import_description(document, source=path.name, check=False)


@cache
def dry_runs(path: Path) -> dict[str, str | None]:
    """Per imported task: None when the dry run of examples[0] is valid, else the problem."""
    document, result = imported(path)
    checker = Checker(document)
    problems: dict[str, str | None] = {}
    for item in result.imported:
        task = Task(parse_template(item.template, source=item.name), source=item.name)
        problems[item.name] = checker.dry_run_problem(task, [])
    return problems


def _operation_count(document: dict[str, Any]) -> int:
    paths = document.get("paths") or {}
    return sum(1 for item in paths.values() for method in METHODS if method in (item or {}))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_operation_is_imported_or_skipped_with_a_reason(path: Path) -> None:
    """No crash; each operation is in exactly one list; skips name a JSON pointer; >= 99 %."""
    document, result = imported(path)
    total = _operation_count(document)
    assert len(result.imported) + len(result.skipped) == total
    names = [i.name for i in result.imported]
    assert len(set(names)) == len(names)
    for skipped in result.skipped:
        assert "(at #/" in skipped.reason, skipped.reason
    assert len(result.imported) >= 0.99 * total


def test_the_dry_runs_of_the_first_examples_are_valid_requests() -> None:
    """openapi-core accepts the parameters and body of >= 98 % of all dry runs."""
    figures, invalid, total = [], [], 0
    for path in FILES:
        problems = dry_runs(path)
        bad = {name: p for name, p in problems.items() if p is not None}
        figures.append(f"{path.name}: {len(problems) - len(bad)}/{len(problems)}")
        invalid.extend(f"{path.name} {name}: {p}" for name, p in sorted(bad.items())[:3])
        total += len(problems)
    failed = sum(
        int(f.split(": ")[1].split("/")[1]) - int(f.split(": ")[1].split("/")[0]) for f in figures
    )
    print(f"dry runs valid: {total - failed}/{total}", *figures, sep="\n")
    assert failed <= 0.02 * total, "\n".join([*figures, *invalid])
