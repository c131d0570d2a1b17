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
from itertools import islice
from typing import Any
from urllib.parse import quote

import jsonschema_rs
from pydantic import Field, ValidationError

from connector._errors import FieldError, TemplateError
from connector._hosts import is_absolute
from connector._json import problems
from connector._model import StrictModel, field_errors, suggesting, wire_names
from connector._render import is_placeholder_only
from connector._suggest import did_you_mean, shown
from connector._task import Task
from connector._template import DEFAULT_STYLE, TEMPLATE_MAX_DEPTH, TaskTemplate, parse_template
from connector._transport import is_json
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


class Export(StrictModel):
    """An engine document and what the reader should know about it."""

    document: dict[str, Any]
    warnings: list[str] = Field(default_factory=list)


class Import(StrictModel):
    """A template read from an engine document, and the options that export it back."""

    template: TaskTemplate
    options: ExportOptions
    warnings: list[str] = Field(default_factory=list)


# -- metadata ------------------------------------------------------------------------------


class Metadata(StrictModel):
    """What an export keeps under `connector:template`: the template's fields the engine
    cannot carry, and where its relative URL was joined (all empty without it)."""

    template: dict[str, Any] = Field(default_factory=dict)
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


def metadata(template: TaskTemplate, options: ExportOptions) -> dict[str, Any]:
    """`{connector:template: …}`: the fields the engine cannot carry, inert for the engine."""
    if not options.metadata:
        return {}
    kept = {k: v for k, v in template.to_json().items() if k not in _NATIVE_KEYS}
    relative = not is_absolute(template.http_request.url)
    meta = Metadata(
        template=kept,
        base_url=options.base_url or None,
        environment=options.environment if relative and not options.base_url else None,
    )
    return {METADATA_KEY: escape_literal(meta.model_dump(by_alias=True, exclude_none=True))}


def read_metadata(value: object) -> Metadata:
    """Parse the metadata parameter (absent: empty metadata, the engine's fields alone).

    Raises:
        TemplateError: it is not what an export writes; each field error names its key.
    """
    if value is None:
        return Metadata()
    try:
        return Metadata.model_validate(unescape_literal(value))
    except ValidationError as exc:
        raise TemplateError(
            f"{METADATA_KEY} is not what an export writes: correct it, or remove it to import "
            "the engine's fields alone",
            field_errors=field_errors(
                exc,
                prefix=("inputParameters", METADATA_KEY),
                message=suggesting(wire_names(Metadata)),
            ),
        ) from None


# -- URLs ----------------------------------------------------------------------------------


def full_url(template: TaskTemplate, options: ExportOptions) -> tuple[str, str]:
    """The URL the engine calls (with `<<…>>`), and the field it comes from."""
    path = template.http_request.url
    if is_absolute(path):
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
    """Check `document` against a shipped engine schema; every error names its field.
    Text that is not Unicode (a lone surrogate, which JSON's `\\ud800` can write) is named
    first: no validator can read it."""
    unreadable = list(islice(problems(document, max_depth=TEMPLATE_MAX_DEPTH), 20))
    if unreadable:
        raise TemplateError(f"{what} cannot be read", field_errors=unreadable)
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
    """Engines send null for a body field whose input is missing; the connector omits it.
    (Required fields are not counted: a workflow has to give those anyway.)"""
    body = template.http_request.body
    required = set((template.body_schema or {}).get("required", []))
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key not in required}
    if not _has_field_placeholder(body):
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


# -- parameters and bodies ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wiring:
    """Where the template's query and header parameters go in an engine's HTTP task."""

    query: list[tuple[str, str]] = field(default_factory=list)
    """(wire name, input name), in template order."""
    headers: dict[str, str] = field(default_factory=dict)
    """wire name -> input name."""


_SCALARS = {"string", "integer", "number", "boolean"}


def parameter_wiring(template: TaskTemplate, warnings: list[str]) -> Wiring:
    """The query and header parameters an engine can send as `name=<value>` text.

    An engine substitutes an expression as plain text and sends a missing input as null
    (`name=null`): so only scalar values in the default style are written, optional ones are
    left out with a warning, and anything else is refused with `parameters.NAME` named.

    Raises:
        TemplateError: a cookie parameter, or a style or a type the engine cannot write.
    """
    wiring = Wiring()
    for key, parameter in template.parameters.items():
        if parameter.location == "path":
            continue  # written in the URL as <<name>>
        where = f"parameters.{key}"
        _check_expressible(parameter, where)
        if not parameter.required:
            warnings.append(
                f"{where}: optional {parameter.location} parameter left out (the engine would "
                "send 'null' when it is not given); make it required in a copy to send it"
            )
            continue
        wire = parameter.name or key
        if parameter.location == "query":
            wiring.query.append((wire, key))
        else:
            wiring.headers[wire] = key
    return wiring


