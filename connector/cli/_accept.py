"""`catalog import`'s credential part: the hosts table, and the question to the user.

The table lists every host the description names for a credential and every `--server`
host, where each comes from and whether it is bound. The question is asked only when stdin
is a terminal and a host is neither accepted (`--accept-hosts`, an earlier import) nor named
with `--server`; anywhere else an unanswered host stays unbound, and the import says so.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from connector.openapi._binding import BindingPlan, HostRow

SHOWN = 40
"""At most this many hosts in the summary's table (a description may name thousands); the
question lists every host it asks about."""


def answer(plan: BindingPlan, *, accept_all: bool, api: str, prefix: str) -> list[str]:
    """The description's hosts the user accepts now (none when nobody can be asked)."""
    waiting = plan.unanswered()
    if accept_all:
        return plan.hosts
    if not waiting or not _interactive():
        return []
    err = sys.stderr.write
    err(f"{api} names these hosts for its credentials ({prefix}_*):\n")
    for row in plan.rows(plan.accepted(())):  # every one: a host the user did not see is not
        if row.host in waiting:  # accepted by a yes
            err(f"  {row.host:<40} {row.named_by}\n")
    err("Send the credentials to these hosts? [y/N] ")
    sys.stderr.flush()
    try:
        reply = sys.stdin.readline(64)
    except (OSError, ValueError):
        return []
    return waiting if reply.strip().lower() in {"y", "yes"} else []


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def print_hosts(rows: list[HostRow], bindings: Mapping[str, set[str]], prefix: str) -> None:
    """The credentials part of the summary: variables (`(set)`: already in this environment,
    so this API will read it), the hosts table, and what to do."""
    out = sys.stdout.write
    if not bindings:
        out("  credentials: none\n")
        return
    names = [f"{name} (set)" if os.environ.get(name) else name for name in sorted(bindings)]
    out(f"  credentials (prefix {prefix}; --env-prefix to change): {', '.join(names)}\n")
    if rows:
        out(f"    {'host':<40} {'bound':<6} named by\n")
    for row in rows[:SHOWN]:
        note = f" ({row.note})" if row.note else ""
        out(f"    {row.host:<40} {'yes' if row.bound else 'NO':<6} {row.named_by}{note}\n")
    if len(rows) > SHOWN:
        out(f"    ... and {len(rows) - SHOWN} more (--json lists them)\n")
    unbound = [row.host for row in rows if not row.bound]
    if len(unbound) == len(rows):
        out(
            "    no host bound: the credentials go to loopback only (the emulator). Bind the\n"
            "    hosts above with --accept-hosts, or the real one with --server URL\n"
        )
    elif unbound:
        out(f"    {len(unbound)} host(s) not bound: no credential goes there (--accept-hosts)\n")


def hosts_json(
    rows: list[HostRow], bindings: Mapping[str, set[str]], prefix: str
) -> dict[str, Any]:
    """The same, for `--json`."""
    return {
        "prefix": prefix,
        "variables": {name: sorted(hosts) for name, hosts in sorted(bindings.items())},
        "hosts": [
            {"host": r.host, "namedBy": r.named_by, "bound": r.bound, "note": r.note} for r in rows
        ],
    }
