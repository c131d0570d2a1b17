"""What `catalog import` recorded for each imported API: its variables and their hosts.

    <catalog>/bindings/<api>.json
    {"format": 2, "api": "acme", "prefix": "CONNECTOR_ACME",
     "source": {"path": "/abs/acme.yaml", "sha256": "..."},
     "accepted": ["api.acme.example"],                   the hosts the user accepted
     "servers": ["acme.example.net"],                    the hosts the user named (--server)
     "bindings": {"CONNECTOR_ACME_API_KEY": ["api.acme.example"]}}

One record per API, never merged with another's: a variable is an API's own (the import
refuses a variable another API has), and a credential goes only to the hosts its own API's
record binds it to. A record of the first format (`{"VAR": ["host"]}`) is read as bindings
with no source. A damaged record binds nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from connector._store import catalog_dir

FORMAT: Final = 2
_API_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Source:
    """Which description an API was imported from: its file, and its content's digest."""

    path: str = ""
    sha256: str = ""

    def same_as(self, other: Source) -> bool:
        """The same description: the same file (updated in place), or the same content."""
        return bool(
            (self.path and self.path == other.path) or (self.sha256 and self.sha256 == other.sha256)
        )


@dataclass(frozen=True)
class BindingRecord:
    """One imported API's credential variables, each with the hosts it may go to."""

    api: str
    bindings: Mapping[str, frozenset[str]]
    accepted: frozenset[str] = frozenset()
    """The hosts of the description the user accepted."""
    servers: frozenset[str] = frozenset()
    """The hosts the user named (`--server`)."""
    prefix: str = ""
    source: Source | None = None


def record_bindings(
    api: str,
    bindings: Mapping[str, Iterable[str]],
    *,
    catalog: Path | None = None,
    accepted: Iterable[str] = (),
    servers: Iterable[str] = (),
    prefix: str = "",
    source: Source | None = None,
) -> Path:
    """Record which hosts each credential variable of an imported API may go to (a variable
    with no host: loopback only), replacing the API's previous record; returns its path.

    Raises:
        ValueError: a bad API name, variable name or host.
    """
    if not _API_NAME.match(api):
        raise ValueError(f"{api!r} is not an API name")
    for name in bindings:
        if not _VARIABLE.match(name):
            raise ValueError(f"{name!r} is not an environment variable name")
    record: dict[str, Any] = {
        "format": FORMAT,
        "api": api,
        "prefix": prefix,
        "accepted": sorted({host_name(h) for h in accepted}),
        "servers": sorted({host_name(h) for h in servers}),
        "bindings": {
            name: sorted({host_name(h) for h in hosts}) for name, hosts in bindings.items()
        },
    }
    if source is not None:
        record["source"] = {"path": source.path, "sha256": source.sha256}
    folder = (catalog or catalog_dir()) / "bindings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{api}.json"
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def forget_bindings(api: str, *, catalog: Path | None = None) -> None:
    """Remove an API's record (its credentials then go to loopback only)."""
    if _API_NAME.match(api):
        ((catalog or catalog_dir()) / "bindings" / f"{api}.json").unlink(missing_ok=True)


def host_name(text: str) -> str:
    """A host as recorded: lower case, no trailing dot; ValueError when it is not one."""
    host = text.strip().rstrip(".").lower()
    if not _HOST.match(host) or len(host) > 253:
        raise ValueError(f"{text!r} is not a host name")
    return host


def read_records(catalog: Path | None = None) -> dict[str, BindingRecord]:
    """Every imported API's record, by API name (cached until the folder changes)."""
    folder = (catalog or catalog_dir()) / "bindings"
    try:
        stamp = folder.stat().st_mtime_ns
    except OSError:
        return {}
    return _read(folder, stamp)


@lru_cache(maxsize=8)
def _read(folder: Path, _stamp: int) -> dict[str, BindingRecord]:
    records: dict[str, BindingRecord] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8")[:1_000_000])
        except (OSError, ValueError):
            continue  # a damaged record binds nothing
        record = _parse(path.stem, raw)
        if record is not None:
            records[record.api] = record
    return records


def _parse(api: str, raw: Any) -> BindingRecord | None:
    if not isinstance(raw, dict):
        return None
    if raw.get("format") != FORMAT:  # the first format: {"VAR": ["host", ...]}
        return BindingRecord(api, _hosts_by_variable(raw))
    source = raw.get("source")
    source = source if isinstance(source, dict) else {}
    return BindingRecord(
        api,
        _hosts_by_variable(raw.get("bindings")),
        accepted=frozenset(_strings(raw.get("accepted"))),
        servers=frozenset(_strings(raw.get("servers"))),
        prefix=str(raw.get("prefix") or ""),
        source=Source(str(source.get("path") or ""), str(source.get("sha256") or "")),
    )


def _hosts_by_variable(raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(name): frozenset(h.lower() for h in _strings(hosts))
        for name, hosts in raw.items()
        if isinstance(hosts, list)
    }


def _strings(raw: Any) -> list[str]:
    return [str(item) for item in raw if isinstance(item, str)] if isinstance(raw, list) else []
