"""`connector catalog import SPEC` and `connector search QUERY`."""

from __future__ import annotations

import sys
from pathlib import Path

from connector.cli._logging import add_logging_arguments
from connector.cli._output import EXIT_OK, fail, fail_with, print_json
from connector.cli._rows import hit_lines, list_row

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    import argparse
    from typing import Any


def register(commands: Any) -> None:
    """Add the catalogue import and search commands."""
    import argparse  # here: `connector list` formats its rows with this module, without it

    catalog = commands.add_parser("catalog", help="manage the catalogue of imported APIs")
    actions = catalog.add_subparsers(
        dest="action",
        metavar="ACTION",
        parser_class=type(catalog),
        help="import: add an API description's operations; list, show, remove: the imported APIs",
    )
    actions.required = True
    importing = actions.add_parser(
        "import",
        help="import every operation of an OpenAPI 3.x or Swagger 2.0 description as a task",
    )
    importing.add_argument("spec", metavar="SPEC", help="OpenAPI description file (JSON or YAML)")
    importing.add_argument("--api", help="API name (default: a slug of info.title)")
    importing.add_argument(
        "--overlay",
        action="append",
        default=[],
        metavar="FILE",
        help="apply this OpenAPI Initiative overlay first (repeatable; applied in order)",
    )
    importing.add_argument(
        "--operation",
        action="append",
        default=[],
        metavar="OPERATION_ID",
        help="import only this operation (repeatable; operationId or task name)",
    )
    importing.add_argument(
        "--tag",
        action="append",
        default=[],
        metavar="TAG",
        help="import only operations with this tag (repeatable)",
    )
    importing.add_argument(
        "--env-prefix",
        metavar="PREFIX",
        help="prefix of the API's environment variables (default: CONNECTOR_<API>)",
    )
    importing.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="URL",
        help="the API's real server: its credentials may go to this URL's host (repeatable)",
    )
    importing.add_argument(
        "--accept-hosts",
        action="store_true",
        help="let the credentials go to every host the description names (listed on import)",
    )
    importing.add_argument(
        "--replace",
        action="store_true",
        help="replace an API of the same name imported from another description",
    )
    importing.add_argument("--json", action="store_true", help="print JSON")
    importing.set_defaults(handler=run_import)
    add_logging_arguments(importing, default=argparse.SUPPRESS)
    from connector.cli._catalog_apis import register as register_apis

    register_apis(actions)

    search = commands.add_parser("search", help="find tasks by what they do")
    search.add_argument("query", metavar="QUERY", help="words, such as 'cancel a payout'")
    search.add_argument("--api", help="only tasks of this API")
    search.add_argument("--limit", type=int, default=10, metavar="N", help="at most N rows (10)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.add_argument(
        "--no-meaning",
        action="store_true",
        help="rank by words only, without the semantic extra's model (and its load)",
    )
    search.set_defaults(handler=run_search)


def run_import(args: argparse.Namespace) -> int:
    """Import a description into the catalogue, binding its credentials to the hosts the
    user accepts; exit 2 when it is not OpenAPI 3.x or Swagger 2.0, an overlay cannot be
    applied, or the import is refused."""
    from connector._errors import ConnectorError
    from connector._search_index import refresh_index
    from connector._store import catalog_dir, write_api
    from connector.auth import record_bindings
    from connector.cli._accept import answer, hosts_json, print_hosts
    from connector.openapi._binding import BindingPlan

    catalog = catalog_dir()
    try:
        document, result, source, previous, servers = _checked_import(args, catalog)
    except ConnectorError as exc:
        return fail_with(exc, as_json=args.json)
    except ValueError as exc:
        return fail("usage", str(exc), as_json=args.json)
    if not result.imported and not result.events:  # nothing to write: say why
        reasons = "; ".join(s.reason for s in result.skipped[:3])
        why = f"every operation was skipped: {reasons}" if reasons else "it describes none"
        return fail("usage", f"{args.spec}: no operation to import ({why})", as_json=args.json)
    plan = BindingPlan(
        result.bindings,
        result.hosts,
        {**dict.fromkeys(previous.servers if previous else (), "(earlier import)"), **servers},
        previous.accepted if previous else frozenset(),
    )
    accepted = plan.accepted(
        answer(plan, accept_all=args.accept_hosts, api=result.api, prefix=result.prefix)
    )
    bindings = plan.bindings(accepted)
    templates = [i.template for i in result.imported]
    try:
        # the description is kept beside the templates: the emulator serves it offline
        changes = write_api(result.api, templates, catalog=catalog, description=document)
        refresh_index(catalog)  # searching then reads the index, it does not build it
        record_bindings(
            result.api,
            bindings,
            catalog=catalog,
            accepted=accepted,
            servers=plan.servers,
            prefix=result.prefix,
            source=source,
        )
    except OSError as exc:
        return fail("usage", f"cannot write the catalogue at {catalog}: {exc}", as_json=args.json)
    except ValueError as exc:  # a server host that cannot be bound, a description not JSON
        return fail("usage", f"cannot write {result.api}: {exc}", as_json=args.json)
    folder = catalog / result.api
    rows = plan.rows(accepted)
    if args.json:
        print_json(
            {**_as_json(result, folder), "credentials": hosts_json(rows, bindings, result.prefix)}
        )
    else:
        _print_summary(result, changes, folder)
        print_hosts(rows, bindings, result.prefix)
    return EXIT_OK


