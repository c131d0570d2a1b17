"""OAuth2 client-credentials strategy: a token fetched from `tokenUrl`, cached until it
expires, and fetched again once when the API answers 401 to a cached token.

A scheme may name the authorization server's metadata (`metadataUrl`, RFC 8414; OpenAPI
3.2's `oauth2MetadataUrl`) instead of `tokenUrl`: the metadata is read once, before the
first token, and its `token_endpoint` is used only when it is on the metadata's own host
(https), so the credential goes nowhere the host check did not pass.

The token request goes through the same transport as the API request (same timeouts, no
redirects, the same host check: the client secret is a credential bound to hosts like any
other). The client authenticates with HTTP basic (RFC 6749 §2.3.1).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Generator, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote_plus, urlencode, urlsplit

from pydantic import Field, SecretStr, model_validator

from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import TransportError
from connector.auth._base import (
    ENV_NAME,
    Answer,
    Credential,
    Flow,
    Outgoing,
    Placement,
    Scheme,
    UnsupportedInEngineError,
    read_secret,
)
from connector.auth._bearer import BearerCredential

TokenFlow = Generator[Outgoing, Answer, SecretStr | None]
"""Fetching a token: one request; returns the token, or None when the endpoint refused."""

DEFAULT_LIFETIME = 300.0
"""Seconds a token without `expires_in` is kept."""


_URL = r"^https?://[^\s/?#]+(/[^\s]*)?$"


class OAuth2Scheme(Scheme):
    """`{"type": "oauth2", "flow": "clientCredentials", "tokenUrl": "https://…",
    "clientIdEnv": "VAR", "clientSecretEnv": "VAR", "scopes": []}`."""

    tag: ClassVar[str] = "oauth2"
    fetches_token: ClassVar[bool] = True

    type: Literal["oauth2"]
    flow: Literal["clientCredentials"]
    token_url: str | None = Field(default=None, pattern=_URL)
    metadata_url: str | None = Field(
        default=None, pattern=_URL, description="RFC 8414 metadata naming the token endpoint"
    )
    client_id_env: str = Field(pattern=ENV_NAME)
    client_secret_env: str = Field(pattern=ENV_NAME)
    scopes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way_to_the_token(self) -> OAuth2Scheme:
        if self.token_url is None and self.metadata_url is None:
            raise ValueError("give tokenUrl, or metadataUrl to read it from")
        return self

    @property
    def token_source(self) -> str:
        """Where the token (or the metadata naming its endpoint) is asked for."""
        return str(self.token_url or self.metadata_url)

    def variables(self) -> tuple[str, ...]:
        return (self.client_id_env, self.client_secret_env)

    def resolve(self, scheme_id: str, environ: Mapping[str, str]) -> Credential | None:
        client_id, secret = (read_secret(environ, name) for name in self.variables())
        if client_id is None or secret is None:
            return None
        return OAuth2Credential(scheme_id, self, client_id, secret)

    def placement(self, reference: Callable[[str], str]) -> Placement:
        raise UnsupportedInEngineError(
            "the engine's HTTP task cannot fetch an OAuth2 token; fetch it in the workflow "
            "and declare an http bearer scheme instead"
        )

    def summary(self) -> str:
        return (
            f"OAuth2 client credentials at {self.token_source} from ${self.client_id_env} and "
            f"${self.client_secret_env}"
        )

    def header_names(self) -> tuple[str, ...]:
        return ("Authorization",)


class TokenCache:
    """Access tokens by client, until they expire (process-wide: workers reuse them)."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._tokens: dict[str, tuple[SecretStr, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> SecretStr | None:
        """The cached token, if it has not expired."""
        with self._lock:
            token, expires_at = self._tokens.get(key, (None, 0.0))
            return token if token is not None and self.clock.monotonic() < expires_at else None

    def put(self, key: str, token: SecretStr, lifetime: float) -> None:
        """Keep a token for `lifetime` seconds, less a margin for the clock and the network."""
        with self._lock:
            margin = min(30.0, lifetime / 10)
            self._tokens[key] = (token, self.clock.monotonic() + lifetime - margin)

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._tokens.clear()

    def drop(self, key: str) -> None:
        """Forget a token the API refused."""
        with self._lock:
            self._tokens.pop(key, None)


