"""Injected misbehaviour: the `Fault` queued for the next API requests, how one is checked
and read from the control endpoint's JSON, and the answer a status fault gives."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Final, Literal

from werkzeug.wrappers import Response

from connector.emulator._http import problem, reject_constant

FaultKind = Literal["503", "500", "502", "504", "408", "429", "status", "reset", "stall", "latency"]
FAULT_KINDS: Final = (
    "503",
    "500",
    "502",
    "504",
    "408",
    "429",
    "status",
    "reset",
    "stall",
    "latency",
)
_TITLES: Final = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    408: "Request Timeout",
}
RetryStyle = Literal["epoch", "seconds", "http-date", "none"]
RETRY_STYLES: Final = ("epoch", "seconds", "http-date", "none")


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, used up by the next API request.

    kind: `503`, `500`, `502`, `504` and `408` answer that status (a problem body); `429`
    answers 429 with a retry header; `status` answers `status` with `body` (text, sent as
    `content_type`); `reset` drops the connection with a TCP reset and no response; `stall`
    holds the request `seconds` (None: until the emulator stops), then handles it normally,
    or drops it if the emulator stopped; `latency` is a stall of `seconds` (required).
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
    status: int | None = None
    body: str = ""
    content_type: str = "application/json"

    def public(self) -> dict[str, Any]:
        """The camelCase form the control endpoint shows."""
        return {
            "kind": self.kind,
            "seconds": self.seconds,
            "retryAfter": self.retry_after,
            "style": self.style,
            "apply": self.apply,
            "status": self.status,
            "body": self.body,
            "contentType": self.content_type,
        }


def make_fault(
    kind: str,
    *,
    seconds: float | None = None,
    retry_after: float | None = None,
    style: str = "epoch",
    apply: bool = False,
    status: int | None = None,
    body: str = "",
    content_type: str = "application/json",
) -> Fault:
    """A checked `Fault`; raises ValueError on an unknown kind, style, a negative time or
    a `status` fault without a status from 100 to 599."""
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
    if kind == "latency" and seconds is None:
        raise ValueError("a latency fault needs seconds")
    if kind == "status" and (
        isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599
    ):
        raise ValueError(f"a status fault needs a status from 100 to 599, not {status!r}")
    if not isinstance(body, str) or not isinstance(content_type, str):
        raise ValueError("body and contentType must be strings")  # noqa: TRY004 - a 400
    return Fault(kind, seconds, retry_after, style, apply, status, body, content_type)  # type: ignore[arg-type]


def fault_from_json(body: bytes) -> tuple[Fault, Any]:
    """`{"kind", "count", "seconds", "retryAfter", "style", "apply", "status", "body",
    "contentType"}` -> (fault, count)."""
    spec = json.loads(body or b"{}", parse_constant=reject_constant)
    if not isinstance(spec, dict):
        raise ValueError("send a JSON object")  # noqa: TRY004 - a 400 like every bad body
    known = {
        "kind",
        "count",
        "seconds",
        "retryAfter",
        "style",
        "apply",
        "status",
        "body",
        "contentType",
    }
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"unknown members: {', '.join(sorted(unknown))}")
    fault = make_fault(
        str(spec.get("kind", "")),
        seconds=spec.get("seconds"),
        retry_after=spec.get("retryAfter"),
        style=str(spec.get("style", "epoch")),
        apply=bool(spec.get("apply", False)),
        status=spec.get("status"),
        body=spec.get("body", ""),
        content_type=spec.get("contentType", "application/json"),
    )
    return fault, spec.get("count", 1)


def retry_headers(fault: Fault, now: float) -> dict[str, str]:
    """The retry header a status fault sends, in its `style`."""
    if fault.retry_after is None or fault.style == "none":
        return {}
    if fault.style == "epoch":
        return {"X-RateLimit-Retry-After": str(math.ceil(now + fault.retry_after))}
    if fault.style == "seconds":
        return {"Retry-After": str(math.ceil(fault.retry_after))}
    return {"Retry-After": formatdate(now + fault.retry_after, usegmt=True)}


def fault_answer(fault: Fault, *, instance: str, now: float, limit: int) -> Response:
    """The answer of a status fault; `limit` is the rate limit a 429 reports."""
    if fault.kind == "status":
        response = Response(fault.body, status=fault.status, content_type=fault.content_type)
        response.headers.update(retry_headers(fault, now))
        return response
    if fault.kind != "429":
        status = int(fault.kind)
        return problem(
            status,
            _TITLES[status],
            f"emulated fault: {_TITLES[status].lower()}",
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