def with_query(url: str, wiring: Wiring) -> str:
    """`url` with the wired query parameters appended, in template form (`?n=<<n>>`)."""
    if not wiring.query:
        return url
    pairs = "&".join(f"{quote(wire, safe='')}=<<{key}>>" for wire, key in wiring.query)
    return f"{url}{'&' if '?' in url else '?'}{pairs}"


def wiring_headers(wiring: Wiring) -> dict[str, str]:
    """The wired header parameters, in template form (`{"X-Name": "<<name>>"}`)."""
    return {wire: f"<<{key}>>" for wire, key in wiring.headers.items()}


def unwire(url: str, headers: dict[str, str], meta: Metadata) -> tuple[str, dict[str, str]]:
    """An import's URL and headers without what the export wrote for the metadata's
    parameters (the template keeps them as parameters, not in the URL)."""
    try:
        request = {"url": "/", "method": "GET"}
        declared = parse_template({**meta.template, "httpRequest": request}, source="metadata")
    except (TemplateError, ValueError):
        return url, headers
    wiring = parameter_wiring(declared, [])
    suffix = with_query("", wiring)
    if (suffix and url.endswith(suffix.replace("?", "&", 1))) or (suffix and url.endswith(suffix)):
        url = url[: -len(suffix)]
    wired = wiring_headers(wiring)
    return url, {k: v for k, v in headers.items() if wired.get(k) != v}


def _check_expressible(parameter: Any, where: str) -> None:
    if parameter.location == "cookie":
        raise unsupported_field(where, "the engine's HTTP task has no cookie parameters")
    if parameter.wire_style != DEFAULT_STYLE[parameter.location] or parameter.explode is False:
        raise unsupported_field(where, f"style {parameter.wire_style} cannot be written")
    kind = parameter.json_schema.get("type", "string")
    if kind not in _SCALARS:
        raise unsupported_field(where, f"a {kind} value has no text form in the engine")
    if parameter.location == "query" and parameter.allow_reserved:
        raise unsupported_field(where, "allowReserved cannot be written")


def require_json_body(template: TaskTemplate) -> None:
    """Refuse a form, multipart or raw body: the engines' HTTP tasks send JSON bodies only
    (they would neither encode nor escape a form), so the export would not send what the
    connector sends.

    Raises:
        TemplateError: naming `httpRequest.contentType`.
    """
    request = template.http_request
    header = next((v for k, v in request.headers.items() if k.lower() == "content-type"), None)
    media = request.content_type or header or "application/json"
    if request.body is not None and not is_json(media):
        message = f"{media} bodies are not exported; run the task with the connector worker"
        raise unsupported_field("httpRequest.contentType", message)


def unsupported_field(field_name: str, message: str) -> TemplateError:
    """The error for a template field an engine cannot express."""
    return TemplateError(
        "cannot be expressed in the engine's format",
        field_errors=[FieldError(field=field_name, message=message)],
    )


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


def slim(task: Task, names: Iterable[str] = ()) -> Task:
    """What a pasted export needs: the body's required fields and the `names` given, without
    read-only ones (the API ignores them; the engine would send them as null).

    A body without a schema that lists its properties is kept whole (nothing says which
    fields are required).

    Raises:
        TemplateError: a name that is not a field of the body.
    """
    template = task.template
    wanted = set(names)
    properties = (template.body_schema or {}).get("properties")
    if not isinstance(template.http_request.body, dict) or not isinstance(properties, dict):
        return with_body_fields(task, wanted) if wanted else task
    read_only = {key for key, spec in properties.items() if (spec or {}).get("readOnly")}
    return with_body_fields(task, wanted, drop=read_only - wanted)


def with_body_fields(task: Task, names: Iterable[str], drop: Iterable[str] = ()) -> Task:
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
        errors = [
            FieldError(field=name, message=f"not a field of the body{did_you_mean(name, body)}")
            for name in unknown
        ]
        raise TemplateError("unknown body fields", task=task.name, field_errors=errors)
    keep = (wanted | set((template.body_schema or {}).get("required", []))) - set(drop)
    request = template.http_request.model_copy(
        update={"body": {key: value for key, value in body.items() if key in keep}}
    )
    return Task(template.model_copy(update={"http_request": request}), source=task.source)


def no_such_http_task(task: str | None, known: Iterable[str]) -> TemplateError:
    """The error of a workflow whose HTTP task cannot be picked: none named, or no such one."""
    names = sorted(known)
    listed = ", ".join(names) or "none"
    if task is None:
        return TemplateError(
            "the workflow has several HTTP tasks: pick one with --task",
            field_errors=[FieldError(field="tasks", message=f"HTTP tasks: {listed}")],
        )
    return TemplateError(
        f"the workflow has no HTTP task named {shown(task)!r}{did_you_mean(task, names)}",
        field_errors=[FieldError(field="tasks", message=f"HTTP tasks: {listed}")],
    )
