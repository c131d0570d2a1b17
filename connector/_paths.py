"""Path parameters as URL path segments: the id rule, then percent-encoding as one segment.

A value that breaks the rule builds nothing; a valid one can never add a segment, a query or
a fragment to the URL (`/`, `?`, `#` and `%` are encoded; `.` and `..` are refused).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from urllib.parse import quote


@functools.lru_cache(maxsize=1024)
def path_segment(
    text: str, max_length: int, min_length: int, pattern: str | None
) -> tuple[str, tuple[str, ...]]:
    """A path value percent-encoded as one segment, and what is wrong with it."""
    problems = tuple(_segment_problems(text, max_length, min_length, pattern))
    return quote(text, safe="@~"), problems


def _segment_problems(
    text: str, max_length: int, min_length: int, pattern: str | None
) -> Iterator[str]:
    if text in {".", ".."}:
        yield f"{text!r} is not a valid path segment"
    if len(text) > max_length:
        yield f"is longer than {max_length} characters"
    if len(text) < min_length:
        yield "is too short"
    if pattern and not _ascii_pattern(pattern).search(text):
        yield f"{text!r} does not match {pattern} (letters, digits and _ @ ~ - . only)"


@functools.lru_cache(maxsize=32)
def _ascii_pattern(pattern: str) -> re.Pattern[str]:
    """Path-segment patterns are read as ECMA-262 reads them: `\\w` is ASCII."""
    return re.compile(pattern, re.ASCII)
