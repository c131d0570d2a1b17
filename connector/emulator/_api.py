"""The API an emulator serves: its operations and router, the base path and the scope
(Rebilly's organization), the credentials it takes, and which behaviour runs each operation.

Two kinds: `rebilly_api()` (the payout operations with their stateful behaviours; operations
from the shipped templates by default) and `api_from_description(document)` (any API,
served with the generic resource behaviour of `_generic`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from connector.emulator import _allocations, _batches, _generic, _payouts
from connector.emulator._context import Behaviour
from connector.emulator._description import resolve
from connector.emulator._http import problem
from connector.emulator._ids import id_problem
from connector.emulator._operations import (
    Operation,
    Router,
    operations_from_description,
    server_prefix,
)
from connector.emulator._shipped import REBILLY_PATHS, shipped_operations
from connector.emulator._validation import BodyError, parse_json

__all__ = [
    "REBILLY_PATHS",
    "Api",
    "Credentials",
    "api_from_description",
    "rebilly_api",
]

REBILLY_PREFIX: Final = "/organizations/{organizationId}"
REBILLY_HOSTS: Final = frozenset({"api.rebilly.com", "api-sandbox.rebilly.com"})
_VARIABLE: Final = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Credentials:
    """Where a request may carry its credential: API-key headers or query parameters, and
    `Authorization: Bearer` / `Basic`."""

    header_names: tuple[str, ...] = ("REB-APIKEY",)
    query_names: tuple[str, ...] = ()
    bearer: bool = True
    basic: bool = False
    challenge: str = 'Bearer realm="rebilly"'

    def presented(self, request: Request) -> tuple[str | None, str]:
        """(what carried it, the secret), or (None, "")."""
        for name in self.header_names:
            value = request.headers.get(name)
            if value is not None:
                return name, value.strip()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if self.bearer and scheme.lower() == "bearer":
            return "Bearer", token.strip()
        if self.basic and scheme.lower() == "basic":
            return "Basic", token.strip()
        for name in self.query_names:
            if name in request.args:
                return name, request.args[name].strip()
        return None, ""

    def refusal(self, instance: str) -> Response:
        """The 401 answer."""
        ways = [f"{name} header" for name in self.header_names]
        ways += ["Authorization: Bearer"] if self.bearer else []
        ways += ["Authorization: Basic"] if self.basic else []
        ways += [f"{name} query parameter" for name in self.query_names]
        detail = "Invalid credentials: send " + " or ".join(ways or ["a credential"])
        return problem(
            401,
            "Unauthorized",
            detail,
            instance=instance,
            headers={"WWW-Authenticate": self.challenge},
        )


@dataclass
class Api:
    """What is served, and how."""

    operations: Sequence[Operation]
    behaviours: Mapping[str, Behaviour] = field(default_factory=dict)
    prefix: str = ""
    scope: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    id_rule: bool = False

    def __post_init__(self) -> None:
        self.router = Router(self.operations, self.prefix)

    def behaviour(self, operation: Operation) -> Behaviour:
        """The operation's own behaviour, else the generic resource behaviour."""
        return self.behaviours.get(operation.operation_id, _generic.respond)

    def base_path(self, scope: str) -> str:
        """The base path with the scope filled in (`/organizations/org-1`)."""
        if self.scope is None:
            return self.prefix
        return self.prefix.replace("{" + self.scope + "}", scope)

    def path_problem(
        self, values: Mapping[str, str], operation: Operation
    ) -> tuple[str, str] | None:
        """(why, which) when a path value makes the route not exist (Rebilly's id rule)."""
        if not self.id_rule:
            return None
        for name, value in values.items():
            broken = id_problem({name: value})
            if broken is not None:
                return broken, name
        return None

    def read_body(self, request: Request, raw: bytes, operation: Operation) -> Any:
        """The parsed JSON body (None when there is none; text for a declared non-JSON
        type). Raises BodyError for a body that cannot be read."""
        if operation.body is None and not raw:
            return None
        mimetype = request.mimetype
        if mimetype and not (mimetype == "application/json" or mimetype.endswith("+json")):
            if operation.body is None or mimetype not in operation.body.media_types:
                raise BodyError(f"send the body as application/json, not {mimetype}")
            return raw.decode("utf-8", "replace")
        if not raw and not mimetype:
            return None
        return parse_json(raw)


def _credentials(document: Mapping[str, Any]) -> Credentials:
    schemes = resolve(
        dict(document), (document.get("components") or {}).get("securitySchemes") or {}
    )
    headers, queries, bearer, basic = [], [], False, False
    for raw in schemes.values() if isinstance(schemes, dict) else []:
        scheme = resolve(dict(document), raw)
        if not isinstance(scheme, dict):
            continue
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            headers.append(str(scheme.get("name")))
        elif scheme.get("type") == "apiKey" and scheme.get("in") == "query":
            queries.append(str(scheme.get("name")))
        elif scheme.get("type") == "http":
            bearer |= str(scheme.get("scheme", "")).lower() == "bearer"
            basic |= str(scheme.get("scheme", "")).lower() == "basic"
        elif scheme.get("type") in {"oauth2", "openIdConnect"}:
            bearer = True
    # an API key in `Authorization` (AWS's signature, a raw token): any value there counts
    return Credentials(tuple(headers), tuple(queries), bearer, basic, challenge="Bearer")


def _is_rebilly(document: dict[str, Any]) -> bool:
    servers = document.get("servers") or []
    urls = [str(server.get("url", "")) for server in servers if isinstance(server, dict)]
    return any(urlsplit(url).hostname in REBILLY_HOSTS for url in urls)


def api_from_description(document: dict[str, Any], *, path_prefixes: Sequence[str] = ()) -> Api:
    """Any API, from its description: the generic resource behaviour for every operation
    (only those under `path_prefixes`, when given); the base path is the first server's path
    (its first variable, if any, is the scope). Rebilly's own description gets the payout
    operations' stateful behaviours as well."""
    operations = operations_from_description(document, path_prefixes=path_prefixes)
    if _is_rebilly(document):
        return rebilly_api(operations)
    servers = document.get("servers") or [{}]
    url = str(servers[0].get("url", "")) if isinstance(servers[0], dict) else ""
    prefix = server_prefix(url)
    variables = _VARIABLE.findall(prefix)
    return Api(
        operations=operations,
        prefix=prefix,
        scope=variables[0] if variables else None,
        credentials=_credentials(document),
    )


def rebilly_api(operations: Sequence[Operation] | None = None) -> Api:
    """Rebilly's payout operations with their stateful behaviours, under
    `/organizations/{organizationId}`; operations from the shipped templates by default."""
    if operations is None:
        operations = shipped_operations()
    return Api(
        operations=operations,
        behaviours={**_payouts.BEHAVIOURS, **_batches.BEHAVIOURS, **_allocations.BEHAVIOURS},
        prefix=REBILLY_PREFIX,
        scope="organizationId",
        id_rule=True,
    )


def rebilly_from_description(document: dict[str, Any]) -> Api:
    """Rebilly's payout operations read from Rebilly's description itself."""
    return rebilly_api(operations_from_description(document, path_prefixes=REBILLY_PATHS))
