"""Where an imported API's credentials may go: the user decides at import, not the description.

A description names hosts (its servers, a path's or an operation's own servers, the values a
server variable's `enum` allows in the host, OAuth 2 token URLs); any of them may be an
attacker's. `catalog import` shows them and binds only those the user accepts:

- `--server URL`: the real host of the API (a description's server may be a placeholder);
- `--accept-hosts`: every host shown;
- an answer at the prompt, when stdin is a terminal;
- hosts accepted at an earlier import of the same description (a new host asks again).

Nothing else is bound: without an answer the credentials go to loopback only, and the import
says so. Before anything is written, the import is refused when it would replace another
description's API of the same name (unless `--replace`), or when one of its variables is
another API's, the shipped catalogue's, or one of the connector's own settings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector._errors import UsageError
from connector._hosts import host_of, is_loopback
from connector.auth import BUILT_IN, BindingRecord, Source, host_name
from connector.openapi._names import RESERVED_VARIABLES
from connector.openapi._security import credential_variables


def named_hosts(
    schemes: Mapping[str, Mapping[str, Any]], server_hosts: Mapping[str, str], where: str
) -> tuple[dict[str, set[str]], dict[str, str]]:
    """The hosts an operation's description names for each credential variable (its servers'
    hosts, and a token URL's for an OAuth 2 scheme), and what names each host."""
    named = {host: _named_by(note, where) for host, note in server_hosts.items()}
    found: dict[str, str] = {}
    bindings: dict[str, set[str]] = {}
    for scheme in schemes.values():
        hosts = dict(named)
        if scheme.get("type") == "oauth2":  # the token URL: for this scheme's variables only
            token = scheme.get("tokenUrl")  # else 3.2's metadata URL, which names its host
            label = "OAuth2 token URL" if token else "OAuth2 metadata URL"
            hosts.setdefault(host_of(str(token or scheme["metadataUrl"])), label)
        hosts = {h: w for h, w in hosts.items() if h and not is_loopback(h)}  # always allowed
        found.update({h: w for h, w in hosts.items() if h not in found})
        for variable in credential_variables(dict(scheme)):
            bindings.setdefault(variable, set()).update(hosts)
    return bindings, found


def _named_by(note: str, where: str) -> str:
    """`server of path /x, written as '...'`: what names a host, then how it is written."""
    kind, _, written = note.partition(", written as ")
    return f"{kind}{where}, written as {written}" if written else f"{kind}{where}"


def source_of(path: Path, document: Mapping[str, Any]) -> Source:
    """The description's identity: its file (resolved) and its content's digest."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return Source(str(path.resolve()), hashlib.sha256(canonical.encode()).hexdigest())


def refuse_replacing(
    api: str,
    source: Source,
    previous: BindingRecord | None,
    *,
    kept: Path | None,
    replace: bool,
) -> bool:
    """Whether the import replaces the same description's API (True: keep what the user
    accepted before). Another description's API of that name is refused unless `replace`;
    an API recorded without its source is the same when its kept description (`kept`) is.

    Raises:
        UsageError: another description would replace the API.
    """
    if previous is not None and previous.source is not None:
        if previous.source.same_as(source):
            return True
    elif kept is not None and _kept_digest(kept) == source.sha256:
        return False  # the same description, but what was bound then was never accepted
    if replace or (previous is None and kept is None):
        return False
    earlier = previous.source.path if previous and previous.source else "an unknown description"
    raise UsageError(
        f"refused: the catalogue has an API named {api!r} imported from {earlier}; "
        f"{source.path} would replace it and its credential bindings. Pass --replace to "
        "replace it, or --api NAME to import this one beside it (nothing was written)"
    )


def _kept_digest(kept: Path) -> str:
    try:
        document = json.loads(kept.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return source_of(kept, document).sha256 if isinstance(document, dict) else ""


def refuse_collisions(
    api: str, variables: Iterable[str], records: Mapping[str, BindingRecord]
) -> None:
    """Refuse variables that are another API's credential, shipped, or the connector's own.

    Raises:
        UsageError: naming each variable and whose it is.
    """
    taken: list[str] = []
    for variable in sorted(set(variables)):
        owners = [other for other, r in records.items() if other != api and variable in r.bindings]
        if variable in BUILT_IN:
            owners.insert(0, "the shipped rebilly tasks")
        if variable in RESERVED_VARIABLES:
            owners.insert(0, "the connector's own settings")
        if owners:
            taken.append(f"{variable} (of {', '.join(owners)})")
    if taken:
        raise UsageError(
            f"refused: {api} would read {'; '.join(taken)}. A credential variable belongs to "
            "one API: choose another prefix with --env-prefix PREFIX (nothing was written)"
        )


def server_hosts(urls: Iterable[str]) -> dict[str, str]:
    """The hosts of `--server URL`s, each with its URL.

    Raises:
        UsageError: a URL that is not https (or http to loopback), or names no host.
    """
    hosts: dict[str, str] = {}
    for url in urls:
        host = host_of(url) if url.lower().startswith(("https://", "http://")) else ""
        try:
            host = host_name(host)
        except ValueError:
            raise UsageError(f"--server {url!r}: not an http(s) URL with a host name") from None
        if url.lower().startswith("http://") and not is_loopback(host):
            raise UsageError(
                f"--server {url!r}: a credential goes over plain http only to loopback"
            )
        hosts[host] = url
    return hosts


@dataclass
class HostRow:
    """One host the import shows: where it comes from, and whether it is bound."""

    host: str
    named_by: str
    bound: bool
    note: str = ""


@dataclass
class BindingPlan:
    """What an import found and what it binds: every host the description names (for each
    credential variable), the user's `--server` hosts, and those accepted before."""

    candidates: Mapping[str, set[str]]
    named_by: Mapping[str, str]
    servers: Mapping[str, str] = field(default_factory=dict)
    before: frozenset[str] = frozenset()

    @property
    def hosts(self) -> list[str]:
        """Every host the description names for a credential, sorted."""
        return sorted({h for hosts in self.candidates.values() for h in hosts})

    def unanswered(self) -> list[str]:
        """The hosts the user has not yet accepted (nor named with --server)."""
        return [h for h in self.hosts if h not in self.before and h not in self.servers]

    def accepted(self, answer: Iterable[str]) -> frozenset[str]:
        """The description's hosts bound: accepted before, and those in `answer`."""
        return frozenset(h for h in self.hosts if h in self.before or h in set(answer))

    def bindings(self, accepted: frozenset[str]) -> dict[str, set[str]]:
        """Each credential variable with its hosts: the accepted ones the description names
        for it, and every `--server` host."""
        return {
            variable: (hosts & accepted) | set(self.servers)
            for variable, hosts in self.candidates.items()
        }

    def rows(self, accepted: frozenset[str]) -> list[HostRow]:
        """The table the import prints."""
        rows = [
            HostRow(h, self.named_by.get(h, "servers"), h in accepted, _note(h, self.before))
            for h in self.hosts
            if h not in self.servers
        ]
        rows += [HostRow(h, f"--server {url}", True) for h, url in self.servers.items()]
        return rows


def _note(host: str, before: frozenset[str]) -> str:
    return "accepted before" if host in before else ""
