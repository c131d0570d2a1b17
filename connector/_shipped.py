"""The shipped templates of API `rebilly`, generated: the importer run over Rebilly's
description with the standard overlay `task_templates/overlay/rebilly.overlay.json` applied,
then the connector's own decisions that overlay carries (our names, titles, descriptions,
auth variables, settings, and the upsert's catalogue-page contract).

    python -m connector._shipped          # rewrite task_templates/, manifest.json and
                                          # connector/_shipped_index.json (`list` reads it)

The overlay is an OpenAPI Initiative Overlay: its `extends` names the description (relative to
the overlay file), its actions give each payout operation our title (`summary`) and
description, and `x-connector-task` on the operation holds what only the connector reads (the
task name, input glossary, catalogue page and field patches, examples); `x-connector-catalogue`
on the overlay holds what applies to every task (environments, auth, retry and timeouts,
palette groups). Each template records the overlay that produced it (`overlays`). The
description and the catalogue page are read from beside the repository; nothing from them is
kept in the project but the generated templates. A test regenerates in memory and fails when
a committed template differs.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any, Final

from connector._errors import DescriptionError
from connector._resources import templates_dir
from connector._store import sync_shipped_index
from connector.openapi import import_description, load_description
from connector.openapi._oai_overlay import apply_overlays, read_overlay
from connector.openapi._overlay import Overlay, apply_overlay
from connector.openapi._refs import as_dict

__all__ = ["OVERLAY", "generate", "overlay", "write"]

OVERLAY: Final = "overlay/rebilly.overlay.json"
_CATALOGUE: Final = "x-connector-catalogue"
_TASK: Final = "x-connector-task"


def _decided(root: Path) -> tuple[Overlay, dict[str, Any]]:
    """The connector's decisions and the description with the standard overlay applied."""
    path = templates_dir() / OVERLAY
    standard = read_overlay(path)
    extends = os.path.normpath(path.parent / str(standard.extends))
    written = load_description(Path(extends))
    document = apply_overlays(written, [(OVERLAY, standard)])
    operations = {
        str(op["operationId"]): {
            **op[_TASK],
            "title": op.get("summary", ""),
            "description": op.get("description", ""),
        }
        for item in as_dict(document.get("paths")).values()
        for op in as_dict(item).values()
        if isinstance(op, dict) and _TASK in op
    }
    decided = Overlay.model_validate(
        {
            **(standard.model_extra or {})[_CATALOGUE],
            "description": os.path.relpath(extends, root),
            "operations": operations,
        }
    )
    return decided, document


def overlay(root: Path | None = None) -> Overlay:
    """The connector's decisions for the shipped API (reads the description it extends).

    Read once per process while the overlay file is unchanged: it takes the description
    itself (about a second), and callers ask for it per operation.
    """
    root = root or templates_dir().parent
    stat = (templates_dir() / OVERLAY).stat()
    return _cached_overlay(root, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _cached_overlay(root: Path, mtime_ns: int, size: int) -> Overlay:
    del mtime_ns, size  # the cache key: a rewritten overlay is read again
    return _decided(root)[0]


def generate(root: Path | None = None) -> dict[str, str]:
    """Each generated template's file name and text, in the order of the description.

    Raises:
        DescriptionError: the description is missing, or its payout operations and the
            overlay's do not match one for one.
    """
    root = root or templates_dir().parent
    decided, document = _decided(root)
    listed = {
        str(operation["operationId"])
        for path, item in (document.get("paths") or {}).items()
        if path.startswith(tuple(decided.paths))
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    if listed != set(decided.operations):
        missing = sorted(listed - set(decided.operations))
        extra = sorted(set(decided.operations) - listed)
        raise DescriptionError(
            f"overlay and description differ: not in the overlay {missing}, "
            f"not in the description {extra}"
        )
    result = import_description(
        document,
        api=decided.api,
        operations=sorted(listed),
        prefix="REBILLY",
        overlays=[OVERLAY],
    )
    stopped = [skip.reason for skip in result.skipped if skip.operation_id in listed]
    if stopped:
        raise DescriptionError("operations not imported: " + "; ".join(stopped))
    return {
        f"{template['name']}.json": json.dumps(template, indent=2, ensure_ascii=False) + "\n"
        for template in apply_overlay(result, decided, document, root)
    }


def write(root: Path | None = None) -> list[str]:
    """Rewrite the generated templates (and remove stale ones of the API); the changed names."""
    folder = templates_dir()
    generated = generate(root)
    api_name = overlay().api
    changed = []
    for path in folder.glob("*.json"):
        api = json.loads(path.read_text(encoding="utf-8")).get("operation", {}).get("api")
        if str(api).lower() == api_name and path.name not in generated:
            path.unlink()
            changed.append(path.name)
    for name, text in generated.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


if __name__ == "__main__":
    from connector._manifest import sync_manifest  # the manifest reads the overlay's groups

    changed = write()
    print(f"{len(changed)} template(s) rewritten" if changed else "templates are up to date")  # noqa: T201
    print("manifest.json updated" if sync_manifest() else "manifest.json is up to date")  # noqa: T201
    print(f"shipped index {'updated' if sync_shipped_index() else 'is up to date'}")  # noqa: T201
