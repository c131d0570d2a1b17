"""The prepared request: exactly what would be sent, and its redacted public view.

As httpx's `Request`: the method, the full URL (base + encoded path + encoded query), the
headers, the exact bytes of the body and its content type. The credential is held apart and
only added on the wire; `public()` is the view shown everywhere (dry runs, results, the
service), built by the body's own encoder so every encoding is redacted (see `_body`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector._body import EncodedBody
from connector._credentials import Redactor
from connector._template import ResponseSpec
from connector.auth import Credentials, Flow, Outgoing


@dataclass(frozen=True, slots=True, repr=False)
class PreparedRequest:
    """A rendered, validated request. Its credentials are only applied on the wire."""

    task: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: Any
    """The structured body (what was validated), or None."""
    content: bytes | None
    """The exact bytes sent, or None for no body."""
    warnings: tuple[str, ...] = ()
    auth: Credentials = field(default_factory=lambda: Credentials(()))
    redactor: Redactor = field(default_factory=Redactor)
    encoded: EncodedBody | None = None
    responses: Mapping[str, ResponseSpec] = field(default_factory=dict)
    """The template's declared responses, for the result (output mapping, the emulator)."""

    @property
    def content_type(self) -> str | None:
        """The Content-Type of the body (with its multipart boundary), or None."""
        return self.encoded.content_type if self.encoded is not None else None

    def outgoing(self) -> Outgoing:
        """The request without its credentials, as the auth flow starts from it."""
        return Outgoing(self.method, self.url, self.headers, self.content)

    def flow(self) -> Flow:
        """The requests to send, credentials applied: for the transport only (see `Flow`)."""
        return self.auth.flow(self.outgoing(), self.redactor.add)

    def public_headers(self) -> dict[str, str]:
        """The headers as shown: credentials in place, redacted."""
        return self.redactor.headers(self.auth.public(self.outgoing()).headers)

    def public_url(self) -> str:
        """The URL as shown: a query credential in place, redacted."""
        return self.redactor.text(self.auth.public(self.outgoing()).url)

    def public_body(self) -> Any:
        """The body as shown: the JSON value, the form text or the part list, redacted."""
        if self.encoded is None:
            return self.redactor.json(self.body)
        return self.encoded.public(self.redactor)

    def public(self) -> dict[str, Any]:
        """`{method, url, headers, contentType, body, warnings}` as a dry run shows it."""
        return {
            "method": self.method,
            "url": self.public_url(),
            "headers": self.public_headers(),
            "contentType": self.content_type,
            "body": self.public_body(),
            "warnings": [self.redactor.text(warning) for warning in self.warnings],
        }

    def __repr__(self) -> str:
        return f"<PreparedRequest {self.task}: {self.method} {self.redactor.text(self.url)}>"
