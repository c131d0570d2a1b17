"""Importing a description: every operation either a template or a skip with its reason.

`import_description(document)` never raises for one operation: whatever stops an operation
(a remote `$ref`, an unsupported method, a schema too large, a template the format rejects) is
recorded as a skip naming the operation and a JSON pointer, and the rest carry on.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector._idempotency import describe
from connector.openapi._budget import collecting
from connector.openapi._events import Event, find_events
from connector.openapi._load import as_openapi3
from connector.openapi._names import api_slug, env_prefix, unique
from connector.openapi._operations import (
    Context,
    OperationRef,
    SkipError,
    build_template,
    default_name,
    find_operations,
)
from connector.openapi._refs import RefError, Refs, as_dict
from connector.openapi._schemas import SchemaBuilder
from connector.openapi._security import scheme_table
from connector.openapi._swagger2 import CONVERTED, original_pointer
from connector.openapi._validate import check_template


@dataclass(frozen=True)
class Imported:
    """One operation imported as a template."""

    name: str
    operation_id: str | None
    method: str
    path: str
    template: dict[str, Any]
    warnings: tuple[str, ...] = ()
    idempotency: str = ""
    """What was inferred about its idempotency (`_idempotency.describe`), when checked."""


@dataclass(frozen=True)
class Skipped:
    """One operation not imported, and why."""

    operation_id: str | None
    method: str | None
    path: str | None
    reason: str


@dataclass
class ImportResult:
    """What importing a description made: templates, skips, credential bindings, events."""

    api: str
    imported: list[Imported] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bindings: dict[str, set[str]] = field(default_factory=dict)
    """The hosts the description names for each credential variable (none bound yet: the
    user accepts them at import)."""
    hosts: dict[str, str] = field(default_factory=dict)
    """Each of those hosts and where the description names it."""
    prefix: str = ""
    """The prefix of the API's environment variables."""
    warnings: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """The webhooks and callbacks the API sends (see `_events`)."""


def import_description(
    document: dict[str, Any],
    *,
    api: str | None = None,
    operations: Collection[str] = (),
    tags: Collection[str] = (),
    source: str = "description",
    check: bool = True,
    prefix: str | None = None,
    overlays: Sequence[str] = (),
) -> ImportResult:
    """Turn each operation of an OpenAPI 3.x description into a format-2 task template.

    A Swagger 2.0 description is converted first (`_swagger2`); its skips name the 2.0
    document's places.

    Args:
        document: the parsed description (see `load_description`).
        api: the API name (default: a slug of `info.title`).
        operations: import only these operationIds (or task names); others are skipped.
        tags: import only operations with one of these tags.
        source: how messages name the description.
        check: validate each template against the format (and skip those it rejects).
        prefix: the prefix of the API's environment variables (default `CONNECTOR_<API>`).
        overlays: the overlays already applied to `document`, recorded in each template.

    Raises:
        DescriptionError: the document is neither OpenAPI 3.x nor Swagger 2.0.
    """
    document = as_openapi3(document, source=source)
    name = api or api_name(document)
    refs = Refs(document)
    prefix = prefix or env_prefix(name)
    result = ImportResult(api=name, prefix=prefix)
    context = Context(
        document=document,
        refs=refs,
        schemas=SchemaBuilder(refs),
        api=name,
        prefix=prefix,
        schemes=scheme_table(_security_schemes(document, refs, result), prefix),
        overlays=tuple(overlays),
    )
    taken: set[str] = set()
    for found in find_operations(document, refs):
        if isinstance(found, SkipError):
            result.skipped.append(Skipped(None, None, None, str(found)))
            continue
        selected = _selected(found, unique(default_name(found), taken), operations, tags)
        _one(context, found, selected, result, check=check)
    result.events = find_events(document, refs, context.schemas, result.warnings)
    if CONVERTED in as_dict(document.get("info")):
        result.skipped = [_in_original(skip) for skip in result.skipped]
    return result


def _in_original(skip: Skipped) -> Skipped:
    """A skip of a converted description, its pointer naming the original document's place."""
    return Skipped(skip.operation_id, skip.method, skip.path, original_pointer(skip.reason))


def _one(
    context: Context, op: OperationRef, name: str | None, result: ImportResult, *, check: bool
) -> None:
    """Import one operation (`name` None: not selected) into `result`."""
    if name is None:
        result.skipped.append(_skip(op, f"{op.label}: not selected (--operation/--tag)"))
        return
    idempotency = ""
    try:
        with collecting() as notes:
            built = build_template(context, op, name)
        built.warnings.extend(f"{op.label}: {text}" for text in notes)
        if check:
            idempotency = describe(check_template(built.template, op).template)
    except SkipError as exc:
        result.skipped.append(_skip(op, str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - one operation never stops the import
        reason = f"{op.label}: cannot be imported ({type(exc).__name__}) (at #{op.pointer})"
        result.skipped.append(_skip(op, reason))
        return
    for variable, hosts in built.bindings.items():
        result.bindings.setdefault(variable, set()).update(hosts)
    for host, where in built.hosts.items():
        result.hosts.setdefault(host, where)
    result.imported.append(
        Imported(
            name,
            op.operation_id,
            op.method.upper(),
            op.path,
            built.template,
            tuple(built.warnings),
            idempotency,
        )
    )


def _selected(
    op: OperationRef, name: str, operations: Collection[str], tags: Collection[str]
) -> str | None:
    """`name` when the filters select the operation, else None."""
    if operations and op.operation_id not in operations and name not in operations:
        return None
    return name if not tags or any(tag in tags for tag in op.tags) else None


def _skip(op: OperationRef, reason: str) -> Skipped:
    return Skipped(op.operation_id, op.method.upper(), op.path, reason)


def api_name(document: dict[str, Any]) -> str:
    """The default API name: a slug of `info.title`."""
    return api_slug(_title(document))


def _title(document: dict[str, Any]) -> str:
    info = as_dict(document.get("info"))
    title = info.get("title")
    return title if isinstance(title, str) and title.strip() else "api"


def _security_schemes(document: dict[str, Any], refs: Refs, result: ImportResult) -> dict[str, Any]:
    components = as_dict(document.get("components"))
    declared = components.get("securitySchemes")
    schemes: dict[str, Any] = {}
    for scheme_id, raw in declared.items() if isinstance(declared, dict) else ():
        try:
            _, schemes[scheme_id] = refs.deref(raw, f"/components/securitySchemes/{scheme_id}")
        except RefError as exc:
            result.warnings.append(f"security scheme {scheme_id!r}: {exc}")
    return schemes
