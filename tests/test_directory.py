"""A seeded few of the directory's real descriptions through a user's first hour
(`benchmarks/directory.py`, the whole development half's figure is in the README): import,
list, describe, dry run, test requests, create then read, export and import back, a batch,
search. Each API runs in its own process with a timeout and a memory cap, as in the benchmark.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from directory import ARCHIVE, members, run_one, tabulate  # noqa: E402

if not ARCHIVE.is_file():
    pytest.skip(f"no directory archive at {ARCHIVE}", allow_module_level=True)

SAMPLE = 3
SEED = 20
MAX_BYTES = 40_000
"""Small descriptions, so that the sample runs in CI's time."""


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict[str, object]]:
    """The seeded sample's outcomes, each API in its own process."""
    names = members(ARCHIVE, SAMPLE, SEED, max_bytes=MAX_BYTES)
    assert len(names) == SAMPLE
    return {name: run_one(ARCHIVE, name, timeout=120, memory_mb=2048) for name in names}


def test_no_api_crashes_hangs_or_runs_out_of_memory(outcomes: dict[str, dict[str, object]]) -> None:
    """Every API's process finished and sent its steps back."""
    assert {name: o.get("crash") for name, o in outcomes.items() if "crash" in o} == {}


def test_every_step_succeeds_or_refuses_as_documented(
    outcomes: dict[str, dict[str, object]],
) -> None:
    """Each step of each API did what it says (or is a documented refusal): no failure."""
    table = tabulate(outcomes)
    failures = {step: dict(row["causes"]) for step, row in table.items() if row["causes"]}
    assert failures == {}
    assert table["import"]["apis"].get("ok") == SAMPLE
