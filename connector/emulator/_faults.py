"""Injected misbehaviour: the `Fault` queued for the next API requests, how one is checked
and read from the control endpoint's JSON, and the answer a `503` or `429` fault gives."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Final, Literal

from werkzeug.wrappers import Response

from connector.emulator._http import problem, reject_constant

FaultKind = Literal["503", "reset", "stall", "429"]
FAULT_KINDS: Final = ("503", "reset", "stall", "429")
RetryStyle = Literal["epoch", "seconds", "http-date", "none"]
RETRY_STYLES: Final = ("epoch", "seconds", "http-date", "none")


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, used up by the next API request.

    kind: `503` answers 503; `429` answers 429 with a retry header; `reset` drops the
    connection with a TCP reset and no response; `stall` holds the request `seconds` (None:
    until the emulator stops), then handles it normally, or drops it if the emulator stopped.
    retry_after: seconds from now for the retry header of a 503 or 429, sent as `style`:
    `epoch` = `X-RateLimit-Retry-After: <UTC epoch seconds>` (Rebilly's own), `seconds` =
    `Retry-After: <n>`, `http-date` = `Retry-After: <HTTP-date>`, `none` = no header.
    apply: for `reset`, apply the request first (the work is done; the client never hears).
    """

    kind: FaultKind
    seconds: float | None = None
    retry_after: float | None = None
    style: RetryStyle = "epoch"
    apply: bool = False

    def public(self) -> dict[str, Any]:
        """The camelCase form the control endpoint shows."""
        return {
            "kind": self.kind,
            "seconds": self.seconds,
            "retryAfter": self.retry_after,
            "style": self.style,
            "apply": self.apply,
        }


def make_fault(
    kind: str,
    *,
    seconds: float | None = None,
    retry_after: float | None = None,
    style: str = "epoch",
    apply: bool = False,
) -> Fault:
    """A checked `Fault`; raises ValueError on an unknown kind, style or a negative time."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
    if style not in RETRY_STYLES:
        raise ValueError(f"unknown retry style {style!r}; one of {', '.join(RETRY_STYLES)}")
    for name, value in (("seconds", seconds), ("retry_after", retry_after)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0
        ):
            raise ValueError(f"{name} must be a number >= 0, not {value!r}")
    if kind == "429" and retry_after is None:
        retry_after = 1.0
    return Fault(kind, seconds, retry_after, style, apply)  # type: ignore[arg-type]


def fault_from_json(body: bytes) -> tuple[Fault, Any]:
    """`{"kind", "count", "seconds", "retryAfter", "style", "apply"}` -> (fault, count)."""
    spec = json.loads(body or b"{}", parse_constant=reject_constant)
    if not isinstance(spec, dict):
        raise ValueError("send a JSON object")  # noqa: TRY004 - a 400 like every bad body
    unknown = set(spec) - {"kind", "count", "seconds", "retryAfter", "style", "apply"}
    if unknown:
        raise ValueError(f"unknown members: {', '.join(sorted(unknown))}")
    fault = make_fault(
        str(spec.get("kind", "")),
        seconds=spec.get("seconds"),
        retry_after=spec.get("retryAfter"),
        style=str(spec.get("style", "epoch")),
        apply=bool(spec.get("apply", False)),
    )
    return fault, spec.get("count", 1)


def retry_headers(fault: Fault, now: float) -> dict[str, str]:
    """The retry header a `503` or `429` fault sends, in its `style`."""
    if fault.retry_after is None or fault.style == "none":
        return {}
    if fault.style == "epoch":
        return {"X-RateLimit-Retry-After": str(math.ceil(now + fault.retry_after))}
    if fault.style == "seconds":
        return {"Retry-After": str(math.ceil(fault.retry_after))}
    return {"Retry-After": formatdate(now + fault.retry_after, usegmt=True)}


def fault_answer(fault: Fault, *, instance: str, now: float, limit: int) -> Response:
    """The answer of a `503` or `429` fault; `limit` is the rate limit a 429 reports."""
    if fault.kind == "503":
        return problem(
            503,
            "Service Unavailable",
            "emulated fault: the service is unavailable, try again later",
            instance=instance,
            headers=retry_headers(fault, now),
        )
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        **retry_headers(fault, now),
    }
    return problem(
        429,
        "Too Many Requests",
        "emulated fault: request rate limit exceeded",
        instance=instance,
        headers=headers,
    )
