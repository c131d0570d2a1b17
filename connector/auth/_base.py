"""What every auth strategy is: a declared `Scheme` and the `Credential` it resolves to.

    Scheme       declared in a template (`auth.schemes.<id>`): which environment variables it
                 reads, how an engine export references it, what stands in for it locally
    Credential   resolved from the environment at prepare time: how it is applied to the
                 outgoing request (`flow`, a generator as httpx's `Auth.auth_flow`: it yields
                 requests and receives their responses, so it can fetch a token or answer a
                 401), what it looks like redacted, and every form of its secret to mask

A credential's clear value leaves it only inside `flow`, which only the transport drives.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Final, Protocol
from urllib.parse import quote

from pydantic import SecretStr

from connector._model import StrictModel

REDACTED: Final = "<redacted>"

ENV_NAME: Final = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"
"""What an environment variable name may be."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One request as it goes on the wire: the transport sends exactly this."""

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes | None = None

    def with_header(self, name: str, value: str) -> Outgoing:
        """This request with one header set (replacing one of the same name)."""
        wanted = name.lower()
        headers = {k: v for k, v in self.headers.items() if k.lower() != wanted}
        return replace(self, headers={**headers, name: value})

    def with_query(self, name: str, value: str, *, encode: bool = True) -> Outgoing:
        """This request with `name=value` added to the query string (percent-encoded)."""
        pair = f"{quote(name, safe='')}={quote(value, safe='') if encode else value}"
        base, hash_, fragment = self.url.partition("#")
        joiner = "&" if "?" in base else "?"
        return replace(self, url=f"{base}{joiner}{pair}{hash_}{fragment}")

    def with_cookie(self, name: str, value: str) -> Outgoing:
        """This request with one more cookie in its `Cookie` header."""
        current = next((v for k, v in self.headers.items() if k.lower() == "cookie"), "")
        cookie = f"{current}; {name}={value}" if current else f"{name}={value}"
        return self.with_header("Cookie", cookie)


class Answer(Protocol):
    """What a flow receives back for each request it yields (the transport's `Response`)."""

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        ...

    @property
    def body(self) -> Any:
        """The parsed JSON body, the text, or None."""
        ...


Flow = Generator[Outgoing, Answer, None]
"""Yields requests to send; receives each one's answer; the last answer is the result."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a credential goes in an engine export: header, query and cookie values."""

    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


class UnsupportedInEngineError(Exception):
    """The engine cannot express this credential (it cannot fetch a token or base64)."""


class Credential(ABC):
    """A configured credential: its secret values, and how they are applied and hidden."""

    fetches_token: ClassVar[bool] = False
    scheme_id: str = ""
    variables: tuple[str, ...] = ()
    """The environment variables it came from (names, never values)."""

    @abstractmethod
    def apply(self, request: Outgoing, value: Callable[[SecretStr], str]) -> Outgoing:
        """Place the credential; `value` turns each secret into what is written."""

    @abstractmethod
    def secrets(self) -> list[str]:
        """Every clear value this credential sends or could be echoed as."""

    def flow(self, request: Outgoing, reveal: Callable[[str], None]) -> Flow:
        """Send the request with this credential applied (overridden to fetch tokens).

        `reveal` is told every secret learnt while sending (a fetched token), to be masked.
        """
        yield self.apply(request, SecretStr.get_secret_value)

    def public(self, request: Outgoing) -> Outgoing:
        """The request as shown: the credential in place, its values masked."""
        return self.apply(request, lambda _secret: REDACTED)

    def referenced(self, request: Outgoing, reference: Callable[[str], str]) -> Outgoing:
        """The request with the credential written as `reference(VAR)` (a shell `${VAR}`),
        for a command a person pastes: the value itself never appears."""
        return self.apply(request, lambda _secret: reference(self.variables[-1]))

    def destinations(self, url: str) -> list[str]:
        """Every URL this credential's secrets are sent to for a request to `url`."""
        return [url]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} from {', '.join(self.variables)}>"


class Scheme(StrictModel, ABC):
    """One declared way to authenticate (`auth.schemes.<id>` of a template)."""

    fetches_token: ClassVar[bool] = False
    """Whether its credential sends requests of its own (at most one per combination)."""

    description: str = ""

    @abstractmethod
    def variables(self) -> tuple[str, ...]:
        """The environment variables this scheme reads."""

    @abstractmethod
    def resolve(self, scheme_id: str, environ: Mapping[str, str]) -> Credential | None:
        """The credential from `environ`, or None when any of its variables is unset."""

    @abstractmethod
    def placement(self, reference: Callable[[str], str]) -> Placement:
        """Where an engine export puts it; `reference(VAR)` is the engine's secret expression.

        Raises:
            UnsupportedInEngineError: the engine's HTTP task cannot express this scheme.
        """

    @abstractmethod
    def summary(self) -> str:
        """One line for `describe`: where it goes and which variables it reads."""

    def header_names(self) -> tuple[str, ...]:
        """Headers that carry this scheme's credential (masked by name wherever shown)."""
        return ()

    def local_stub(self, key: str) -> dict[str, str]:
        """Environment values that stand in for the real ones against the local emulator."""
        names = self.variables()
        return {name: (key if name == names[-1] else "local") for name in names}


def read_secret(environ: Mapping[str, str], name: str) -> SecretStr | None:
    """A credential variable's value, or None when unset or blank (surrounding space dropped:
    a key mounted from a file ends in a newline)."""
    value = environ.get(name, "").strip()
    return SecretStr(value) if value else None
