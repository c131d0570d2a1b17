"""The shipped templates of API `rebilly`, generated: the importer run over Rebilly's
description, then the overlay `task_templates/overlay/rebilly.json` (our names, titles,
descriptions, auth variables, settings, and the upsert's catalogue-page contract).

    python -m connector._shipped          # rewrite task_templates/, manifest.json and
                                          # connector/_shipped_index.json (`list` reads it)

The description and the catalogue page are read from where the overlay says (beside the
repository); nothing from them is kept in the project but the generated templates. A test
regenerates in memory and fails when a committed template differs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from connector._errors import DescriptionError
from connector._resources import templates_dir
from connector._store import sync_shipped_index
from connector.openapi import import_description, load_description
from connector.openapi._overlay import Overlay, apply_overlay

__all__ = ["OVERLAY", "generate", "overlay", "write"]

OVERLAY: Final = "overlay/rebilly.json"


def overlay() -> Overlay:
    """The overlay of the shipped API."""
    return Overlay.model_validate_json((templates_dir() / OVERLAY).read_text(encoding="utf-8"))


def generate(root: Path | None = None) -> dict[str, str]:
    """Each generated template's file name and text, in the order of the description.

    Raises:
        DescriptionError: the description is missing, or its payout operations and the
            overlay's do not match one for one.
    """
    root = root or templates_dir().parent
    decided = overlay()
    document = load_description(root / decided.description)
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
        document, api=decided.api, operations=sorted(listed), prefix="REBILLY"
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
