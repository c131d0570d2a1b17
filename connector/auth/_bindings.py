"""Which hosts a credential may go to, and the check that refuses every other one.

A credential goes only to the hosts bound to its environment variable:
- built in: the shipped Rebilly credentials (`REBILLY_API_KEY`, `REBILLY_JWT`) to
  `api.rebilly.com` and `api-sandbox.rebilly.com`;
- recorded: what `catalog import` wrote for an imported API (`record_bindings`), under the
  catalogue directory (`$CONNECTOR_CATALOG`, default a per-user data directory);
- loopback, for any credential (the emulator, a local stand-in);
- hosts allowed explicitly: `--allow-host HOST` and `CONNECTOR_ALLOWED_HOSTS` (commas).
Never over plain http to a host that is not loopback, allowed or not. Bindings are never
read from a template: a template is untrusted, and choosing the host is what it must not do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

from connector._errors import CredentialHostError
from connector._hosts import host_of, is_loopback
from connector._store import CATALOG_ENV, catalog_dir
from connector.auth._model import Auth, Credentials

ALLOWED_HOSTS_ENV: Final = "CONNECTOR_ALLOWED_HOSTS"

REBILLY_HOSTS: Final = frozenset({"api.rebilly.com", "api-sandbox.rebilly.com"})
BUILT_IN: Final[Mapping[str, frozenset[str]]] = {
    "REBILLY_API_KEY": REBILLY_HOSTS,
    "REBILLY_JWT": REBILLY_HOSTS,
}

_API_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


def record_bindings(
    api: str, bindings: Mapping[str, Iterable[str]], *, catalog: Path | None = None
) -> Path:
    """Record which hosts each credential variable of an imported API may go to.

    Writes `<catalog>/bindings/<api>.json` (`{"VAR": ["host", ...]}`), replacing the API's
    previous record; returns its path.

    Raises:
        ValueError: a bad API name, variable name or host.
    """
    if not _API_NAME.match(api):
        raise ValueError(f"{api!r} is not an API name")
    record = {name: sorted({_host(h) for h in hosts}) for name, hosts in bindings.items()}
    for name in record:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise ValueError(f"{name!r} is not an environment variable name")
    folder = (catalog or catalog_dir()) / "bindings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{api}.json"
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def read_bindings(catalog: Path | None = None) -> dict[str, frozenset[str]]:
    """Every binding: built in, and every API's record in the catalogue (merged by variable)."""
    folder = (catalog or catalog_dir()) / "bindings"
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return dict(BUILT_IN)
    return _read(folder, stamp)


@lru_cache(maxsize=8)
def _read(folder: Path, _stamp: int) -> dict[str, frozenset[str]]:
    merged = {name: set(hosts) for name, hosts in BUILT_IN.items()}
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a damaged record binds nothing
        if isinstance(record, dict):
            for name, hosts in record.items():
                if isinstance(hosts, list):
                    merged.setdefault(name, set()).update(str(h).lower() for h in hosts)
    return {name: frozenset(hosts) for name, hosts in merged.items()}


def _host(text: str) -> str:
    host = text.strip().rstrip(".").lower()
    if not _HOST.match(host):
        raise ValueError(f"{text!r} is not a host name")
    return host


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """Where credentials may go for one call: bindings, and hosts allowed explicitly."""

    allowed: frozenset[str] = frozenset()
    catalog: Path | None = None

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], allow_hosts: Iterable[str] = ()
    ) -> HostPolicy:
        """`--allow-host` values plus `CONNECTOR_ALLOWED_HOSTS`, and the catalogue to read."""
        listed = environ.get(ALLOWED_HOSTS_ENV, "").split(",")
        hosts = {h.strip().rstrip(".").lower() for h in [*allow_hosts, *listed]} - {""}
        catalog = Path(environ[CATALOG_ENV]) if environ.get(CATALOG_ENV) else None
        return cls(frozenset(hosts), catalog)

    def bound_hosts(self, variable: str) -> frozenset[str]:
        """The hosts bound to one credential variable (built in or recorded)."""
        if variable in BUILT_IN:
            return BUILT_IN[variable]
        return read_bindings(self.catalog).get(variable, frozenset())

    def check(self, credentials: Credentials, url: str, *, task: str | None = None) -> None:
        """Refuse, before anything is sent, a credential that would leave its hosts.

        Raises:
            CredentialHostError: naming the host and the credential's variable.
        """
        for credential, target in credentials.destinations(url):
            self._check(credential.variables, target, task=task)

    def check_template(
        self, auth: Auth, urls: Mapping[str, str], *, task: str | None = None
    ) -> None:
        """The same check for every credential a template declares, on each of its URLs
        (`{field: url}`) whose host is written out (a host from a placeholder is checked
        when the request is prepared). For `import`: refused before it is ever run.

        Raises:
            CredentialHostError: naming the host, the credential's variable and the field.
        """
        for scheme in auth.schemes.values():
            token_url = getattr(scheme, "token_url", None) or getattr(scheme, "metadata_url", None)
            targets = {**urls, **({"tokenUrl": token_url} if token_url else {})}
            for field, target in targets.items():
                if "<" not in host_of(target) and host_of(target):
                    self._check(scheme.variables(), target, task=task, field=field)

    def _check(
        self, variables: tuple[str, ...], target: str, *, task: str | None, field: str = ""
    ) -> None:
        host, plain = host_of(target), target.lower().startswith("http://")
        if is_loopback(host):
            return
        where = f" ({field})" if field else ""
        if plain:
            raise CredentialHostError(
                f"{', '.join(variables)} would be sent over plain http to {host}{where}: a "
                "credential goes unencrypted only to loopback; use https",
                task=task,
            )
        if host in self.allowed:
            return
        unbound = [v for v in variables if host not in self.bound_hosts(v)]
        if unbound:
            raise CredentialHostError(_refusal(unbound, host, self) + where, task=task)


def _refusal(variables: list[str], host: str, policy: HostPolicy) -> str:
    hosts = sorted(policy.bound_hosts(variables[0]))
    where = (
        f"is bound to {', '.join(hosts)} (and loopback)" if hosts else "is bound to loopback only"
    )
    return (
        f"refused: {' and '.join(variables)} would be sent to {host}, which it may not go to "
        f"({variables[0]} {where}); nothing was sent. If {host} is meant to get it, pass "
        f"--allow-host {host} or set {ALLOWED_HOSTS_ENV}={host}"
    )
