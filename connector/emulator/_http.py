"""The emulator's HTTP vocabulary: strict JSON in, JSON and problem answers out, and the
`Reply` the server acts on (answer, or drop the connection)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from werkzeug.wrappers import Response


@dataclass(slots=True)
class Reply:
    """What the server does with one request: answer `response`, or drop the connection."""

    response: Response
    drop: Literal["reset", "close"] | None = None
    close: bool = False


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str = "",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem answer: `type`, `title`, `status`, `detail`, `instance` (and `error`)."""
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "error": title,
        **extra,
    }
    return json_response(body, status, headers)


def json_response(
    value: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """`value` as a compact `application/json` answer."""
    payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(payload, status=status, content_type="application/json")
    response.headers.update(headers or {})
    return response


def reject_constant(name: str) -> Any:
    """`parse_constant` for `json.loads`: NaN and the infinities are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def float_sized(text: str) -> int:
    """`parse_int` for `json.loads`: an integer beyond a float's range (a 400-digit amount)
    is refused, as an API that computes with doubles would."""
    value = int(text)
    if abs(value) > _LARGEST:
        raise ValueError(f"{text[:20]}… is out of range")
    return value


_LARGEST = int(1.7976931348623157e308)


def finite(text: str) -> float:
    """`parse_float` for `json.loads`: a number too large for a float is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value