TOKENS = TokenCache()


class OAuth2Credential(Credential):
    """A configured client id and secret; the access token is fetched at send time."""

    fetches_token: ClassVar[bool] = True

    def __init__(
        self, scheme_id: str, scheme: OAuth2Scheme, client_id: SecretStr, secret: SecretStr
    ) -> None:
        self.scheme_id = scheme_id
        self.variables = scheme.variables()
        self._scheme = scheme
        self._secret = secret
        self._client = basic_client(client_id.get_secret_value(), secret.get_secret_value())
        self._key = hashlib.sha256(
            "\n".join([scheme.token_source, self._client, *scheme.scopes]).encode()
        ).hexdigest()

    def apply(self, request: Outgoing, value: Callable[[SecretStr], str]) -> Outgoing:
        token = TOKENS.get(self._key) or SecretStr("<fetched at send time>")
        return request.with_header("Authorization", f"Bearer {value(token)}")

    def referenced(self, request: Outgoing, reference: Callable[[str], str]) -> Outgoing:
        # The token exists only after a request to the token URL: say so instead.
        return request.with_header(
            "Authorization", f"Bearer <token from {self._scheme.token_source}>"
        )

    def secrets(self) -> list[str]:
        cached = TOKENS.get(self._key)
        known = [cached.get_secret_value()] if cached is not None else []
        return [self._secret.get_secret_value(), self._client, *known]

    def destinations(self, url: str) -> list[str]:
        return [url, self._scheme.token_source]

    def flow(self, request: Outgoing, reveal: Callable[[str], None]) -> Flow:
        token, fresh = TOKENS.get(self._key), False
        if token is None:
            token = yield from self._fetch(reveal)
            fresh = True
            if token is None:
                return
        answer = yield self._bearer(token).apply(request, SecretStr.get_secret_value)
        if answer.status_code == 401 and not fresh:
            TOKENS.drop(self._key)
            token = yield from self._fetch(reveal)
            if token is not None:
                yield self._bearer(token).apply(request, SecretStr.get_secret_value)

    def _bearer(self, token: SecretStr) -> BearerCredential:
        return BearerCredential(self.scheme_id, self.variables, token)

    def _fetch(self, reveal: Callable[[str], None]) -> TokenFlow:
        """Ask the token endpoint; None (the flow ends on its answer) when it refuses."""
        token_url = self._scheme.token_url
        if token_url is None:
            token_url = yield from _discover(str(self._scheme.metadata_url))
        form = {"grant_type": "client_credentials"}
        if self._scheme.scopes:
            form["scope"] = " ".join(self._scheme.scopes)
        answer = yield Outgoing(
            "POST",
            token_url,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Authorization": f"Basic {self._client}",
            },
            urlencode(form).encode(),
        )
        if not 200 <= answer.status_code < 300:
            return None
        token, lifetime = _read_token(answer, token_url)
        reveal(token.get_secret_value())
        TOKENS.put(self._key, token, lifetime)
        return token


def _discover(metadata_url: str) -> Generator[Outgoing, Answer, str]:
    """The token endpoint the metadata names (no credential is sent to read it)."""
    answer = yield Outgoing("GET", metadata_url, {"Accept": "application/json"}, None)
    body: Any = answer.body if 200 <= answer.status_code < 300 else None
    endpoint = body.get("token_endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        raise TransportError(f"the OAuth2 metadata at {metadata_url} names no token_endpoint")
    same = urlsplit(endpoint)
    if same.scheme != urlsplit(metadata_url).scheme or same.netloc != urlsplit(metadata_url).netloc:
        raise TransportError(
            f"the OAuth2 metadata at {metadata_url} names a token endpoint on another host "
            f"({same.netloc or endpoint!r}); give the scheme's tokenUrl instead"
        )
    return endpoint


def _read_token(answer: Answer, token_url: str) -> tuple[SecretStr, float]:
    body: Any = answer.body
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TransportError(f"the token endpoint {token_url} answered without an access_token")
    expires = body.get("expires_in")
    lifetime = float(expires) if isinstance(expires, int | float) and expires > 0 else None
    return SecretStr(token), lifetime or DEFAULT_LIFETIME


def basic_client(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: base64 of the form-encoded `id:secret`."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return base64.b64encode(pair.encode()).decode("ascii")
