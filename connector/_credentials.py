"""Credentials: declared by the template, read from the environment, never shown.

A credential is held as a `pydantic.SecretStr` and only turned into a header value at the
moment a request is sent. Everything that is shown (results, logs, errors, exports) passes
through a `Redactor`, which masks credential headers by name and credential values wherever
they appear, even inside a response body that echoes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import SecretStr

from connector._template import AuthScheme

REDACTED: Final = "<redacted>"

SENSITIVE_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "reb-apikey", "x-api-key"}
)


@dataclass(frozen=True, slots=True)
class Credential:
    """One configured credential: the header it goes in and its secret value."""

    header: str
    secret: SecretStr
    scheme: str | None = None
    source: str = ""
    """The environment variable it came from (a name, never a value)."""

    def header_value(self) -> str:
        """The clear header value, for the transport only."""
        value = self.secret.get_secret_value()
        return f"{self.scheme} {value}" if self.scheme else value

    def redacted_value(self) -> str:
        """What is shown instead of the header value."""
        return f"{self.scheme} {REDACTED}" if self.scheme else REDACTED


def resolve_credential(
    schemes: Iterable[AuthScheme], environ: Mapping[str, str]
) -> Credential | None:
    """The first declared scheme whose environment variable is set and not blank."""
    for scheme in schemes:
        value = environ.get(scheme.env, "").strip()
        if value:
            return Credential(scheme.header, SecretStr(value), scheme.scheme, scheme.env)
    return None


class Redactor:
    """Masks sensitive headers by name and secret values wherever they occur."""

    def __init__(self, secrets: Iterable[str] = (), header_names: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self._headers = SENSITIVE_HEADERS | {name.lower() for name in header_names}

    @classmethod
    def for_credential(
        cls, credential: Credential | None, schemes: Iterable[AuthScheme] = ()
    ) -> Redactor:
        """A redactor for one request: its credential and every declared auth header."""
        secrets = [credential.secret.get_secret_value()] if credential else []
        return cls(secrets, [scheme.header for scheme in schemes])

    def text(self, value: str) -> str:
        """`value` with every secret replaced."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with sensitive ones masked by name and secrets masked by value."""
        return {
            name: _mask(value) if name.lower() in self._headers else self.text(value)
            for name, value in headers.items()
        }

    def json(self, value: Any) -> Any:
        """A JSON value with secrets masked in every string, keys included."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.json(item) for item in value]
        return value

    def __repr__(self) -> str:
        return f"Redactor(secrets={len(self._secrets)})"


def _mask(value: str) -> str:
    """Mask a credential header, keeping an authentication scheme such as `Bearer`."""
    scheme, _, rest = value.partition(" ")
    return f"{scheme} {REDACTED}" if rest and scheme.isalpha() else REDACTED
