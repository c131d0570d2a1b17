"""Ctrl-C and SIGTERM during a batch: stop cleanly, however many times they come.

The first SIGINT or SIGTERM stops handing out work (requests on the wire finish and are
recorded); the second and any later one stops waiting for those too (they stay `sending` in
the journal and are resolved by the next run). Neither raises: the command always goes on
to write the results file for what completed, print the summary and the command that
resumes. Handlers are installed only in the main thread, and put back on exit; after an
interrupt they are put back as "ignore" (the command is finishing: a late Ctrl-C must not
cut the summary short).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

__all__ = ["Interrupts", "catching_interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stoppable(Protocol):
    """What a signal acts on (a `BatchRunner`)."""

    def stop(self) -> None: ...

    def abandon(self) -> None: ...


class Interrupts:
    """Counts the signals received and passes them on to the run once it is attached."""

    def __init__(self) -> None:
        self.count = 0
        self._run: Stoppable | None = None

    def attach(self, run: Stoppable) -> None:
        """Act on `run` from now on (and at once for signals that came before)."""
        self._run = run
        self._apply()

    def handle(self, _number: int, _frame: FrameType | None) -> None:
        """A signal handler."""
        self.count += 1
        if self.count == 1:
            sys.stderr.write(
                "\nstopping: waiting for the requests on the wire (Ctrl-C again: stop waiting)\n"
            )
        self._apply()

    def _apply(self) -> None:
        if self._run is None or not self.count:
            return
        if self.count == 1:
            self._run.stop()
        else:
            self._run.abandon()


@contextmanager
def catching_interrupts() -> Iterator[Interrupts]:
    """SIGINT and SIGTERM counted instead of raised, for the block's duration."""
    interrupts = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    previous = {number: signal.signal(number, interrupts.handle) for number in _SIGNALS}
    try:
        yield interrupts
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_IGN if interrupts.count else handler)
