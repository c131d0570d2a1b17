"""What both engine adapters share: options, results, metadata, schemas, names and numbers.

The engine formats cannot carry everything a task template holds (the body schema, the
parameters' schemas, the auth declaration, the deadline, jitter). An export keeps those in
one namespaced input parameter, `connector:template`, which the engine passes along
untouched (its strings escaped, so the engine evaluates nothing in it) and which no template
input can be named (`:` is not allowed in an input name). An import reads it back and lets
the engine's own fields win wherever the user edited them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from connector._errors import FieldError, TemplateError
from connector._render import is_placeholder_only
from connector._task import Task
from connector._template import TaskTemplate, parse_template
from connector.engines._expressions import escape_literal, unescape_literal

METADATA_KEY = "connector:template"
"""The input parameter carrying what the engine format cannot say."""

_NATIVE_KEYS = frozenset({"description", "httpRequest"})


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """How a template is written for an engine."""

    workflow: str | None = None
    """Write a whole workflow definition with this name instead of one task."""
    credentials: str | None = None
    """SimWorkflow: the saved credentials id. Conductor: the secret name (default: auth env)."""
    environment: str = "sandbox"
    base_url: str | None = None
    metadata: bool = True
    """Keep what the engine cannot say under `connector:template` (off: a plain engine task)."""
    owner_email: str | None = None
    """Conductor: the `ownerEmail` of the definitions (OSS Conductor requires one)."""


@dataclass(frozen=True, slots=True)
class Export:
    """An engine document and what the reader should know about it."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Import:
    """A template read from an engine document, and the options that export it back."""

    template: TaskTemplate
    options: ExportOptions
    warnings: list[str] = field(default_factory=list)


# -- metadata ------------------------------------------------------------------------------


def metadata(template: TaskTemplate, options: ExportOptions) -> dict[str, Any]:
    """`{connector:template: …}`: the fields the engine cannot carry, inert for the engine."""
    if not options.metadata:
        return {}
    kept = {k: v for k, v in template.to_json().items() if k not in _NATIVE_KEYS}
    where = {"baseUrl": options.base_url} if options.base_url else {}
    if not options.base_url and not _is_absolute(template.http_request.url):
        where = {"environment": options.environment}
    return {METADATA_KEY: escape_literal({"template": kept, **where})}


@dataclass(frozen=True, slots=True)
class Metadata:
    """What an import found under `connector:template` (all empty without it)."""

    template: dict[str, Any] = field(default_factory=dict)
    environment: str | None = None
    base_url: str | None = None

    def base(self) -> str | None:
        """The base URL (with `<<…>>`) the export joined the path to, if known."""
        if self.base_url:
            return self.base_url.rstrip("/")
        server = (
            self.template.get("servers", {}).get(self.environment) if self.environment else None
        )
        if isinstance(server, dict):  # format 2: {"url": ..., "variables": ...}
            server = server.get("url")
        return server if isinstance(server, str) else None


def read_metadata(value: object) -> Metadata:
    """Parse the metadata parameter; anything unexpected is ignored (the engine JSON wins)."""
    if not isinstance(value, dict):
        return Metadata()
    parsed: dict[str, Any] = unescape_literal(value)
    template = parsed.get("template")
    environment, base_url = parsed.get("environment"), parsed.get("baseUrl")
    return Metadata(
        template=template if isinstance(template, dict) else {},
        environment=environment if isinstance(environment, str) else None,
        base_url=base_url if isinstance(base_url, str) else None,
    )


# -- URLs ----------------------------------------------------------------------------------


def full_url(template: TaskTemplate, options: ExportOptions) -> tuple[str, str]:
    """The URL the engine calls (with `<<…>>`), and the field it comes from."""
    path = template.http_request.url
    if _is_absolute(path):
        return path, "httpRequest.url"
    if options.base_url:
        return options.base_url.rstrip("/") + path, "httpRequest.url"
    base = template.base_urls.get(options.environment)
    if base is None:
        known = ", ".join(template.servers) or "none"
        raise TemplateError(
            f"unknown environment {options.environment!r} (known: {known}); give a base URL",
            task=template.name,
        )
    return base + path, f"servers.{options.environment}"


def split_url(url: str, meta: Metadata) -> str:
    """The template's url: the path after the exported base when it still matches."""
    base = meta.base()
    if base and url.startswith(base) and url[len(base) :].startswith("/"):
        return url[len(base) :]
    return url


