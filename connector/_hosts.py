"""Hosts: the one loopback rule of the project, and the host a URL really goes to.

Loopback is `localhost` or a loopback IP literal (`127.0.0.0/8`, `::1`, and `::ffff:127.x`
written as IPv6). Every part of the connector that asks "is this loopback?" (credential
bindings, the plain-http warning, `serve` and `emulator` binding) calls `is_loopback`, so the
answer is the same everywhere.
"""

from __future__ import annotations

import ipaddress

__all__ = ["host_of", "is_absolute", "is_loopback"]


def is_loopback(host: str | None) -> bool:
    """Whether `host` (a name or an IP literal, brackets allowed) is this machine's loopback."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def is_absolute(url: str) -> bool:
    """Whether a template's URL names its scheme and host (else a path under a base URL)."""
    return url.lower().startswith(("http://", "https://"))


def host_of(url: str) -> str:
    """The lower-cased host a URL connects to, as the transport (urllib3) parses it.

    The same parser as the transport's, so that a URL cannot name one host to the check and
    another to the connection (`https://a.example\\@b.example/`).
    """
    from urllib3.util import parse_url  # noqa: PLC0415 (here: `connector list` never needs it)

    try:
        host = parse_url(url).host
    except ValueError:
        return ""
    return (host or "").strip("[]").rstrip(".").lower()
