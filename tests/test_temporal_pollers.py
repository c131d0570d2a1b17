"""Whether a worker serves a batch's task queue: recent pollers only, and a bounded wait."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="the 'temporal' extra is not installed")

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.taskqueue.v1 import PollerInfo
from temporalio.api.workflowservice.v1 import DescribeTaskQueueResponse

from connector.temporal._pollers import STALE_SECONDS, has_worker, wait_for_worker
from tests._clock import EPOCH, START, FakeClock


class _Service:
    """The one call `has_worker` makes, answering pollers last seen `ages` seconds ago."""

    def __init__(self, ages: list[float], now: float) -> None:
        self.ages, self.now = ages, now
        self.asked: list[str] = []

    async def describe_task_queue(self, request: Any) -> DescribeTaskQueueResponse:
        self.asked.append(request.task_queue.name)
        pollers = [
            PollerInfo(last_access_time=Timestamp(seconds=int(self.now - age))) for age in self.ages
        ]
        return DescribeTaskQueueResponse(pollers=pollers)


class _Client:
    namespace = "default"

    def __init__(self, service: _Service) -> None:
        self.workflow_service = service


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        pytest.param([], False, id="no-poller"),
        pytest.param([5.0], True, id="recent"),
        pytest.param([60.0], True, id="idle-long-poll"),
        pytest.param([STALE_SECONDS + 30], False, id="gone"),
        pytest.param([STALE_SECONDS + 30, 2.0], True, id="one-of-two-gone"),
    ],
)
def test_only_a_recent_poller_is_a_worker(ages: list[float], expected: bool) -> None:
    """A poller the server still lists but that has not polled for longer than a long poll
    lasts belongs to a worker that is gone."""
    client: Any = _Client(_Service(ages, EPOCH))
    assert asyncio.run(has_worker(client, "q", now=lambda: EPOCH)) is expected


def test_the_wait_for_a_worker_is_bounded(clock: FakeClock) -> None:
    """No worker: False after the wait, asked about once a second (nothing waits for real)."""
    service = _Service([], EPOCH)
    client: Any = _Client(service)

    async def sleep(seconds: float) -> None:
        clock.sleep(seconds)

    found = asyncio.run(wait_for_worker(client, "q", 5, clock=clock, sleep=sleep))
    assert found is False
    assert clock.now - START == pytest.approx(5)
    assert 5 <= len(service.asked) <= 7
