"""An attempt in flight that has not answered yet: the event, and the ticker that raises it.

While one attempt is on the wire the executor blocks in the socket read, so something else
has to notice the silence: a ticker calls back every `every` seconds on its own thread for as
long as the attempt lasts, and the executor turns each tick into a `Stall` for its listener
(`Executor(on_stall=...)`). The ticker is injected like the clock, so tests drive the ticks
themselves; nothing runs when no one listens. A `Stall` holds numbers only: no URL, header
or body, so whatever shows it cannot show a secret.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

Ticker = Callable[[float, Callable[[], None]], AbstractContextManager[None]]
"""`with ticker(every, tick): ...` calls `tick()` every `every` seconds while the block runs."""

STALL_EVERY = 1.0
"""Seconds between two ticks of an attempt that has not answered."""


@dataclass(frozen=True, slots=True)
class Stall:
    """Attempt `attempt` has waited `waited` seconds without its answer so far."""

    attempt: int
    waited: float
    read_timeout: float
    """The attempt's read timeout (seconds of silence before it ends as a timeout)."""
    deadline_in: float
    """Seconds left before the task's deadline ends the attempt whatever arrives."""


@contextmanager
def ticking(every: float, tick: Callable[[], None]) -> Iterator[None]:
    """The real ticker: `tick` on a daemon thread every `every` seconds; stopped (and its last
    tick finished) before the block's caller goes on, so no tick comes after the answer."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            tick()

    thread = threading.Thread(target=loop, name="connector-stall-ticker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
