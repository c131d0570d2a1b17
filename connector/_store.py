"""The user catalogue: imported task templates on disk, a directory per API.

    $CONNECTOR_CATALOG/            (default: the per-user data directory, via platformdirs)
        <api>/<name>.json          one task template per operation
        <api>/_index.json          the rows `connector list` and `connector search` read
        <api>/_description.json    the description the API was imported from (parsed, as JSON):
                                   what the emulator serves for its test requests
        bindings/<api>.json        which hosts each credential variable may go to

Writing an API replaces all of its templates (and its description) at once and says what was
added, changed and removed. Reading is light (the standard library's json, no template
compiled, neither dataclasses nor platformdirs imported on Linux), so `connector list` and
`connector search` start fast; shipped tasks are listed from the package's own files.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from connector._resources import templates_dir

TYPE_CHECKING = False  # typing itself is not imported at run time: `list` starts without it
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any, Final

CATALOG_ENV: Final = "CONNECTOR_CATALOG"
INDEX: Final = "_index.json"
DESCRIPTION: Final = "_description.json"
RESERVED: Final = frozenset({"bindings"})
API_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
DESCRIPTION_CHARS: Final = 600
"""How much of an operation's description the index keeps for search."""
SHIPPED_INDEX: Final = Path(__file__).with_name("_shipped_index.json")
"""The rows of the shipped templates, generated (`python -m connector._store`; a test keeps it
current), so that `list` and `search` read one small file instead of every template."""


def catalog_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user catalogue: `$CONNECTOR_CATALOG`, else the per-user data directory."""
    environ = os.environ if environ is None else environ
    if environ.get(CATALOG_ENV):
        return Path(environ[CATALOG_ENV])
    return _xdg_data_dir(environ) or Path(_platform_data_dir())


def _xdg_data_dir(environ: Mapping[str, str]) -> Path | None:
    """platformdirs' answer on Linux in its plain case, without importing it (it would add
    about half a `python -c pass` to `connector list`); None where it decides more (a test
    compares the two)."""
    if not sys.platform.startswith("linux"):
        return None
    xdg, home = Path(environ.get("XDG_DATA_HOME", "")), Path(environ.get("HOME", ""))
    if xdg.is_absolute():
        return xdg / "connector"
    return home / ".local" / "share" / "connector" if home.is_absolute() else None


def _platform_data_dir() -> str:
    import platformdirs  # noqa: PLC0415 - only where the fast answer does not apply

    return platformdirs.user_data_dir("connector", appauthor=False)


def check_api_name(api: str) -> str:
    """`api` when it can name a catalogue directory; ValueError otherwise."""
    if not API_NAME.match(api) or api in RESERVED:
        raise ValueError(
            f"{api!r} is not an API name: lower-case letters, digits, '_', '.', '-' "
            f"(at most 64, not {', '.join(sorted(RESERVED))})"
        )
    return api


class Changes:
    """What writing an API changed, by task name (a plain class: importing `dataclasses`
    would add about a whole `python -c pass` to `connector list`)."""

    def __init__(self) -> None:
        self.added: list[str] = []
        self.changed: list[str] = []
        self.removed: list[str] = []
        self.unchanged: list[str] = []


def index_row(template: Mapping[str, Any]) -> dict[str, Any]:
    """What list and search need of one template (no schemas)."""
    operation = template.get("operation") or {}
    request = template.get("httpRequest") or {}
    return {
        "name": template["name"],
        "api": operation.get("api"),
        "operationId": operation.get("operationId"),
        "method": request.get("method"),
        "path": request.get("url"),
        "title": template.get("title", ""),
        "description": str(template.get("description", ""))[:DESCRIPTION_CHARS],
        "tags": list(operation.get("tags", [])),
        **({"group": operation["group"]} if operation.get("group") else {}),
        "parameters": sorted(template.get("parameters", {})) + _body_inputs(request.get("body")),
    }


def _body_inputs(body: Any) -> list[str]:
    return sorted(body) if isinstance(body, dict) else []


def write_api(
    api: str,
    templates: Iterable[Mapping[str, Any]],
    *,
    catalog: Path | None = None,
    description: Mapping[str, Any] | None = None,
) -> Changes:
    """Replace the API's templates in the catalogue, and the description they came from
    (none given: none kept); returns what changed.

    Raises:
        ValueError: `api` cannot name a directory, or `description` is not JSON data.
        OSError: the catalogue cannot be written.
    """
    folder = (catalog or catalog_dir()) / check_api_name(api)
    folder.mkdir(parents=True, exist_ok=True)
    _keep_description(folder, description)
    before = {path.stem for path in folder.glob("*.json") if not path.name.startswith("_")}
    changes = Changes()
    rows = []
    for template in templates:
        name = template["name"]
        text = json.dumps(template, indent=1, ensure_ascii=False) + "\n"
        path = folder / f"{name}.json"
        old = path.read_text(encoding="utf-8") if name in before else None
        if old != text:
            _write(path, text)
        (
            changes.added if old is None else changes.changed if old != text else changes.unchanged
        ).append(name)
        rows.append(index_row(template))
    for name in sorted(before - {row["name"] for row in rows}):
        (folder / f"{name}.json").unlink()
        changes.removed.append(name)
    _write(folder / INDEX, json.dumps(rows, ensure_ascii=False) + "\n")
    return changes


def _keep_description(folder: Path, description: Mapping[str, Any] | None) -> None:
    if description is None:
        (folder / DESCRIPTION).unlink(missing_ok=True)
        return
    try:
        text = json.dumps(description, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the description cannot be kept as JSON: {exc}") from None
    _write(folder / DESCRIPTION, text + "\n")


def description_path(api: str, catalog: Path | None = None) -> Path | None:
    """The description an imported API was imported from, or None when none is kept."""
    if not API_NAME.match(api) or api in RESERVED:
        return None
    path = (catalog or catalog_dir()) / api / DESCRIPTION
    return path if path.is_file() else None


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def remove_api(api: str, *, catalog: Path | None = None) -> bool:
    """Delete an API's templates; False when it was not there."""
    folder = (catalog or catalog_dir()) / check_api_name(api)
    if not folder.is_dir():
        return False
    import shutil  # noqa: PLC0415 - only to remove: keeps `list` start-up light

    shutil.rmtree(folder)
    return True


