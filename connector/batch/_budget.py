"""What a server's answer says about its rate-limit budget: how much is left, and when the
budget is whole again.

Read from either family of headers:

- IETF (draft-ietf-httpapi-ratelimit-headers): `RateLimit: "name";r=REMAINING;t=SECONDS`
  (one list item per policy) with `RateLimit-Policy: "name";q=QUOTA;w=WINDOW`; and the
  drafts' earlier forms, `RateLimit: limit=Q, remaining=R, reset=T` (a dictionary) and the
  separate `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds).
- `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until the
  reset, or UTC epoch seconds, as GitHub writes it). Rebilly sends the first two only: a
  remaining count without the window it is counted over.

Structured fields are parsed by `http_sf` (RFC 9651). A header that cannot be read is
ignored, never an error: a server's header lowers the pace at most, it never stops a batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import http_sf

__all__ = ["Budget", "budgets"]

EPOCH_AFTER: Final = 10**9
"""A reset larger than this is UTC epoch seconds (2001 onwards), not seconds from now."""


@dataclass(frozen=True, slots=True)
class Budget:
    """One of the server's limits as one answer reports it."""

    remaining: int
    """Requests the server still accepts before `reset` seconds have passed."""
    reset: float | None
    """Seconds until the budget is whole again; None when the server does not say."""
    quota: int | None = None
    window: float | None = None


def budgets(headers: Mapping[str, str], now: float) -> list[Budget]:
    """Every budget the headers report (IETF first, then `X-RateLimit-*`); `now` is epoch
    seconds, to read an epoch reset."""
    families = (_family(headers, prefix, now) for prefix in ("RateLimit-", "X-RateLimit-"))
    return [*_ietf(headers), *(budget for family in families for budget in family)]


def _ietf(headers: Mapping[str, str]) -> list[Budget]:
    policies = dict(_list(headers.get("RateLimit-Policy")))
    found = []
    for name, params in _list(headers.get("RateLimit")):
        remaining, reset = _count(params.get("r")), _seconds(params.get("t"))
        if remaining is not None:
            policy = policies.get(name, {})
            quota, window = _count(policy.get("q")), _seconds(policy.get("w"))
            found.append(Budget(remaining, reset, quota, window))
    return found or _ietf_dictionary(headers.get("RateLimit"))


def _ietf_dictionary(value: str | None) -> list[Budget]:
    """The earlier drafts' `RateLimit: limit=Q, remaining=R, reset=T`."""
    members = _parse(value, "dictionary")
    if not isinstance(members, dict):
        return []
    remaining = _count(_member(members, "remaining"))
    if remaining is None:
        return []
    reset = _seconds(_member(members, "reset"))
    return [Budget(remaining, reset, _count(_member(members, "limit")))]


def _family(headers: Mapping[str, str], prefix: str, now: float) -> list[Budget]:
    """`PREFIX-Remaining` with `PREFIX-Reset` and `PREFIX-Limit` when present."""
    remaining = _count(_number(headers.get(prefix + "Remaining")))
    if remaining is None:
        return []
    reset = _seconds(_number(headers.get(prefix + "Reset")))
    if reset is not None and reset > EPOCH_AFTER:
        reset = max(reset - now, 0.0)
    return [Budget(remaining, reset, _count(_number(headers.get(prefix + "Limit"))))]


def _list(value: str | None) -> list[tuple[Any, dict[str, Any]]]:
    """A structured list's (item, parameters) pairs; the item is the policy's name (a
    string or token), or the old drafts' bare quota."""
    parsed = _parse(value, "list")
    if not isinstance(parsed, list):
        return []
    pairs = []
    for entry in parsed:
        item, params = entry
        if isinstance(params, dict):
            if isinstance(item, int) and "q" not in params:
                params = {**params, "q": item}
            pairs.append((str(item), params))
    return pairs


def _member(members: dict[str, Any], key: str) -> Any:
    entry = members.get(key)
    return entry[0] if isinstance(entry, tuple) else None


def _parse(value: str | None, kind: str) -> Any:
    if value is None or len(value) > 4096:
        return None
    try:
        return http_sf.parse(value.encode("ascii", "replace"), tltype=kind)
    except (http_sf.StructuredFieldError, ValueError, TypeError):
        return None


def _number(value: str | None) -> float | None:
    if value is None or len(value) > 64:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _seconds(value: Any) -> float | None:
    """A non-negative finite number (an integer, a float or a structured decimal)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0 else None


def _count(value: Any) -> int | None:
    number = _seconds(value)
    return None if number is None else int(number)
