"""What `test-request` shows on stderr while it runs: each wait before a retry, and an
attempt the server has accepted but not answered yet (the stall line).

The stall line is shown where a person is looking and nowhere else: on a terminal it is one
line rewritten each second and erased when the answer comes (the report then reads as
without it); with `-v` (or `--log-level info`/`debug`) it is a plain line at the first second
and every fifth, as a log would have it; otherwise (a pipe, a file, `--json`) nothing. It
holds the attempt number and seconds only: no URL, header or body, so never a secret.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from connector._stall import Stall, Ticker, ticking

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from connector._result import Attempt

WHY = {
    "backoff": "backoff",
    "Retry-After": "the server's Retry-After",
    "X-RateLimit-Retry-After": "the server's X-RateLimit-Retry-After",
}

PLAIN_EVERY = 5
"""In plain lines, the stall is told at its first tick and every PLAIN_EVERY-th after."""


def say_wait(attempt: Attempt, stream: TextIO | None = None) -> None:
    """A line on stderr while the command waits before its next attempt, and why."""
    stream = stream or sys.stderr
    outcome = attempt.status_code or attempt.error
    stream.write(
        f"connector: attempt {attempt.number}: {outcome}; waiting {attempt.wait_seconds:.2f} s "
        f"({WHY[attempt.wait_reason or 'backoff']}) before attempt {attempt.number + 1}\n"
    )
    stream.flush()


def stall_text(stall: Stall) -> str:
    """The stall line: how long the attempt has waited, against what ends it."""
    head = f"connector: attempt {stall.attempt}: waiting for a response: {stall.waited:.0f} s"
    if stall.waited <= stall.read_timeout:
        return f"{head} of the {stall.read_timeout:g} s read timeout"
    return (  # the answer is trickling in: each read restarts the timeout, the deadline ends it
        f"{head} (each read may take {stall.read_timeout:g} s; the deadline is in "
        f"{max(stall.deadline_in, 0):.0f} s)"
    )


class StallLine:
    """Shows stalls on `stream`: `in_place` (a terminal) or as plain lines."""

    def __init__(self, stream: TextIO, *, in_place: bool, ticker: Ticker = ticking) -> None:
        self.stream = stream
        self.in_place = in_place
        self._ticker = ticker
        self._ticks = 0
        self._shown = False

    @classmethod
    def for_run(cls, args: argparse.Namespace, stream: TextIO | None = None) -> StallLine | None:
        """The display a run asks for, or None (see the module docstring)."""
        stream = stream or sys.stderr
        if args.verbose or args.log_level in {"info", "debug"}:
            return cls(stream, in_place=False)
        if not args.json and stream.isatty():
            return cls(stream, in_place=True)
        return None

    def show(self, stall: Stall) -> None:
        """One tick of a silent attempt."""
        self._ticks += 1
        if self.in_place:  # cut to the terminal's width: a wrapped line cannot be rewritten
            self.stream.write(f"\r{stall_text(stall)[: self._width() - 1]}\x1b[K")
            self._shown = True
        elif self._ticks == 1 or self._ticks % PLAIN_EVERY == 0:
            self.stream.write(stall_text(stall) + "\n")
        self.stream.flush()

    def _width(self) -> int:
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, io.UnsupportedOperation):
            columns = 0
        return columns or 80  # 0: a terminal that does not say

    @contextmanager
    def ticking(self, every: float, tick: Callable[[], None]) -> Iterator[None]:
        """The executor's ticker: the injected one, then the line erased when the attempt ends."""
        self._ticks = 0
        try:
            with self._ticker(every, tick):
                yield
        finally:
            if self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._shown = False
