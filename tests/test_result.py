"""The structured response: what the engine and a person read."""

from __future__ import annotations

import json

from connector._result import Attempt, TaskResult


def test_durations_are_written_as_a_person_reads_them() -> None:
    """elapsedMs to a tenth of a millisecond and waits to the millisecond, not 14 digits."""
    result = TaskResult(
        status="COMPLETED",
        attempts=[Attempt(number=1, elapsed_ms=12.345678901234, wait_seconds=1.23456789)],
        elapsed_ms=1234.56789012345,
    )
    shown = result.to_json()
    assert shown["elapsedMs"] == 1234.6
    assert shown["attempts"][0]["elapsedMs"] == 12.3
    assert shown["attempts"][0]["waitSeconds"] == 1.235
    assert "1234.6," in json.dumps(shown)
    assert result.elapsed_ms == 1234.56789012345  # the model keeps the measurement
