"""Did-you-mean for a mistyped name, and names made safe to repeat in a message.

One place for both, so that every message that suggests a name (an unknown input, an unknown
body field, a value outside an enum) costs the same bounded work: a name longer than any
known one by far has no near miss worth naming, and a 10 MB key is never compared nor echoed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Final

MAX_COMPARED: Final = 200
"""Names longer than this are not compared (difflib's cost grows with the product)."""

MAX_OPTIONS: Final = 1000
"""At most this many known names are compared."""

MAX_SHOWN: Final = 80
"""Characters of a name repeated in a message."""


def did_you_mean(value: str, options: Iterable[str]) -> str:
    """` (did you mean 'name'?)` for the closest known name, or "" when none is close."""
    if len(value) > MAX_COMPARED:
        return ""
    candidates = [option for _, option in zip(range(MAX_OPTIONS), options, strict=False)]
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    if not close:
        lowered = {option.lower(): option for option in candidates}
        close = [lowered[value.lower()]] if value.lower() in lowered else []
    return f" (did you mean '{shown(close[0])}'?)" if close else ""


def closest(value: str, options: Iterable[str], n: int = 3, limit: int = 200_000) -> list[str]:
    """Up to `n` known names close to `value`, closest first (at most `limit` compared: a
    whole catalogue of imported APIs, each name once); none when nothing is close."""
    if len(value) > MAX_COMPARED:
        return []
    candidates = list(dict.fromkeys(o for _, o in zip(range(limit), options, strict=False)))
    found = difflib.get_close_matches(value, candidates, n=n, cutoff=0.6)
    if found:  # only the near-best: a third name as close as the best, not any within 0.6
        best = _ratio(value, found[0])
        found = [name for name in found if _ratio(value, name) >= best - 0.02]
    lowered = {option.lower(): option for option in candidates}
    if not found and value.lower() in lowered:
        found = [lowered[value.lower()]]
    return found


def _ratio(value: str, name: str) -> float:
    return difflib.SequenceMatcher(None, value, name).ratio()


def shown(name: str) -> str:
    """`name` as a message may repeat it: cut to `MAX_SHOWN`, lone surrogates escaped."""
    if len(name) > MAX_SHOWN:
        name = f"{name[: MAX_SHOWN - 1]}… ({len(name):,} characters)"
    return name.encode("utf-8", "backslashreplace").decode("utf-8")
