"""HTTP bearer strategy: `Authorization: Bearer <token>`, the token from one variable."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from connector.auth._base import ENV_NAME, Credential, Outgoing, Placement, Scheme, read_secret


class HttpBearerScheme(Scheme):
    """`{"type": "http", "scheme": "bearer", "env": "VAR"}` (OpenAPI's http bearer)."""

    tag: ClassVar[str] = "http.bearer"

    type: Literal["http"]
    scheme: Literal["bearer"]
    env: str = Field(pattern=ENV_NAME, description="The environment variable holding the token")
    bearer_format: str = ""

    _lower = field_validator("scheme", mode="before")(
        lambda v: v.lower() if isinstance(v, str) else v
    )

    def variables(self) -> tuple[str, ...]:
        return (self.env,)

    def resolve(self, scheme_id: str, environ: Mapping[str, str]) -> Credential | None:
        secret = read_secret(environ, self.env)
        return None if secret is None else BearerCredential(scheme_id, (self.env,), secret)

    def placement(self, reference: Callable[[str], str]) -> Placement:
        return Placement(headers={"Authorization": f"Bearer {reference(self.env)}"})

    def summary(self) -> str:
        return f"Authorization: Bearer from ${self.env}"

    def header_names(self) -> tuple[str, ...]:
        return ("Authorization",)


class BearerCredential(Credential):
    """A bearer token (configured, or fetched by the OAuth2 strategy)."""

    def __init__(self, scheme_id: str, variables: tuple[str, ...], token: SecretStr) -> None:
        self.scheme_id = scheme_id
        self.variables = variables
        self._token = token

    def apply(self, request: Outgoing, value: Callable[[SecretStr], str]) -> Outgoing:
        return request.with_header("Authorization", f"Bearer {value(self._token)}")

    def secrets(self) -> list[str]:
        return [self._token.get_secret_value()]
