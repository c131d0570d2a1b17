"""The tests' one fake clock: time that only the test and `sleep` move, so nothing waits.

It is a `connector.Clock`: `monotonic()` reads `now`, `time()` is the same instant in epoch
seconds (`EPOCH` at the start), and `sleep` moves both forward and records the wait.
"""

from __future__ import annotations

import threading

START = 1000.0
"""`now` (monotonic seconds) when a clock is made."""

EPOCH = 1_800_000_000.0
"""`time()` when a clock is made: 2027-01-15T08:00:00Z."""


class FakeClock:
    """Monotonic and epoch seconds that move together; safe to share between threads.

    `tick`: seconds each `monotonic()` read moves the clock (something that takes its time).
    """

    def __init__(self, *, tick: float = 0.0) -> None:
        self.now = START
        self.tick = tick
        self.slept: list[float] = []
        """Every wait asked of `sleep`, in order."""
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            self.now += self.tick
            return self.now

    def time(self) -> float:
        with self._lock:
            return EPOCH + self.now - START

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(seconds, 0.0)
