"""Injected misbehaviour: the `Fault` queued for the next API requests, how one is checked
and read from the control endpoint's JSON, and the answer a status fault gives."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any, Final, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from werkzeug.wrappers import Response

from connector._model import StrictModel, field_errors, suggesting, wire_names
from connector.emulator._http import problem, reject_constant

FaultKind = Literal["503", "500", "502", "504", "408", "429", "status", "reset", "stall", "latency"]
_TITLES: Final = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    408: "Request Timeout",
}
RetryStyle = Literal["epoch", "seconds", "http-date", "none"]


class Fault(StrictModel):
    """One injected misbehaviour, used up by the next API request.

    kind: `503`, `500`, `502`, `504` and `408` answer that status (a problem body); `429`
    answers 429 with a retry header; `status` answers `status` with `body` (text, sent as
    `content_type`); `reset` drops the connection with a TCP reset and no response; `stall`
    holds the request `seconds` (None: until the emulator stops), then handles it normally,
    or drops it if the emulator stopped; `latency` is a stall of `seconds` (required).
    retry_after: seconds from now for the retry header of a 503 or 429, sent as `style`:
    `epoch` = `X-RateLimit-Retry-After: <UTC epoch seconds>` (Rebilly's own), `seconds` =
    `Retry-After: <n>`, `http-date` = `Retry-After: <HTTP-date>`, `none` = no header;
    a 429 without one waits 1 second.
    apply: for `reset`, apply the request first (the work is done; the client never hears).
    """

    kind: FaultKind
    seconds: float | None = Field(default=None, ge=0, strict=True, validate_default=True)
    retry_after: float | None = Field(default=None, ge=0, strict=True, validate_default=True)
    style: RetryStyle = "epoch"
    apply: bool = Field(default=False, strict=True)
    status: int | None = Field(default=None, ge=100, le=599, strict=True, validate_default=True)
    body: str = Field(default="", strict=True)
    content_type: str = Field(default="application/json", strict=True)

    @field_validator("kind", mode="before")
    @classmethod
    def _status_number(cls, value: object) -> object:
        """A status kind may be given as a number (`503`), as it is one."""
        return str(value) if type(value) is int else value

    @field_validator("seconds")
    @classmethod
    def _latency_needs_seconds(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None and info.data.get("kind") == "latency":
            raise ValueError("a latency fault needs seconds")
        return value

    @field_validator("retry_after")
    @classmethod
    def _a_429_waits(cls, value: float | None, info: ValidationInfo) -> float | None:
        return 1.0 if value is None and info.data.get("kind") == "429" else value

    @field_validator("status")
    @classmethod
    def _status_needs_one(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("kind") == "status":
            raise ValueError("a status fault needs a status from 100 to 599")
        return value


def make_fault(fields: Mapping[str, object]) -> Fault:
    """A checked `Fault` from its fields (camelCase or snake_case).

    Raises:
        ValueError: one line naming every bad field (`seconds: ...; style: ...`).
    """
    try:
        return Fault.model_validate(fields)
    except ValidationError as exc:
        errors = field_errors(exc, message=suggesting(["count", *wire_names(Fault)]))
        raise ValueError("; ".join(str(error) for error in errors)) from None


def fault_from_json(body: bytes) -> tuple[Fault, Any]:
    """`{"kind", "count", "seconds", "retryAfter", "style", "apply", "status", "body",
    "contentType"}` -> (fault, count)."""
    spec = json.loads(body or b"{}", parse_constant=reject_constant)
    if not isinstance(spec, dict):
        raise ValueError("send a JSON object")  # noqa: TRY004 - a 400 like every bad body
    count = spec.pop("count", 1)
    return make_fault(spec), count


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
