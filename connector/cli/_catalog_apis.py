"""`connector catalog list`, `catalog show API` and `catalog remove API`: the imported APIs.

`list` shows each imported API with its task count and environments (and the shipped one);
`show` one API's environments (with their kinds) and tasks; `remove` deletes an API's
templates, its kept description and its credential bindings, so nothing of it stays in
`list` or `search`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connector.cli._output import EXIT_OK, fail, print_json

if TYPE_CHECKING:
    import argparse


def register(actions: Any) -> None:
    """Add `list`, `show` and `remove` to the `catalog` command."""
    listing = actions.add_parser("list", help="the imported APIs: tasks and environments")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="one imported API: its environments and tasks")
    show.add_argument("api", metavar="API", help="the API's name (`catalog list`)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)
    remove = actions.add_parser("remove", help="delete an imported API and its tasks")
    remove.add_argument("api", metavar="API", help="the API's name (`catalog list`)")
    remove.add_argument("--json", action="store_true", help="print JSON")
    remove.set_defaults(handler=run_remove)


def _apis(catalog: Path) -> dict[str, list[dict[str, Any]]]:
    """Each imported API's index rows, by API name."""
    from connector._store import imported_rows

    found: dict[str, list[dict[str, Any]]] = {}
    for row in imported_rows(catalog):
        found.setdefault(str(row.get("api") or ""), []).append(row)
    return found


def _environments(catalog: Path, api: str, rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The environments of an API's first task, each with its kind and URL."""
    from connector._target import classify

    templates = []
    for row in rows[:1]:
        try:
            templates.append(json.loads((catalog / api / f"{row['name']}.json").read_text()))
        except (OSError, ValueError):
            continue
    return [
        {"name": name, "kind": kind, "url": url}
        for name, (kind, url) in classify(templates).items()
    ]


def run_list(args: argparse.Namespace) -> int:
    """Print each imported API: name, tasks, environments."""
    from connector._store import catalog_dir

    catalog = catalog_dir()
    entries: list[dict[str, Any]] = [
        {"api": api, "tasks": len(rows), "environments": _environments(catalog, api, rows)}
        for api, rows in sorted(_apis(catalog).items())
    ]
    if args.json:
        print_json(entries)
        return EXIT_OK
    if not entries:
        sys.stdout.write("no imported API: connector catalog import SPEC\n")
    for entry in entries:
        kinds = ", ".join(f"{e['name']} ({e['kind']})" for e in entry["environments"])
        sys.stdout.write(f"{entry['api']:<32} {entry['tasks']:>5} tasks  {kinds}\n")
    return EXIT_OK


def run_show(args: argparse.Namespace) -> int:
    """Print one API's environments and tasks."""
    from connector._store import catalog_dir
    from connector.cli._rows import format_row, list_row

    catalog = catalog_dir()
    rows = _apis(catalog).get(args.api)
    if rows is None:
        return fail("usage", _unknown(args.api, catalog), as_json=args.json)
    environments = _environments(catalog, args.api, rows)
    if args.json:
        print_json(
            {"api": args.api, "environments": environments, "tasks": [list_row(r) for r in rows]}
        )
        return EXIT_OK
    out = sys.stdout.write
    out(f"{args.api}: {len(rows)} tasks\n")
    for env in environments:
        out(f"  environment {env['name']} ({env['kind']}): {env['url']}\n")
    for row in rows:
        out(f"  {format_row(list_row(row))}\n")
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    """Delete an imported API (templates, kept description, credential bindings)."""
    from connector._store import RESERVED, catalog_dir, remove_api
    from connector.auth import forget_bindings

    catalog = catalog_dir()
    if args.api in RESERVED or args.api not in _apis(catalog):
        return fail("usage", _unknown(args.api, catalog), as_json=args.json)
    count = len(_apis(catalog)[args.api])
    try:
        remove_api(args.api, catalog=catalog)
        forget_bindings(args.api, catalog=catalog)
    except (OSError, ValueError) as exc:
        return fail("usage", f"cannot remove {args.api}: {exc}", as_json=args.json)
    if args.json:
        print_json({"api": args.api, "removed": count})
    else:
        sys.stdout.write(f"{args.api}: removed ({count} tasks)\n")
    return EXIT_OK


def _unknown(api: str, catalog: Path) -> str:
    """No such imported API, and the names there are (the closest first)."""
    from connector._suggest import did_you_mean

    known = sorted(_apis(catalog))
    hint = did_you_mean(api, known)
    listed = ", ".join(known) or "none (connector catalog import SPEC)"
    return f"no imported API named {api!r}{hint}; imported: {listed}"
