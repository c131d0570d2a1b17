"""`securitySchemes` and `security` as a template's `auth`, with proposed variable names.

Each scheme an operation may use becomes one `auth.schemes` entry named by its id; `security`
keeps OpenAPI's meaning (any one alternative; every scheme of it; `[]` is none). Environment
variables are named under the API's prefix (`CONNECTOR_<API>` by default, see `_names`):
`<PREFIX>_API_KEY` when the API has one API key scheme, else `<PREFIX>_<SCHEME_ID>`;
`_USERNAME`/`_PASSWORD` for basic, `_CLIENT_ID`/`_CLIENT_SECRET` for OAuth 2 client
credentials (whose token endpoint is its `tokenUrl`, else read at run time from OpenAPI 3.2's
`oauth2MetadataUrl`, whose host is then the one named for the credentials). OAuth 2 flows
other than client credentials, and OpenID Connect, are sent as a bearer token obtained
elsewhere (`<PREFIX>_<SCHEME_ID>_TOKEN`). A scheme the format cannot send (HTTP digest, mutual
TLS, an API key in an unknown place) drops the alternatives that need it, with a warning.

A header, query or cookie parameter that holds a secret (`looks_secret`: `token`, `X-Api-Key`,
a description saying "bot token") is not an input: it becomes an API key scheme of its own,
read from `<PREFIX>_<NAME>`, required with every alternative (or offered beside them when the
parameter is optional), so it is redacted and bound to hosts as every credential is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from connector._credentials import looks_secret
from connector.auth._apikey import NAME_PATTERN
from connector.openapi._names import env_name, identifier, split_words
from connector.openapi._refs import as_dict

_WIRE = re.compile(NAME_PATTERN)
"""A name an API key scheme can send (an HTTP token)."""
_GENERIC_TOKEN_IDS = frozenset({"bearer", "bearer_auth", "token", "auth", "bearerauth"})


@dataclass
class SchemeTable:
    """Every security scheme of one API, converted once."""

    schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)


@dataclass
class AuthResult:
    """The `auth` of one operation (None: no auth) and what the import reports."""

    auth: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)


def scheme_table(declared: Any, prefix: str) -> SchemeTable:
    """Convert `components.securitySchemes` (already dereferenced) for an API."""
    table = SchemeTable()
    entries = (
        {k: v for k, v in declared.items() if isinstance(v, dict)}
        if isinstance(declared, dict)
        else {}
    )
    api_keys = [k for k, v in entries.items() if v.get("type") == "apiKey"]
    basics = [k for k, v in entries.items() if v.get("type") == "http" and _http(v) == "basic"]
    for scheme_id, spec in entries.items():
        converted = _convert(
            scheme_id,
            spec,
            prefix,
            single_key=api_keys == [scheme_id],
            single_basic=basics == [scheme_id],
        )
        if isinstance(converted, str):
            table.unsupported[scheme_id] = converted
        else:
            table.schemes[scheme_id] = converted
    return table


def _http(spec: dict[str, Any]) -> str:
    return str(spec.get("scheme", "")).lower()


def _convert(
    scheme_id: str, spec: dict[str, Any], prefix: str, *, single_key: bool, single_basic: bool
) -> dict[str, Any] | str:
    kind, http = spec.get("type"), _http(spec)
    if kind == "apiKey":
        return _api_key(
            scheme_id, spec, f"{prefix}_API_KEY" if single_key else env_name(prefix, scheme_id)
        )
    if kind == "http" and http == "basic":
        base = prefix if single_basic else env_name(prefix, scheme_id)
        return {
            "type": "http",
            "scheme": "basic",
            "usernameEnv": f"{base}_USERNAME",
            "passwordEnv": f"{base}_PASSWORD",
        }
    if kind == "oauth2":
        return _oauth2(scheme_id, spec, prefix)
    if (kind == "http" and http == "bearer") or kind == "openIdConnect":
        env = _token_env(prefix, scheme_id, suffix=kind == "openIdConnect")
        return {"type": "http", "scheme": "bearer", "env": env}
    return f"security scheme {scheme_id!r} ({kind} {http}) cannot be sent".replace("  ", " ")


def _api_key(scheme_id: str, spec: dict[str, Any], env: str) -> dict[str, Any] | str:
    if spec.get("in") not in {"header", "query", "cookie"} or not isinstance(spec.get("name"), str):
        return f"API key scheme {scheme_id!r} has no usable 'in' and 'name'"
    return {"type": "apiKey", "in": spec["in"], "name": spec["name"], "env": env}


def _token_env(prefix: str, scheme_id: str, *, suffix: bool = False) -> str:
    if "_".join(split_words(scheme_id)) in _GENERIC_TOKEN_IDS:
        return f"{prefix}_TOKEN"
    name = env_name(prefix, scheme_id)
    bare = name == prefix  # the scheme is named after the API
    return f"{name}_TOKEN" if (suffix or bare) and not name.endswith("TOKEN") else name


def _oauth2(scheme_id: str, spec: dict[str, Any], prefix: str) -> dict[str, Any]:
    flows = as_dict(spec.get("flows"))
    flow = flows.get("clientCredentials")
    token_url = flow.get("tokenUrl") if isinstance(flow, dict) else None
    metadata = spec.get("oauth2MetadataUrl")  # OpenAPI 3.2: RFC 8414 metadata
    where: dict[str, str] = {}
    if _is_http(token_url):
        where["tokenUrl"] = str(token_url)
    elif isinstance(flow, dict) and _is_http(metadata) and str(metadata).startswith("https://"):
        where["metadataUrl"] = str(metadata)  # the token endpoint is read from it
    if where:
        base = env_name(prefix, scheme_id)
        return {
            "type": "oauth2",
            "flow": "clientCredentials",
            **where,
            "clientIdEnv": f"{base}_CLIENT_ID",
            "clientSecretEnv": f"{base}_CLIENT_SECRET",
        }
    return {"type": "http", "scheme": "bearer", "env": _token_env(prefix, scheme_id, suffix=True)}


def _is_http(url: object) -> bool:
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))


def operation_auth(table: SchemeTable, requirement: Any) -> AuthResult:
    """The `auth` for one operation's effective `security` (a list of requirement objects)."""
    if not isinstance(requirement, list):
        return AuthResult(None)
    result = AuthResult(None)
    alternatives: list[list[str]] = []
    for entry in requirement:
        if not isinstance(entry, dict):
            continue
        names = [str(name) for name in entry]
        missing = [n for n in names if n not in table.schemes]
        if missing:
            reason = table.unsupported.get(
                missing[0], f"security scheme {missing[0]!r} is not declared"
            )
            result.warnings.append(f"{reason}: that alternative is left out")
            continue
        if names not in alternatives:
            alternatives.append(names)
    if not alternatives:
        return result
    used = dict.fromkeys(n for alternative in alternatives for n in alternative)
    auth: dict[str, Any] = {"schemes": {n: _scoped(table.schemes[n], requirement, n) for n in used}}
    if alternatives != [[n] for n in used]:
        auth["security"] = alternatives
    result.auth = auth
    return result


