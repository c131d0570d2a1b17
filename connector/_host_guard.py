"""Host and Origin checks for the connector's local HTTP servers (the service, the emulator).

Framework-neutral functions of header values, so that every server applies the same rules:

- `allowed_hosts_for(bind)`: the names a server bound to `bind` answers for: the loopback
  names and the bound address itself (`--host 127.0.0.2` answers for `127.0.0.2`); None
  beyond loopback, where a token guards the server instead;
- `host_allowed(header, allowed)`: the `Host` header parsed strictly (a name, an IPv4
  address or a bracketed IPv6 address, and an optional numeric port), so that neither
  `evil.com@localhost` nor `localhost:evil` passes as `localhost` (DNS rebinding);
- `same_origin(origin, host, scheme)`: a browser's `Origin` names this server: the same
  scheme, host and port;
- `SECURITY_HEADERS`: what every answer carries, so no other site can frame the page.

Starlette's `TrustedHostMiddleware` does not fit: it splits `Host` at the first `:`, which
lets `localhost:evil` through and cannot read `[::1]:8780`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

from connector._hosts import is_loopback

__all__ = [
    "LOOPBACK_HOSTS",
    "SECURITY_HEADERS",
    "allowed_hosts_for",
    "host_allowed",
    "parse_host",
    "same_origin",
]

LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})

SECURITY_HEADERS: Final = (
    ("content-security-policy", "frame-ancestors 'none'"),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
)

_HOST = re.compile(r"(?P<name>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>[0-9]{0,5}))?")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def allowed_hosts_for(bind: str) -> frozenset[str] | None:
    """The host names a server bound to `bind` answers for (None: any, beyond loopback)."""
    if not is_loopback(bind):
        return None
    return LOOPBACK_HOSTS | {bind.strip("[]").rstrip(".").lower()}


def parse_host(value: str) -> tuple[str, int | None] | None:
    """`(name, port)` of a `Host` header (name lower-cased, without brackets), or None."""
    match = _HOST.fullmatch(value)
    if match is None:
        return None
    name, port = match["name"], int(match["port"]) if match["port"] else None
    if name.startswith("[") and not _is_ipv6(name[1:-1]):
        return None
    if port is not None and not 0 < port < 65536:
        return None
    return name.strip("[]").rstrip(".").lower(), port


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def host_allowed(value: str, allowed: frozenset[str] | None) -> bool:
    """Whether a `Host` header is well formed and, when `allowed` is given, names one of it."""
    parsed = parse_host(value)
    return parsed is not None and (allowed is None or parsed[0] in allowed)


def same_origin(origin: str, host: str, scheme: str) -> bool:
    """Whether a browser's `Origin` is this server's own: scheme, host and port alike."""
    parts = urlsplit(origin)
    here = parse_host(host)
    try:
        origin_port = parts.port
    except ValueError:
        return False
    if here is None or parts.hostname is None or parts.scheme != scheme.lower():
        return False
    default = _DEFAULT_PORTS.get(scheme.lower())
    return (parts.hostname.lower(), origin_port or default) == (here[0], here[1] or default)
