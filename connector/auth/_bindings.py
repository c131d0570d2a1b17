"""Which hosts a credential may go to, and the check that refuses every other one.

A credential goes only to the hosts bound to its environment variable:
- built in: the shipped Rebilly credentials (`REBILLY_API_KEY`, `REBILLY_JWT`) to
  `api.rebilly.com` and `api-sandbox.rebilly.com`;
- recorded: the hosts the user accepted when importing an API (`catalog import`, see
  `_records`), per API: a template of an imported API is checked against its own API's
  record, never against a host another API's description named;
- loopback, for any credential (the emulator, a local stand-in);
- hosts allowed explicitly: `--allow-host HOST` and `CONNECTOR_ALLOWED_HOSTS` (commas).
Never over plain http to a host that is not loopback, allowed or not. Bindings are never
read from a template: a template is untrusted, and choosing the host is what it must not do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from connector._errors import CredentialHostError
from connector._hosts import host_of, is_loopback
from connector._store import CATALOG_ENV
from connector.auth._model import Auth, Credentials
from connector.auth._records import read_records

ALLOWED_HOSTS_ENV: Final = "CONNECTOR_ALLOWED_HOSTS"

REBILLY_HOSTS: Final = frozenset({"api.rebilly.com", "api-sandbox.rebilly.com"})
BUILT_IN: Final[Mapping[str, frozenset[str]]] = {
    "REBILLY_API_KEY": REBILLY_HOSTS,
    "REBILLY_JWT": REBILLY_HOSTS,
}


def read_bindings(catalog: Path | None = None) -> dict[str, frozenset[str]]:
    """Every variable with its hosts: built in, and each imported API's own. A variable that
    two records name (hand-made, or from before the import refused it) is bound to none: a
    binding is never merged across APIs."""
    bound: dict[str, frozenset[str]] = dict(BUILT_IN)
    owners: dict[str, int] = {}
    for record in read_records(catalog).values():
        for name, hosts in record.bindings.items():
            if name not in BUILT_IN:  # a record never widens (or narrows) a shipped binding
                owners[name] = owners.get(name, 0) + 1
                bound[name] = hosts if owners[name] == 1 else frozenset()
    return bound


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

    def bound_hosts(self, variable: str, api: str | None = None) -> frozenset[str]:
        """The hosts bound to one credential variable: built in, else its API's record (the
        template's `operation.api` when it names one that was imported), never another's."""
        if variable in BUILT_IN:
            return BUILT_IN[variable]
        record = read_records(self.catalog).get(api) if api else None
        if record is not None:
            return record.bindings.get(variable, frozenset())
        return read_bindings(self.catalog).get(variable, frozenset())

    def is_credential(self, variable: str) -> bool:
        """Whether any API reads `variable` as a credential (bound to hosts or not)."""
        return variable in read_bindings(self.catalog)

    def check(
        self, credentials: Credentials, url: str, *, task: str | None = None, api: str | None = None
    ) -> None:
        """Refuse, before anything is sent, a credential that would leave its hosts.

        Raises:
            CredentialHostError: naming the host and the credential's variable.
        """
        for credential, target in credentials.destinations(url):
            self._check(credential.variables, target, task=task, api=api)

    def check_template(
        self,
        auth: Auth,
        urls: Mapping[str, str],
        *,
        task: str | None = None,
        api: str | None = None,
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
                    self._check(scheme.variables(), target, task=task, field=field, api=api)

    def _check(
        self,
        variables: tuple[str, ...],
        target: str,
        *,
        task: str | None,
        field: str = "",
        api: str | None = None,
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
        unbound = [v for v in variables if host not in self.bound_hosts(v, api)]
        if unbound:
            raise CredentialHostError(_refusal(unbound, host, self, api) + where, task=task)


def _refusal(variables: list[str], host: str, policy: HostPolicy, api: str | None) -> str:
    hosts = sorted(policy.bound_hosts(variables[0], api))
    where = (
        f"is bound to {', '.join(hosts)} (and loopback)" if hosts else "is bound to loopback only"
    )
    return (
        f"refused: {' and '.join(variables)} would be sent to {host}, which it may not go to "
        f"({variables[0]} {where}); nothing was sent. If {host} is meant to get it, pass "
        f"--allow-host {host} or set {ALLOWED_HOSTS_ENV}={host}"
    )