def _scoped(scheme: dict[str, Any], requirement: list[Any], name: str) -> dict[str, Any]:
    """An OAuth 2 scheme asks for the scopes the operation's requirement names."""
    if scheme.get("type") != "oauth2":
        return scheme
    scopes = [
        str(scope)
        for entry in requirement
        if isinstance(entry, dict) and isinstance(entry.get(name), list)
        for scope in entry[name]
    ]
    return {**scheme, "scopes": list(dict.fromkeys(scopes))} if scopes else scheme


def credential_variables(scheme: dict[str, Any]) -> list[str]:
    """The environment variables a converted scheme reads."""
    return [v for k, v in scheme.items() if k == "env" or k.endswith("Env")]


def secret_parameters(
    auth: dict[str, Any] | None, inputs: dict[str, dict[str, Any]], prefix: str
) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """Move the secret parameters out of `inputs` into `auth`: the new auth, the warnings,
    and the input keys taken out."""
    warnings: list[str] = []
    moved: list[str] = []
    for key, spec in list(inputs.items()):
        location, wire = spec.get("in"), str(spec.get("name", key))
        if location not in {"header", "query", "cookie"}:
            continue
        if not looks_secret(wire, str(spec.get("description", ""))) or not _WIRE.match(wire):
            continue  # (a name no API key scheme can send stays an input, masked when shown)
        del inputs[key]
        moved.append(key)
        env = env_name(prefix, wire)
        scheme_id = f"{location}.{identifier(wire)}"[:64]
        scheme = {"type": "apiKey", "in": location, "name": wire, "env": env}
        auth = _with_scheme(auth, scheme_id, scheme, required=bool(spec.get("required")))
        warnings.append(
            f"{location} parameter {wire!r} holds a secret: it is read from {env} and sent as "
            "a credential (never an input)"
        )
    return auth, warnings, moved


def _with_scheme(
    auth: dict[str, Any] | None, scheme_id: str, scheme: dict[str, Any], *, required: bool
) -> dict[str, Any]:
    """`auth` with one more scheme, needed with every alternative (or offered when optional)."""
    schemes = dict(auth["schemes"]) if auth else {}
    before: list[list[str]] = (auth.get("security") or [[n] for n in schemes]) if auth else [[]]
    schemes[scheme_id] = scheme
    combined = [[*alternative, scheme_id] for alternative in before]
    security = combined if required else [*combined, *before]
    return {"schemes": schemes, "security": security}