def _is_absolute(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


# -- schemas -------------------------------------------------------------------------------


def _schemas() -> dict[str, dict[str, Any]]:
    folder = resources.files("connector.engines").joinpath("schemas")
    return {
        entry.name: json.loads(entry.read_text("utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".schema.json")
    }


@cache
def _validator(name: str) -> Any:
    schemas = _schemas()
    registry = jsonschema_rs.Registry([(s["$id"], s) for s in schemas.values()])
    return jsonschema_rs.validator_for(schemas[name], registry=registry, retriever=_offline)


def _offline(uri: str) -> Any:
    """Schemas refer only to each other: nothing is ever fetched."""
    raise ValueError(f"{uri} is not a shipped engine schema")


def schema(name: str) -> dict[str, Any]:
    """One of the shipped engine schemas, parsed."""
    return _schemas()[name]


def validate(document: Any, name: str, what: str) -> None:
    """Check `document` against a shipped engine schema; every error names its field."""
    errors = [
        FieldError(field=".".join(str(p) for p in error.instance_path), message=error.message)
        for error in _validator(name).iter_errors(document)
    ]
    if errors:
        raise TemplateError(f"{what} does not follow {name}", field_errors=errors[:20])


# -- templates -----------------------------------------------------------------------------


def finish(data: dict[str, Any], source: str) -> TaskTemplate:
    """Validate an imported template as a template file would be, and compile it."""
    template = parse_template(data, source=source)
    Task(template, source=source)
    return template


def slug(text: str) -> str:
    """A template name made of `text` (`Upsert payout request` -> `upsert-payout-request`)."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")
    return (name or "imported-task")[:80]


def null_warning(template: TaskTemplate) -> list[str]:
    """Engines send null for a body field whose input is missing; the connector omits it."""
    if not _has_field_placeholder(template.http_request.body):
        return []
    return [
        "body fields whose input is not given are sent as null by the engine (the connector "
        "leaves them out): give every field, export only the fields you give (--fields), or "
        "run the task with the connector worker"
    ]


def _has_field_placeholder(value: Any) -> bool:
    if isinstance(value, str):
        return is_placeholder_only(value)
    if isinstance(value, dict):
        return any(_has_field_placeholder(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_field_placeholder(item) for item in value)
    return False


# -- numbers -------------------------------------------------------------------------------


def number(value: float) -> int | float:
    """A JSON number written as an integer when it is one."""
    return int(value) if float(value).is_integer() else value


def whole_seconds(value: float, field_name: str, warnings: list[str], minimum: int = 0) -> int:
    """Seconds the engine takes as an integer: rounded up, with a warning when changed."""
    result = max(minimum, math.ceil(value))
    if result != value:
        warnings.append(f"{field_name}: {value} s written as {result} s (the engine takes whole s)")
    return result


def differences(original: Any, again: Any, path: str = "") -> list[str]:
    """Paths where two JSON values differ (what an import could not carry)."""
    if isinstance(original, dict) and isinstance(again, dict):
        found: list[str] = []
        for key in sorted(set(original) | set(again), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in original or key not in again:
                found.append(child)
            else:
                found += differences(original[key], again[key], child)
        return found
    return [] if original == again else [path or "(document)"]


def with_body_fields(task: Task, names: Iterable[str]) -> Task:
    """The task with a body of only the named top-level fields (and the required ones).

    For engines, which send a field whose input is missing as null: exporting only the fields
    a workflow gives keeps the others out of the request, as the connector itself does.

    Raises:
        TemplateError: a name that is not a field of the body.
    """
    template = task.template
    body = template.http_request.body
    if not isinstance(body, dict):
        raise TemplateError("only an object body can be cut to fields", task=task.name)
    wanted = set(names)
    unknown = sorted(wanted - set(body))
    if unknown:
        errors = [FieldError(field=name, message="not a field of the body") for name in unknown]
        raise TemplateError("unknown body fields", task=task.name, field_errors=errors)
    keep = wanted | set((template.body_schema or {}).get("required", []))
    request = template.http_request.model_copy(
        update={"body": {key: value for key, value in body.items() if key in keep}}
    )
    return Task(template.model_copy(update={"http_request": request}), source=task.source)
