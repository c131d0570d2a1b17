"""Path parameters as URL path segments: the id rule, then percent-encoding as one segment.

A pattern is read as ECMA-262 reads it (`\\w` is ASCII, `$` is the end of the value) and run
by the linear-time engine of `connector._validators`, so no pattern from a description can
make a check take longer than the value is long.

A value that breaks the rule builds nothing; a valid one can never add a segment, a query or
a fragment to the URL (`/`, `?`, `#` and `%` are encoded; `.` and `..` are refused).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from urllib.parse import quote

from connector._suggest import shown
from connector._validators import matches

ID_RULE = r"^[@~\-\.\w]+$"
"""The id pattern of the Rebilly API (and many others): ASCII word characters and `@~-.`."""


@functools.lru_cache(maxsize=1024)
def path_segment(
    text: str, max_length: int, min_length: int, pattern: str | None
) -> tuple[str, tuple[str, ...]]:
    """A path value percent-encoded as one segment, and what is wrong with it."""
    problems = tuple(_segment_problems(text, max_length, min_length, pattern))
    return ("" if problems else quote(text, safe="@~")), problems


def _segment_problems(
    text: str, max_length: int, min_length: int, pattern: str | None
) -> Iterator[str]:
    if text in {".", ".."}:
        yield f"{text!r} is not a valid path segment"
    if len(text) > max_length:
        yield f"is longer than {max_length} characters"
    if len(text) < min_length:
        yield "is too short"
    if _UNSENDABLE.search(text):
        yield f"{shown(text)!r} holds a control character or a lone surrogate"
    elif pattern and not matches(pattern, text):
        hint = " (letters, digits and _ @ ~ - . only)" if pattern == ID_RULE else ""
        yield f"{shown(text)!r} does not match {pattern}{hint}"


_UNSENDABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
"""A line break or other control character, or half of a surrogate pair (no UTF-8 for it)."""
