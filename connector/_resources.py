"""Where the shipped task templates and the manifest live (no heavy imports: the CLI's
`list` reads the manifest through this module alone).

In a source checkout they are `task_templates/` and `manifest.json` at the repository root;
in an installed wheel the same files ship as `connector/_data/`.
"""

from __future__ import annotations

import json
from pathlib import Path

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    from typing import Any

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding `task_templates/` and `manifest.json`."""
    shipped = _PACKAGE / "_data"
    return shipped if (shipped / "manifest.json").is_file() else _PACKAGE.parent


def templates_dir() -> Path:
    """The folder of the shipped task templates."""
    return data_dir() / "task_templates"


def manifest_path() -> Path:
    """The shipped manifest.json."""
    return data_dir() / "manifest.json"


def read_manifest() -> dict[str, Any]:
    """The shipped manifest as parsed JSON."""
    result: dict[str, Any] = json.loads(manifest_path().read_text(encoding="utf-8"))
    return result


def task_names() -> list[str]:
    """Names of the shipped task templates, sorted."""
    return sorted(path.stem for path in templates_dir().glob("*.json"))
