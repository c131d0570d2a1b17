"""Redaction: credentials masked by header name and by value, in every form they travel in.

Everything that is shown (results, logs, errors, exports) passes through a `Redactor`. It
masks credential headers by name, and each secret value wherever it appears, even inside a
response body that echoes it, in the forms the connector can compute from it:

- as is, upper-cased and lower-cased;
- percent-encoded (`quote`, `quote_plus`, upper- and lower-case hex): a query key, a
  `Location` header, a form body;
- base64 (standard, URL-safe, with and without padding): HTTP basic's `user:password` is
  given as its own secret by the strategy, so its base64 form is masked too;
- JSON-escaped (`\\/`, `\\u00e9`).

Where it stops: a secret split across two values, re-encoded twice, hashed, encrypted, or
cased in a mixed way the connector did not produce is not recognised; nor is a secret shorter
than 4 characters (it would mask ordinary text).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote, quote_plus

from connector.auth import REDACTED, Credentials

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "Redactor", "derived_forms", "looks_secret"]

SENSITIVE_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "reb-apikey", "x-api-key"}
)

MIN_SECRET: Final = 4

_SECRET_NAME: Final = re.compile(
    r"token|apikey|apitoken|accesskey|secretkey|privatekey|clientsecret|secret|password|passwd"
    r"|passphrase|authorization|authtoken|signature|credential|sessionid|sessionkey"
)
"""A parameter name (lower case, letters and digits only) that holds a secret."""
_SECRET_WORDS: Final = re.compile(
    r"^\W*((your|the|an?|a valid|valid)\s+(\w+\s+)?)?(api[ _-]?key|access[ _-]?(token|key)"
    r"|auth(entication|orization)?[ _-]?token|bearer[ _-]?token|bot[ _-]?token|secret"
    r"|password|signature|credential)s?\b(?!['\u2019]s|\s+(name|id|ids|type|prefix)\b)",
    re.IGNORECASE,
)
"""A parameter's description that opens by saying what secret it is (`Bot token`, `Your
Slack API key`); one that only mentions one (`Filter by API keys`) does not count."""
_NOT_SECRET: Final = re.compile(
    r"page|next|skip|continuation|cursor|sync|csrf|idempotency"
    r"|^(include|with|show|return|has|is|use|enable|require|verify|validate)"
    r"|(?<!session)(ids?|names?|types?|counts?|prefix|expires?|expiry|length|url)$"
)
"""Names that mention a token but hold none: pagination and sync cursors (`$skipToken`),
idempotency keys, flags (`include_signature`), what describes a secret rather than holding it
(`api_key_ids`, `token_type`)."""


def looks_secret(name: str, description: str = "") -> bool:
    """Whether a header, query or cookie parameter holds a secret, by its name (`token`,
    `X-Api-Key`, `client_secret`, `Signature`, any spelling or casing) or its description
    (`Your bot token`). A pagination `pageToken` or `nextToken` is not one."""
    folded = re.sub(r"[^a-z0-9]", "", name.lower())
    if _NOT_SECRET.search(folded):
        return False
    return bool(_SECRET_NAME.search(folded) or _SECRET_WORDS.search(description[:2000]))


def derived_forms(secret: str) -> set[str]:
    """`secret` and every form of it the connector can compute (see the module docstring)."""
    raw = secret.encode()
    forms = {secret, secret.upper(), secret.lower()}
    for encoded in (quote(secret, safe=""), quote_plus(secret)):
        forms |= {encoded, _lower_hex(encoded)}
    for b64 in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = b64.decode("ascii")
        forms |= {text, text.rstrip("="), quote(text, safe="")}
    escaped = json.dumps(secret)[1:-1]
    forms |= {escaped, escaped.replace("/", "\\/")}
    return {form for form in forms if len(form) >= MIN_SECRET}


def _lower_hex(encoded: str) -> str:
    parts = encoded.split("%")
    return parts[0] + "".join(f"%{p[:2].lower()}{p[2:]}" for p in parts[1:])


class Redactor:
    """Masks sensitive headers by name and secret values (and their forms) wherever they occur."""

    def __init__(self, secrets: Iterable[str] = (), header_names: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._headers = SENSITIVE_HEADERS | {name.lower() for name in header_names}
        self.add(*secrets)

    @classmethod
    def for_credentials(
        cls, credentials: Credentials | None, header_names: Iterable[str] = ()
    ) -> Redactor:
        """A redactor for one request: its credentials and every declared auth header."""
        return cls(credentials.secrets() if credentials else (), header_names)

    def add(self, *secrets: str) -> None:
        """Mask these too (a token fetched while sending)."""
        forms = {f for s in secrets if len(s) >= MIN_SECRET for f in derived_forms(s)}
        merged = set(self._secrets) | forms
        self._secrets = sorted(merged, key=len, reverse=True)

    def text(self, value: str) -> str:
        """`value` with every secret replaced."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def content(self, data: bytes) -> bytes:
        """Bytes (a body) with every secret's UTF-8 form replaced."""
        for secret in self._secrets:
            data = data.replace(secret.encode(), REDACTED.encode())
        return data

    def header(self, name: str, value: str) -> str:
        """A sensitive header masked by name (its scheme kept), any other one by value."""
        return _mask(value) if name.lower() in self._headers else self.text(value)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with sensitive ones masked by name and secrets masked by value."""
        return {name: self.header(name, value) for name, value in headers.items()}

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
