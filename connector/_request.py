"""The prepared request: exactly what would be sent, and its redacted public view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector._credentials import Redactor
from connector.auth import Credentials, Flow, Outgoing


@dataclass(frozen=True, slots=True, repr=False)
class PreparedRequest:
    """A rendered, validated request. Its credentials are only applied on the wire."""

    task: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: Any
    content: bytes | None
    warnings: tuple[str, ...] = ()
    auth: Credentials = field(default_factory=lambda: Credentials(()))
    redactor: Redactor = field(default_factory=Redactor)

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

    def public(self) -> dict[str, Any]:
        """`{method, url, headers, body, warnings}` as a dry run shows it: nothing secret."""
        return {
            "method": self.method,
            "url": self.public_url(),
            "headers": self.public_headers(),
            "body": self.redactor.json(self.body),
            "warnings": [self.redactor.text(warning) for warning in self.warnings],
        }

    def __repr__(self) -> str:
        return f"<PreparedRequest {self.task}: {self.method} {self.redactor.text(self.url)}>"
