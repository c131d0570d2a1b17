"""How the Conductor worker spreads task types over its processes."""

from __future__ import annotations

import pytest

pytest.importorskip("conductor.client")

from connector.engines.conductor._pool import deal


@pytest.mark.parametrize(
    ("count", "processes", "sizes"),
    [
        pytest.param(31, 1, [31], id="one-process"),
        pytest.param(31, 4, [8, 8, 8, 7], id="four"),
        pytest.param(2, 4, [1, 1], id="more-processes-than-tasks"),
        pytest.param(3, 0, [3], id="at-least-one"),
    ],
)
def test_task_types_are_dealt_round_robin_into_at_most_n_groups(
    count: int, processes: int, sizes: list[int]
) -> None:
    """Every task type in exactly one group; never an empty group; never more than asked."""
    groups = deal(list(range(count)), processes)
    assert [len(group) for group in groups] == sizes
    assert sorted(n for group in groups for n in group) == list(range(count))
