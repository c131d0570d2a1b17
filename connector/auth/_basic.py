"""HTTP basic strategy: `Authorization: Basic base64(user:password)` from two variables."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from connector.auth._base import (
    ENV_NAME,
    Credential,
    Outgoing,
    Placement,
    Scheme,
    UnsupportedInEngineError,
    read_secret,
)


class HttpBasicScheme(Scheme):
    """`{"type": "http", "scheme": "basic", "usernameEnv": "VAR", "passwordEnv": "VAR"}`."""

    tag: ClassVar[str] = "http.basic"

    type: Literal["http"]
    scheme: Literal["basic"]
    username_env: str = Field(pattern=ENV_NAME)
    password_env: str = Field(pattern=ENV_NAME)

    _lower = field_validator("scheme", mode="before")(
        lambda v: v.lower() if isinstance(v, str) else v
    )

    def variables(self) -> tuple[str, ...]:
        return (self.username_env, self.password_env)

    def resolve(self, scheme_id: str, environ: Mapping[str, str]) -> Credential | None:
        user, password = (read_secret(environ, name) for name in self.variables())
        if user is None or password is None:
            return None
        return BasicCredential(scheme_id, self.variables(), user, password)

    def placement(self, reference: Callable[[str], str]) -> Placement:
        raise UnsupportedInEngineError(
            "the engine cannot base64-encode user:password at run time; store the encoded "
            "value as one secret and declare an apiKey header 'Authorization' with prefix 'Basic'"
        )

    def summary(self) -> str:
        return f"Authorization: Basic from ${self.username_env} and ${self.password_env}"

    def header_names(self) -> tuple[str, ...]:
        return ("Authorization",)


class BasicCredential(Credential):
    """A configured user and password."""

    def __init__(
        self, scheme_id: str, variables: tuple[str, ...], user: SecretStr, password: SecretStr
    ) -> None:
        self.scheme_id = scheme_id
        self.variables = variables
        self._password = password
        self._token = SecretStr(encode(user.get_secret_value(), password.get_secret_value()))

    def apply(self, request: Outgoing, value: Callable[[SecretStr], str]) -> Outgoing:
        return request.with_header("Authorization", f"Basic {value(self._token)}")

    def referenced(self, request: Outgoing, reference: Callable[[str], str]) -> Outgoing:
        user, password = (reference(name) for name in self.variables)
        encoded = f"$(printf '%s:%s' {user} {password} | base64 | tr -d '\\n')"
        return request.with_header("Authorization", f"Basic {encoded}")

    def secrets(self) -> list[str]:
        return [self._token.get_secret_value(), self._password.get_secret_value()]


def encode(user: str, password: str) -> str:
    """RFC 7617: base64 of `user:password` in UTF-8."""
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
