"""Finding a task by name (a shipped or an imported template) or by path (any template file).

A name is looked up among the shipped templates first, then in the user catalogue
(`NAME`, or `API/NAME` when several imported APIs have it). Only what is written as a path
(`written_as_path`: a `.json` suffix, `./`, `/`, or more than two parts) is read as a template
file: a file in the working directory never stands in for a task of the same name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from connector._errors import TemplateError
from connector._resources import data_dir, manifest_path, read_manifest, task_names, templates_dir
from connector._store import template_path
from connector._suggest import did_you_mean, shown
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
    if isinstance(name_or_path, Path) or written_as_path(str(name_or_path)):
        if candidate.is_file():
            return candidate.resolve()
        raise TemplateError(f"no template file at {candidate}")
    text = str(name_or_path)
    shipped = templates_dir() / f"{text}.json"
    if "/" not in text and shipped.is_file():
        return shipped
    try:
        imported = template_path(text)
    except LookupError as exc:
        raise TemplateError(str(exc)) from None
    if imported is not None:
        return imported
    if candidate.is_file():  # a file named like a task is never read unless written as a path
        raise TemplateError(
            f"no task named {shown(text)!r}; to read the file of that name, write it as a path: "
            f"./{shown(text)}"
        )
    known = task_names()
    hint = did_you_mean(text, known)
    raise TemplateError(
        f"no task named {shown(text)!r}{hint} (shipped tasks: {', '.join(known) or 'none'}; "
        "`connector list` shows imported ones)"
    )


def written_as_path(text: str) -> bool:
    """Whether a task argument is a file path rather than a task name: it ends in `.json`,
    starts at a directory (`./`, `../`, `/`, `~`), or has more than the two parts of
    `API/NAME`. A bare word is always a name, so a file in the working directory named like
    a shipped task never replaces it."""
    if text.endswith(".json") or text.startswith(("./", "../", "/", "~", ".\\", "..\\")):
        return True
    return len(Path(text).parts) > 2 or Path(text).is_absolute()


@lru_cache(maxsize=64)
def _load(path: Path, _mtime_ns: int, _size: int) -> Task:
    template = load_template_file(path)
    return Task(template, source=str(path))
