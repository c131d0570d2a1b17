"""Finding a task by name (a shipped template) or by path (any template file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from connector._errors import TemplateError
from connector._resources import data_dir, manifest_path, read_manifest, task_names, templates_dir
from connector._task import Task
from connector._template import load_template_file

__all__ = ["data_dir", "load_task", "manifest_path", "read_manifest", "task_names", "templates_dir"]


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
