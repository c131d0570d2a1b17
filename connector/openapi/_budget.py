"""What building one example may cost at import, and the notes of what was cut short.

An imported schema says how big a valid value is (`minLength: 1e9`, `minItems: 1e9`,
`^a{1000000000}$`) and how many branches there are to try (a deep `anyOf`). So each example
is built against a budget: characters and items in the value, schema nodes visited, and
seconds on the (injectable) clock. Past any of them the example falls back to a minimal value
and a note says why; the notes of an operation become its import warnings (`collecting`).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

MAX_EXAMPLE_SIZE: Final = 64 * 1024
"""Characters and items one generated example may hold."""

MAX_STEPS: Final = 20_000
"""Schema nodes one example may visit (branches tried included)."""

MAX_SECONDS: Final = 2.0
"""Seconds one example may take."""


class OverBudgetError(Exception):
    """An example would cost more than its budget; the message says which limit."""


@dataclass(slots=True)
class ExampleBudget:
    """What the example under construction may still cost."""

    clock: Callable[[], float] = time.monotonic
    size: int = MAX_EXAMPLE_SIZE
    steps: int = MAX_STEPS
    deadline: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.deadline = self.clock() + MAX_SECONDS

    def charge(self, size: int, what: str) -> None:
        """Count `size` characters or items before they are built; refuse past the limit."""
        self.size -= max(size, 0)
        if self.size < 0:
            raise OverBudgetError(f"{what} is over the {MAX_EXAMPLE_SIZE:,}-unit example limit")

    def step(self) -> None:
        """Count one schema node visited; refuse past the step or time limit."""
        self.steps -= 1
        if self.steps < 0:
            raise OverBudgetError(f"the schema takes more than {MAX_STEPS:,} steps to walk")
        if self.steps % 64 == 0 and self.clock() > self.deadline:
            raise OverBudgetError(f"the schema takes more than {MAX_SECONDS:g} s to walk")


_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "connector_import_notes", default=None
)


def note(text: str) -> None:
    """Record a note for the operation being imported (dropped when nobody collects)."""
    notes = _NOTES.get()
    if notes is not None and text not in notes:
        notes.append(text)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the notes made meanwhile (the warnings of one imported operation)."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)
