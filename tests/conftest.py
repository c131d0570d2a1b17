"""Fixtures shared by the test modules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector import Task, load_task
from connector.emulator import Emulator
from tests._clock import FakeClock

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLE_INPUT = ROOT / "examples" / "upsert-payout-request.json"


@pytest.fixture(autouse=True)
def _own_catalog(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees an empty user catalogue of its own, never the real one."""
    monkeypatch.setenv("CONNECTOR_CATALOG", str(tmp_path_factory.mktemp("catalog")))


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock: `sleep` moves it and records the wait, nothing waits for real."""
    return FakeClock()


@pytest.fixture
def task() -> Task:
    """The shipped upsert-payout-request task."""
    return load_task("upsert-payout-request")


@pytest.fixture
def example() -> dict[str, Any]:
    """The README's example task input."""
    result: dict[str, Any] = json.loads(EXAMPLE_INPUT.read_text())
    return result


@pytest.fixture
def minimal() -> dict[str, Any]:
    """The smallest valid input: the path id, the organization and the four required fields."""
    return {
        "id": "po-1",
        "organizationId": "org-1",
        "websiteId": "web-1",
        "customerId": "cust-1",
        "currency": "USD",
        "amount": 10,
    }


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A local Rebilly emulator on a free loopback port (any non-empty key accepted)."""
    with Emulator(host="127.0.0.1", port=0) as emu:
        yield emu
