"""Shipped templates copied for a test, changed where the test needs it."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from conftest import ROOT


def free_local(tmp_path: Path, name: str) -> str:
    """A copy of the shipped template `name` whose `local` URL is a free loopback port (so
    nothing else this machine runs on 8765 answers for it); its path."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    template = json.loads((ROOT / "task_templates" / f"{name}.json").read_text())
    template["servers"]["local"] = f"http://127.0.0.1:{port}/organizations/<<organizationId>>"
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template))
    return str(path)
