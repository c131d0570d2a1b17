"""The clock protocol: the machine's clock by default, and the tests' fake one."""

from __future__ import annotations

import time

from connector import Clock
from connector._clock import SYSTEM_CLOCK
from tests._clock import EPOCH, START, FakeClock


def test_the_system_clock_reads_the_machine() -> None:
    """`SYSTEM_CLOCK` is the machine's epoch time and a monotonic clock that never goes back."""
    clock: Clock = SYSTEM_CLOCK
    assert abs(clock.time() - time.time()) < 5
    first = clock.monotonic()
    clock.sleep(0)
    assert clock.monotonic() >= first


def test_the_fake_clock_moves_only_when_asked(clock: FakeClock) -> None:
    """Sleeping moves monotonic and epoch time together and records the wait; reading does not."""
    assert (clock.monotonic(), clock.time()) == (START, EPOCH)
    clock.sleep(2.5)
    clock.sleep(-1)
    assert (clock.monotonic(), clock.time(), clock.slept) == (START + 2.5, EPOCH + 2.5, [2.5, -1])


def test_a_ticking_fake_clock_moves_at_each_read() -> None:
    """`tick` stands for work that takes time: each monotonic read is a tick later."""
    clock = FakeClock(tick=1.0)
    assert [clock.monotonic() for _ in range(3)] == [START + 1, START + 2, START + 3]
