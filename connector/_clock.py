"""Time as one injectable object: what measures, what reads the date, and what waits.

Every part that measures, waits or stamps takes a `Clock` (`Executor`, `BatchRunner`,
`Pacer`, `TokenCache`, `PlainProgress`, `Emulator`, Temporal's `follow`, which awaits its
waits instead), defaulting to `SYSTEM_CLOCK`. A test gives them one fake clock whose `sleep`
moves time forward, so nothing waits for real and every wait is seen.
"""

from __future__ import annotations

import time
from typing import Final, Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock"]


class Clock(Protocol):
    """Monotonic seconds, epoch seconds and a wait."""

    def monotonic(self) -> float:
        """Seconds that never go back: durations and deadlines."""
        ...

    def time(self) -> float:
        """Seconds since the epoch: dates in headers, and stamps on resources."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
        ...


class SystemClock:
    """The machine's clocks and `time.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def __repr__(self) -> str:
        return "SYSTEM_CLOCK"


SYSTEM_CLOCK: Final = SystemClock()
"""The default of every `clock=` parameter."""
