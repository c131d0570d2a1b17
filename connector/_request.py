"""The prepared request: exactly what would be sent, and its redacted public view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector._credentials import Credential, Redactor


@dataclass(frozen=True, slots=True, repr=False)
class PreparedRequest:
    """A rendered, validated request. Its credential is only added on the wire."""

    task: str
    method: str
    url: str
    headers: Mapping[str, str]
    body: Any
    content: bytes | None
    warnings: tuple[str, ...] = ()
    credential: Credential | None = None
    redactor: Redactor = field(default_factory=Redactor)

    def wire_headers(self) -> dict[str, str]:
        """The headers to send, with the credential in clear: for the transport only."""
        headers = dict(self.headers)
        if self.credential is not None:
            headers[self.credential.header] = self.credential.header_value()
        return headers

    def public_headers(self) -> dict[str, str]:
        """The headers as shown: the credential, if any, redacted."""
        headers = self.redactor.headers(self.headers)
        if self.credential is not None:
            headers[self.credential.header] = self.credential.redacted_value()
        return headers

    def public(self) -> dict[str, Any]:
        """`{method, url, headers, body, warnings}` as a dry run shows it: nothing secret."""
        return {
            "method": self.method,
            "url": self.redactor.text(self.url),
            "headers": self.public_headers(),
            "body": self.redactor.json(self.body),
            "warnings": [self.redactor.text(warning) for warning in self.warnings],
        }

    def __repr__(self) -> str:
        return f"<PreparedRequest {self.task}: {self.method} {self.redactor.text(self.url)}>"
