"""A template's `auth`: named schemes and the OpenAPI `security` requirement over them.

    "auth": {"schemes": {"apiKey": {...}, "jwt": {...}}, "security": [["apiKey"], ["jwt"]]}

`security` lists alternatives (any one of them), each a combination (every scheme in it);
`[]` means no auth, an empty combination `[]` inside it means "anonymous is fine". Omitted,
each scheme alone is an alternative, in order. Today's list form (`[{"type": "apiKey",
"header": ..., "env": ...}]`) is read as that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field, SecretStr, model_validator

from connector._errors import FieldError, TemplateError
from connector._model import StrictModel
from connector.auth._base import Credential, Flow, Outgoing, Placement, UnsupportedInEngineError
from connector.auth._registry import AnyScheme

_ID = r"^[A-Za-z0-9_.-]{1,64}$"


class Auth(StrictModel):
    """How a task authenticates: declared, never written into the request."""

    schemes: dict[str, AnyScheme] = Field(default_factory=dict)
    security: list[list[str]] | None = Field(
        default=None, description="Alternatives of combinations; default: each scheme alone"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        return legacy_auth(data) if isinstance(data, list) else data

    @model_validator(mode="after")
    def _check(self) -> Auth:
        for index, requirement in enumerate(self.requirements()):
            unknown = [name for name in requirement if name not in self.schemes]
            if unknown:
                raise ValueError(f"security.{index}: no scheme named {unknown[0]!r}")
            flows = [n for n in requirement if self.schemes[n].fetches_token]
            if len(flows) > 1:
                raise ValueError(f"security.{index}: at most one token-fetching scheme")
        return self

    def requirements(self) -> list[list[str]]:
        """The alternatives, each the scheme ids that must all be sent."""
        return self.security if self.security is not None else [[n] for n in self.schemes]

    @property
    def required(self) -> bool:
        """Whether the operation wants a credential (some alternative is not anonymous)."""
        return any(self.requirements())

    def variables(self) -> tuple[str, ...]:
        """Every environment variable any scheme reads, in declaration order."""
        return tuple(dict.fromkeys(v for s in self.schemes.values() for v in s.variables()))

    def header_names(self) -> tuple[str, ...]:
        """Every header a scheme puts a credential in."""
        return tuple(dict.fromkeys(h for s in self.schemes.values() for h in s.header_names()))

    def resolve(self, environ: Mapping[str, str]) -> Credentials:
        """The first alternative whose every variable is set; none (anonymous) otherwise."""
        for requirement in self.requirements():
            found = [self.schemes[name].resolve(name, environ) for name in requirement]
            if requirement and all(found):
                return Credentials(tuple(c for c in found if c is not None))
        return Credentials(())

    def missing(self) -> str:
        """What to set, for a warning: `REBILLY_API_KEY or REBILLY_JWT`."""
        options = [self._variables_of(r) for r in self.requirements() if r]
        return " or ".join(options)

    def _variables_of(self, requirement: list[str]) -> str:
        return " and ".join(v for name in requirement for v in self.schemes[name].variables())

    def first_requirement(self) -> list[str]:
        """The first non-anonymous alternative (what an export or a local stub uses)."""
        return next((r for r in self.requirements() if r), [])

    def local_environ(self, environ: Mapping[str, str], key: str) -> dict[str, str]:
        """`environ` without any credential variable, and local stand-ins for the first
        alternative (the emulator accepts any key; a real one never goes there)."""
        names = set(self.variables())
        local = {k: v for k, v in environ.items() if k not in names}
        for name in self.first_requirement():
            local.update(self.schemes[name].local_stub(key))
        return local

    def placement(self, reference: Callable[[str], str], *, rename: str | None = None) -> Placement:
        """Where an engine export puts the first alternative's credentials.

        `reference(VAR)` is the engine's secret expression; `rename` replaces the variable
        when the alternative reads exactly one (`--credentials NAME`).

        Raises:
            TemplateError: a scheme the engine cannot express, its field named.
        """
        names = self.first_requirement()
        variables = [v for name in names for v in self.schemes[name].variables()]
        if rename and len(variables) == 1:
            original = reference
            reference = lambda _variable: original(rename)  # noqa: E731
        merged = Placement()
        for name in names:
            try:
                placement = self.schemes[name].placement(reference)
            except UnsupportedInEngineError as exc:
                raise TemplateError(
                    "the engine cannot send this credential",
                    field_errors=[FieldError(field=f"auth.schemes.{name}", message=str(exc))],
                ) from None
            merged.headers.update(placement.headers)
            merged.query.update(placement.query)
            merged.cookies.update(placement.cookies)
        return merged


class Credentials:
    """The credentials of one request (one alternative, resolved); empty = anonymous."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Credential, ...]) -> None:
        # A token-fetching credential drives the flow, so it goes last.
        self.items = tuple(sorted(items, key=lambda c: c.fetches_token))

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def variables(self) -> tuple[str, ...]:
        """The environment variables these credentials came from."""
        return tuple(v for c in self.items for v in c.variables)

    def secrets(self) -> list[str]:
        """Every clear value, to be masked wherever anything is shown."""
        return [s for c in self.items for s in c.secrets()]

    def public(self, request: Outgoing) -> Outgoing:
        """The request as shown: credentials in place, masked."""
        for credential in self.items:
            request = credential.public(request)
        return request

    def referenced(self, request: Outgoing, reference: Callable[[str], str]) -> Outgoing:
        """The request with each credential written as a reference to its variable."""
        for credential in self.items:
            request = credential.referenced(request, reference)
        return request

    def flow(self, request: Outgoing, reveal: Callable[[str], None]) -> Flow:
        """Apply every credential; the last one may fetch a token or answer a 401."""
        if not self.items:
            yield request
            return
        *static, last = self.items
        for credential in static:
            request = credential.apply(request, SecretStr.get_secret_value)
        yield from last.flow(request, reveal)

    def destinations(self, url: str) -> list[tuple[Credential, str]]:
        """Each credential with every URL it would be sent to."""
        return [(c, target) for c in self.items for target in c.destinations(url)]

    def __repr__(self) -> str:
        return f"<Credentials {', '.join(self.variables) or 'none'}>"


def legacy_auth(entries: list[Any]) -> dict[str, Any]:
    """Today's list form as format 2: each entry its own scheme and alternative."""
    schemes: dict[str, Any] = {}
    for index, entry in enumerate(entries):
        converted = _legacy_scheme(entry) if isinstance(entry, dict) else entry
        kind = converted.get("type") if isinstance(converted, dict) else None
        name = str(kind) if isinstance(kind, str) and kind not in schemes else str(index)
        if isinstance(entry, dict) and entry.get("type") == "bearer" and "jwt" not in schemes:
            name = "jwt" if kind == "http" else name
        schemes[name] = converted
    return {"schemes": schemes}


def _legacy_scheme(entry: dict[str, Any]) -> dict[str, Any]:
    if "header" not in entry or entry.get("type") not in {"apiKey", "bearer"}:
        return entry
    rest = {k: v for k, v in entry.items() if k not in {"type", "header", "scheme"}}
    header, prefix = entry["header"], entry.get("scheme")
    is_bearer = str(header).lower() == "authorization" and str(prefix).lower() == "bearer"
    if entry["type"] == "bearer" and is_bearer:
        return {"type": "http", "scheme": "bearer", **rest}
    scheme = {"type": "apiKey", "in": "header", "name": header, **rest}
    return {**scheme, "prefix": prefix} if prefix else scheme
