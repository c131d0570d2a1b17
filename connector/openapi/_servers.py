"""Servers as named environments, and the hosts an API's credentials are bound to.

The servers that apply to an operation (its own, else its path's, else the description's) are
the template's environments, named from their `name` (OpenAPI 3.2) or else their descriptions
(`Sandbox server` -> `sandbox`), else
`server1`, `server2`, ...; `{var}` becomes `<<var>>`. A variable whose default is a real value
stays a server variable (default and enum). A default that only stands in for a value (Rebilly's
`'{organizationId}'`, an empty string) makes the variable a required input instead. `local` is
the emulator on loopback, with the same path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from connector._hosts import host_of
from connector.openapi._names import env_name, identifier, split_words
from connector.openapi._refs import as_dict

LOCAL_BASE = "http://127.0.0.1:8765"
"""Where `connector emulator` listens by default."""

_VARIABLE = re.compile(r"\{([^{}]+)\}")
_FILLER = frozenset({"server", "servers", "environment", "env", "api", "url", "the", "base", "for"})


@dataclass
class Servers:
    """The environments of one operation and the inputs their URLs need."""

    environments: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    """Each concrete host a server URL names, and how (`server`, `server variable enum`, ...)."""
    warnings: list[str] = field(default_factory=list)


def is_placeholder(name: str, default: object) -> bool:
    """Whether a server variable's default only stands in for a value the user must give."""
    if not isinstance(default, str) or not default.strip():
        return True
    text = default.strip()
    return (text[0] in "{<" and text[-1] in "}>") or text.lower() in {name.lower(), "example"}


def build_servers(entries: list[Any], prefix: str) -> Servers:
    """Environments from a list of OpenAPI Server Objects (an empty list means `/`)."""
    result = Servers()
    taken: set[str] = set()
    first_path = ""
    for index, entry in enumerate(entries or [{"url": "/"}], start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        url, variables = _convert(entry, prefix, result)
        parts = urlsplit(_concrete(url, variables))
        if not first_path:
            first_path = _path_of(url) if parts.scheme else url.split("?", 1)[0].rstrip("/")
        if parts.scheme not in {"http", "https"}:
            result.warnings.append(
                f"server {entry['url']!r} is not an absolute http(s) URL: use 'local' or a base URL"
            )
            continue
        netloc = url.replace("<<", "{").replace(">>", "}").split("://", 1)[-1].split("/", 1)[0]
        for host, note in _hosts(netloc, variables).items():
            result.hosts.setdefault(host, note)
        name = _environment_name(_label(entry), index, taken)
        server: dict[str, Any] = {"url": url.rstrip("/")}
        if isinstance(entry.get("description"), str) and entry["description"]:
            server["description"] = entry["description"]
        if variables:
            server["variables"] = variables
        result.environments[name] = server if len(server) > 1 else server["url"]
    result.environments["local"] = LOCAL_BASE + first_path
    return result


def _convert(entry: dict[str, Any], prefix: str, result: Servers) -> tuple[str, dict[str, Any]]:
    declared = as_dict(entry.get("variables"))
    variables: dict[str, Any] = {}

    def replace(match: re.Match[str]) -> str:
        raw = match.group(1)
        spec = as_dict(declared.get(raw))
        key = identifier(raw)
        default = spec.get("default")
        if is_placeholder(raw, default):
            result.inputs[key] = _input(raw, spec, prefix)
        else:
            variables[key] = _variable(spec)
        return f"<<{key}>>"

    return _VARIABLE.sub(replace, entry["url"]), variables


def _input(raw: str, spec: dict[str, Any], prefix: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    enum = [str(v) for v in spec.get("enum", []) if isinstance(v, str | int)]
    if enum:
        schema["enum"] = enum
    described = spec.get("description")
    return {
        "in": "path",
        "required": True,
        "env": env_name(prefix, raw),
        "description": described if isinstance(described, str) else "",
        "schema": schema,
    }


def _variable(spec: dict[str, Any]) -> dict[str, Any]:
    variable: dict[str, Any] = {"default": str(spec["default"])}
    enum = [str(v) for v in spec.get("enum", []) if isinstance(v, str | int)]
    if enum:
        variable["enum"] = enum if variable["default"] in enum else [variable["default"], *enum]
    if isinstance(spec.get("description"), str) and spec["description"]:
        variable["description"] = spec["description"]
    return variable


def _concrete(url: str, variables: dict[str, Any]) -> str:
    """The URL with each server variable at its default (placeholders left as they are)."""
    for key, spec in variables.items():
        url = url.replace(f"<<{key}>>", spec["default"])
    return url


def _path_of(url: str) -> str:
    """The path of a server URL that may hold `<<variables>>` in its host."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return ("/" + rest.split("/", 1)[1]).rstrip("/") if "/" in rest else ""


def _hosts(netloc: str, variables: dict[str, Any]) -> dict[str, str]:
    """The concrete hosts of a server, each with how the description names it: the server
    itself (variables at their defaults), or an `enum` value of a variable in the host name.
    The host is the one a connection goes to (`api.good.example@evil.example` is evil.example,
    and says how it was written)."""
    found: dict[str, str] = {}
    for key, spec in variables.items():
        netloc_default = netloc.replace(f"{{{key}}}", str(spec["default"]))
        for value in spec.get("enum") or ():
            other = netloc.replace(f"{{{key}}}", str(value))
            if other != netloc_default:
                _add(found, other, "server variable enum")
        netloc = netloc_default
    _add(found, netloc, "server")
    return found


def _add(found: dict[str, str], netloc: str, note: str) -> None:
    if "{" in netloc or not netloc:
        return  # a host still to be given (an input): bound only by --server
    host = host_of(f"https://{netloc}")
    if not host:
        return
    disguised = "@" in netloc or "\\" in netloc
    found[host] = f"{note}, written as {netloc!r}" if disguised else note


def _label(entry: dict[str, Any]) -> object:
    """What names a server's environment: its `name` (OpenAPI 3.2), else its description."""
    name = entry.get("name")
    return name if isinstance(name, str) and name.strip() else entry.get("description")


def _environment_name(description: object, index: int, taken: set[str]) -> str:
    words = (
        [w for w in split_words(description) if w not in _FILLER]
        if isinstance(description, str)
        else []
    )
    name = "-".join(words[:3]) if words and len(words) <= 3 else f"server{index}"
    if name == "local" or name in taken:
        name = f"server{index}"
    taken.add(name)
    return name
