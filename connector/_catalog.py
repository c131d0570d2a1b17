"""Where the shipped task templates and the manifest live, and finding a task by name or path.

In a source checkout they are `task_templates/` and `manifest.json` at the repository root;
in an installed wheel the same files ship as `connector/_data/`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from connector._errors import TemplateError
from connector._task import Task
from connector._template import load_template_file

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


def load_task(name_or_path: str | Path) -> Task:
    """A shipped task by name, or any template file by path.

    Raises:
        TemplateError: no such task, or the file is not a valid template.
    """
    path = _resolve(name_or_path)
    stat = path.stat()
    return _load(path, stat.st_mtime_ns, stat.st_size)


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" or len(candidate.parts) > 1:
        if candidate.is_file():
            return candidate.resolve()
        raise TemplateError(f"no template file at {candidate}")
    shipped = templates_dir() / f"{name_or_path}.json"
    if shipped.is_file():
        return shipped
    known = ", ".join(task_names()) or "none"
    raise TemplateError(f"no task named {str(name_or_path)!r} (shipped tasks: {known})")


@lru_cache(maxsize=64)
def _load(path: Path, _mtime_ns: int, _size: int) -> Task:
    template = load_template_file(path)
    return Task(template, source=str(path))
