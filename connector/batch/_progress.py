"""Progress of a batch on stderr: a bar with rate and ETA on a terminal, plain lines otherwise.

    with open_progress(total=1000, done=200) as progress:   # 200 were done by an earlier run
        progress.advance("COMPLETED")
        progress.note("line 4: invalid input ...")           # printed above the bar

On a terminal it is `rich`'s live progress bar (done/total, percentage, inputs per second,
time remaining, failures so far). When stderr is not a terminal (a log file, CI) it prints
one plain line at most every `every` seconds and one at the end, so logs stay short.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import IO, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar

from connector._clock import SYSTEM_CLOCK, Clock

__all__ = ["PlainProgress", "Progress", "RichProgress", "open_progress"]


class Progress(Protocol):
    """What a batch runner reports to."""

    def advance(self, status: str) -> None:
        """One more input finished with `status` (COMPLETED, FAILED, UNKNOWN)."""

    def note(self, text: str) -> None:
        """A message line (an invalid input, an unknown outcome)."""


class PlainProgress:
    """One line at most every `every` seconds: done/total, rate, ETA, failures."""

    def __init__(
        self,
        total: int,
        done: int = 0,
        *,
        stream: IO[str] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        every: float = 5.0,
    ) -> None:
        self.total, self.done, self.failed = total, done, 0
        self._stream = stream or sys.stderr
        self._clock, self._every = clock, every
        self._started = self._last = clock.monotonic()
        self._counted = 0

    def advance(self, status: str) -> None:
        """Count one input; print a line when `every` seconds have passed."""
        self.done += 1
        self._counted += 1
        self.failed += status != "COMPLETED"
        if self._clock.monotonic() - self._last >= self._every:
            self._line()

    def note(self, text: str) -> None:
        """Print a message line."""
        self._stream.write(f"{text}\n")

    def _line(self) -> None:
        self._last = now = self._clock.monotonic()
        elapsed = now - self._started
        rate = self._counted / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done
        eta = f", ETA {_duration(left / rate)}" if rate > 0 and left else ""
        percent = 100 * self.done / self.total if self.total else 100.0
        failed = f", {self.failed} not completed" if self.failed else ""
        self._stream.write(
            f"progress: {self.done}/{self.total} ({percent:.0f} %), {rate:.1f}/s{eta}{failed}\n"
        )
        self._stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._line()


class RichProgress:
    """`rich`'s live progress bar, for a terminal."""

    def __init__(self, total: int, done: int = 0, *, stream: IO[str] | None = None) -> None:
        self._bar = Bar(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]}"),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self._task = self._bar.add_task("run", total=total, completed=done, rate="", failed="")
        self._failed = 0

    def advance(self, status: str) -> None:
        """Move the bar; the rate is inputs per second over rich's recent window."""
        self._failed += status != "COMPLETED"
        speed = self._bar.tasks[0].speed
        self._bar.update(
            self._task,
            advance=1,
            rate=f"{speed:.1f}/s" if speed else "",
            failed=f"{self._failed} not completed" if self._failed else "",
        )

    def note(self, text: str) -> None:
        """Print a message above the bar."""
        self._bar.console.print(text, markup=False, highlight=False)

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._bar.stop()


def open_progress(
    total: int, done: int = 0, *, stream: IO[str] | None = None
) -> PlainProgress | RichProgress:
    """A `RichProgress` when `stream` (stderr) is a terminal, else a `PlainProgress`."""
    target = stream or sys.stderr
    if target.isatty():
        return RichProgress(total, done, stream=target)
    return PlainProgress(total, done, stream=target)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
