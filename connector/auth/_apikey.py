"""API key strategy: a key from one environment variable, in a header, the query or a cookie."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Literal

from pydantic import Field, SecretStr

from connector.auth._base import (
    ENV_NAME,
    Credential,
    Outgoing,
    Placement,
    Scheme,
    read_secret,
)

NAME_PATTERN = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$"


class ApiKeyScheme(Scheme):
    """`{"type": "apiKey", "in": "header|query|cookie", "name": "REB-APIKEY", "env": "VAR"}`."""

    tag: ClassVar[str] = "apiKey"

    type: Literal["apiKey"]
    location: Literal["header", "query", "cookie"] = Field(alias="in")
    name: str = Field(pattern=NAME_PATTERN, description="The header, query or cookie name")
    env: str = Field(pattern=ENV_NAME, description="The environment variable holding the key")
    prefix: str | None = Field(
        default=None, pattern=r"^[A-Za-z][A-Za-z0-9-]{0,31}$", description="Header only: 'Token'"
    )

    def variables(self) -> tuple[str, ...]:
        return (self.env,)

    def resolve(self, scheme_id: str, environ: Mapping[str, str]) -> Credential | None:
        secret = read_secret(environ, self.env)
        return None if secret is None else ApiKeyCredential(scheme_id, self, secret)

    def placement(self, reference: Callable[[str], str]) -> Placement:
        value = reference(self.env)
        if self.location == "query":
            return Placement(query={self.name: value})
        if self.location == "cookie":
            return Placement(cookies={self.name: value})
        return Placement(headers={self.name: f"{self.prefix} {value}" if self.prefix else value})

    def summary(self) -> str:
        return f"{self.location} {self.name} from ${self.env}"

    def header_names(self) -> tuple[str, ...]:
        return (self.name,) if self.location == "header" else ()


class ApiKeyCredential(Credential):
    """A configured API key."""

    def __init__(self, scheme_id: str, scheme: ApiKeyScheme, secret: SecretStr) -> None:
        self.scheme_id = scheme_id
        self.variables = (scheme.env,)
        self._scheme = scheme
        self._secret = secret

    def apply(self, request: Outgoing, value: Callable[[SecretStr], str]) -> Outgoing:
        scheme, text = self._scheme, value(self._secret)
        if scheme.location == "query":
            # Only the key itself is percent-encoded; a mask or a `${VAR}` is shown as written.
            encode = text == self._secret.get_secret_value()
            return request.with_query(scheme.name, text, encode=encode)
        if scheme.location == "cookie":
            return request.with_cookie(scheme.name, text)
        return request.with_header(
            scheme.name, f"{scheme.prefix} {text}" if scheme.prefix else text
        )

    def secrets(self) -> list[str]:
        return [self._secret.get_secret_value()]