def imported_rows(catalog: Path | None = None, api: str | None = None) -> list[dict[str, Any]]:
    """The index rows of every imported API (or one), in API then file order."""
    root = catalog or catalog_dir()
    folders = [root / api] if api else sorted(p for p in root.glob("*") if p.name not in RESERVED)
    rows: list[dict[str, Any]] = []
    for folder in folders:
        try:
            loaded = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not an imported API (or a damaged index: re-import it)
        rows.extend(row for row in loaded if isinstance(row, dict) and "name" in row)
    return rows


def shipped_rows() -> list[dict[str, Any]]:
    """The rows of the shipped templates: from the generated index when it names exactly the
    shipped files (one small file, where the templates are a megabyte), else from each file."""
    try:
        index = json.loads(SHIPPED_INDEX.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        index = None
    if isinstance(index, dict) and index.get("files") == _shipped_files():
        rows: list[dict[str, Any]] = index["rows"]
        return rows
    return read_shipped_rows()


def _shipped_files() -> list[str]:
    return sorted(path.name for path in templates_dir().glob("*.json"))


def read_shipped_rows() -> list[dict[str, Any]]:
    """The rows of the shipped templates, read from each file (as JSON, not compiled)."""
    rows = []
    for path in sorted(templates_dir().glob("*.json")):
        try:
            rows.append(index_row(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return rows


def all_rows(api: str | None = None, catalog: Path | None = None) -> list[dict[str, Any]]:
    """Shipped then imported rows, optionally of one API (compared case-insensitively); each
    says where it comes from (`source`: `shipped` or `imported`)."""
    rows = [
        *({**row, "source": "shipped"} for row in shipped_rows()),
        *({**row, "source": "imported"} for row in imported_rows(catalog)),
    ]
    if api is None:
        return rows
    return [row for row in rows if str(row.get("api", "")).lower() == api.lower()]


def fingerprint(catalog: Path | None = None) -> tuple[tuple[str, int, int, int], ...]:
    """What identifies the catalogue's contents now: each file rows are read from, with its
    inode, size and modification time (a rewrite replaces the file, so the inode changes)."""
    root = catalog or catalog_dir()
    shipped = [SHIPPED_INDEX, *sorted(templates_dir().glob("*.json"))]
    files = [*shipped, *sorted(root.glob(f"*/{INDEX}"))]
    marks = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        marks.append((str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(marks)


def template_path(name: str, catalog: Path | None = None) -> Path | None:
    """The file of an imported task: `NAME` when one API has it, or `API/NAME`.

    Raises:
        LookupError: several APIs have a task of that name (the message lists them).
    """
    root = catalog or catalog_dir()
    if "/" in name:
        api, _, task = name.partition("/")
        path = root / api / f"{task}.json"
        return path if API_NAME.match(api) and _safe_name(task) and path.is_file() else None
    if not _safe_name(name):
        return None
    found = sorted(p for p in root.glob(f"*/{name}.json") if p.parent.name not in RESERVED)
    if len(found) > 1:
        options = ", ".join(f"{p.parent.name}/{name}" for p in found)
        raise LookupError(f"several imported APIs have a task named {name!r}: use one of {options}")
    return found[0] if found else None


def _safe_name(name: str) -> bool:
    return bool(re.match(r"^[a-z0-9][a-z0-9_.-]{0,79}$", name)) and ".." not in name


def shipped_index_json() -> str:
    """The shipped index as written to disk: the template files it was made from, their rows."""
    index = {"files": _shipped_files(), "rows": read_shipped_rows()}
    return json.dumps(index, indent=1, ensure_ascii=False) + "\n"


def sync_shipped_index() -> bool:
    """Rewrite the shipped index from the templates; True when it changed."""
    text = shipped_index_json()
    if SHIPPED_INDEX.is_file() and SHIPPED_INDEX.read_text(encoding="utf-8") == text:
        return False
    _write(SHIPPED_INDEX, text)
    return True


if __name__ == "__main__":
    print(f"{SHIPPED_INDEX.name} {'updated' if sync_shipped_index() else 'is up to date'}")  # noqa: T201