def _checked_import(args: argparse.Namespace, catalog: Path) -> tuple[Any, ...]:
    """Read and import the description, refusing (before anything is written) a replacement
    of another description's API and a variable that is not this API's to read.

    Returns the document, the import, its source, the same description's previous record
    (None for a first or replacing import) and the `--server` hosts.

    Raises:
        ConnectorError: the description cannot be read, or the import is refused.
        ValueError: a bad API name or prefix.
    """
    from connector._store import check_api_name, description_path
    from connector.auth import read_records
    from connector.openapi import api_name, import_description
    from connector.openapi._binding import (
        refuse_collisions,
        refuse_replacing,
        server_hosts,
        source_of,
    )
    from connector.openapi._load import as_openapi3, read_document
    from connector.openapi._names import check_prefix
    from connector.openapi._oai_overlay import overlaid

    if args.api is not None:
        check_api_name(args.api)
    prefix = check_prefix(args.env_prefix) if args.env_prefix else None
    servers = server_hosts(args.server)
    written = overlaid(read_document(Path(args.spec)), [Path(p) for p in args.overlay])
    document = as_openapi3(written, source=args.spec)
    api = check_api_name(args.api or api_name(document))
    records = read_records(catalog)
    source = source_of(Path(args.spec), document)
    kept = description_path(api, catalog) or _folder(catalog, api)
    same = refuse_replacing(api, source, records.get(api), kept=kept, replace=args.replace)
    previous = records.get(api) if same else None
    result = import_description(
        document,
        api=api,
        operations=args.operation,
        tags=args.tag,
        source=args.spec,
        prefix=prefix or (previous.prefix if previous else None) or None,
        overlays=[Path(p).name for p in args.overlay],
    )
    refuse_collisions(api, _variables(result), records)
    return document, result, source, previous, servers


def _folder(catalog: Path, api: str) -> Path | None:
    """The API's folder when it exists (an API imported before descriptions were kept)."""
    folder = catalog / api
    return folder if folder.is_dir() else None


def _variables(result: Any) -> set[str]:
    """Every environment variable the imported templates read (credentials and others)."""
    variables = set(result.bindings)
    for imported in result.imported:
        variables.update(imported.template.get("env", ()))
    return variables


def _as_json(result: Any, folder: Path) -> dict[str, Any]:
    from connector._target import classify

    environments = classify(i.template for i in result.imported)
    return {
        "api": result.api,
        "environments": [
            {"name": name, "kind": kind, "url": url} for name, (kind, url) in environments.items()
        ],
        "imported": [
            {
                "operationId": i.operation_id,
                "name": i.name,
                "method": i.method,
                "path": i.path,
                "file": str(folder / f"{i.name}.json"),
                "warnings": list(i.warnings),
                "idempotency": i.idempotency,
            }
            for i in result.imported
        ],
        "skipped": [
            {"operationId": s.operation_id, "method": s.method, "path": s.path, "reason": s.reason}
            for s in result.skipped
        ],
        "events": [event.to_json() for event in result.events],
    }


def _print_summary(result: Any, changes: Any, folder: Path) -> None:
    out = sys.stdout.write
    out(
        f"{result.api}: {len(result.imported)} imported into {folder}, "
        f"{len(result.skipped)} skipped\n"
        f"  {len(changes.added)} added, {len(changes.changed)} changed, "
        f"{len(changes.removed)} removed, {len(changes.unchanged)} unchanged\n"
    )
    for label, names in (
        ("added", changes.added),
        ("changed", changes.changed),
        ("removed", changes.removed),
    ):
        for name in names[:20]:
            out(f"  {label}: {name}\n")
        if len(names) > 20:
            out(f"  {label}: ... and {len(names) - 20} more\n")
    for skipped in result.skipped:
        out(f"  skipped: {skipped.reason}\n")
    _print_environments(result)
    for line in _idempotency_lines(result.imported):
        out(line)
    if result.events:
        kinds = sorted({event.kind + "s" for event in result.events})
        out(f"  {len(result.events)} {' and '.join(kinds)} the API sends (--json lists them)\n")
    warned = sum(1 for i in result.imported if i.warnings)
    if warned:
        out(f"  {warned} imported with warnings (--json lists them)\n")


def _print_environments(result: Any) -> None:
    """Each environment with its kind: what a test request may reach, and what it never will
    by default (production)."""
    from connector._target import classify

    environments = classify(i.template for i in result.imported)
    for name, (kind, url) in environments.items():
        label = "the local emulator" if kind == "local" else kind
        sys.stdout.write(f"  environment {name} ({label}): {url}\n")
    if environments and not any(kind == "test" for kind, _ in environments.values()):
        sys.stdout.write(
            "  no test environment: test requests go to the local emulator unless "
            "--environment names another\n"
        )


def run_search(args: argparse.Namespace) -> int:
    """Rank shipped and imported tasks for a query: title, method and path, API and name per
    row (the score only in `--json`)."""
    from connector._search import search_catalogue

    if args.limit < 1:
        return fail("usage", "--limit must be at least 1", as_json=args.json)
    hits = search_catalogue(args.query, args.limit, api=args.api, meaning=not args.no_meaning)
    rows = [{**list_row(hit.row), "score": hit.score} for hit in hits]
    if args.json:
        print_json(rows)
    else:
        sys.stdout.writelines(line + "\n" for line in hit_lines(rows))
    return EXIT_OK


def _idempotency_lines(imported: list[Any]) -> list[str]:
    """What the import inferred about keys and read-backs, and which POST/PATCH are unkeyed."""
    keyed = [i for i in imported if i.idempotency.startswith("keyed")]
    unkeyed = [i for i in imported if i.idempotency.startswith("not idempotent")]
    lines = [f"  {i.name}: {i.idempotency}\n" for i in keyed[:20]]
    if unkeyed:
        lines.append(
            f"  {len(unkeyed)} POST/PATCH without an idempotency key: never retried "
            "(declare idempotency.key in the template if the API takes one)\n"
        )
    return lines
