"""What the emulator keeps of a request: `ReceivedRequest`, with every credential masked,
and the JSON view the control endpoint shows of it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request

from connector._credentials import Redactor


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the emulator received it, with every credential redacted.

    `credential` names what authenticated it (`REB-APIKEY`, `Bearer` or None) and
    `authorized` says whether it was accepted: a test can tell the key arrived without it
    being kept anywhere. `status` is the status it was answered with (None while it is
    being handled, or when the connection was dropped instead).
    """

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    credential: str | None = None
    authorized: bool = False
    fault: str | None = None
    status: int | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


def masked_request(
    request: Request,
    body: bytes,
    *,
    credential: str | None,
    keys: Iterable[str],
    authorized: bool = False,
    fault: str | None = None,
    sensitive: Iterable[str] = (),
) -> ReceivedRequest:
    """The request with credentials masked, by the connector's own `Redactor`: credential
    headers by name; every one of `keys` (the presented key or token and every configured
    key), and the forms the connector could have encoded it in, by value wherever it appears."""
    redactor = Redactor(keys, header_names=sensitive)
    return ReceivedRequest(
        method=request.method,
        path=redactor.text(request.path),
        query=redactor.text(request.query_string.decode("latin-1")),
        headers=Headers(
            (name, redactor.header(name, value)) for name, value in request.headers.items()
        ),
        body=redactor.content(body),
        credential=credential,
        authorized=authorized,
        fault=fault,
    )


def public_request(item: ReceivedRequest) -> dict[str, Any]:
    """The JSON form `GET /_emulator/requests` shows."""
    return {
        "method": item.method,
        "path": item.path,
        "query": item.query,
        "headers": dict(item.headers.items()),
        "body": item.text,
        "credential": item.credential,
        "authorized": item.authorized,
        "fault": item.fault,
        "status": item.status,
    }
