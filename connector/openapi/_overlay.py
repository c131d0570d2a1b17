"""The connector's decisions for a shipped API, applied to the templates the importer made.

The importer makes a template of each operation from the description alone. These decisions
(`Overlay`, read by `_shipped` from the `x-connector-*` extensions of a standard overlay and
the operations it updates) then give each operation its task name, title and description in
the connector's own words, renames auth schemes and their variables, sets the environments
and the retry and timeout settings, and describes parameters and body fields from a short
glossary. The description's own prose (schema, parameter and response descriptions) is
left out: what ships is the API's facts (paths, types, enums, constraints) in our words.

An operation may also take its body contract from a catalogue page (`page`, read by
`_page`): the page's field list, types, enums and defaults, with the description's
constraints added, then `fieldPatches` (JSON merge patches at a field path; `nullable`
adds null to a field's type and values, `alsoAccept` widens a field to the description's
schema or these).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import Field

from connector._model import StrictModel
from connector.openapi._importer import ImportResult
from connector.openapi._page import field_at, page_schema, read_page
from connector.openapi._refs import Refs
from connector.openapi._schemas import SchemaBuilder

__all__ = ["Group", "Overlay", "apply_overlay"]

_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


class Scheme(StrictModel):
    """A security scheme of the description under the connector's name and variable."""

    id: str
    env: str


class OperationOverlay(StrictModel):
    """What one operation becomes."""

    name: str
    title: str
    description: str
    parameters: dict[str, str] = Field(default_factory=dict)
    page: str | None = Field(None, description="Catalogue page that holds the body contract")
    field_patches: dict[str, dict[str, Any]] = Field(default_factory=dict)
    examples: list[dict[str, Any]] | None = None
    example_values: dict[str, Any] = Field(default_factory=dict)


class Group(StrictModel):
    """A group of steps in a designer's palette, in the order they are offered."""

    name: str
    title: str
    tasks: list[str]


class Overlay(StrictModel):
    """The connector's decisions for the operations of one API."""

    api: str
    description: str = Field(description="The API description, relative to the repository")
    paths: list[str]
    servers: dict[str, str]
    auth: dict[str, Scheme]
    settings: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, str] = Field(default_factory=dict)
    parameter_patches: dict[str, dict[str, Any]] = Field(default_factory=dict)
    example_values: dict[str, Any] = Field(
        default_factory=dict, description="Values the first example takes where it has the input"
    )
    fields: dict[str, str] = Field(default_factory=dict)
    groups: list[Group] = Field(default_factory=list)
    operations: dict[str, OperationOverlay]


def apply_overlay(
    result: ImportResult, overlay: Overlay, document: dict[str, Any], root: Path
) -> list[dict[str, Any]]:
    """The imported templates as the overlay makes them (pages are read relative to `root`)."""
    templates = []
    for imported in result.imported:
        decided = overlay.operations[str(imported.operation_id)]
        template = copy.deepcopy(imported.template)
        template.update(name=decided.name, title=decided.title, description=decided.description)
        template["servers"] = dict(overlay.servers)
        template["auth"] = _auth(template.get("auth") or {}, overlay)
        for key, value in overlay.settings.items():
            template[key] = copy.deepcopy(value)
        _parameters(template, overlay, decided)
        _json_header(template["httpRequest"])
        if decided.page is not None:
            described = _described_body(document, imported.method, imported.path)
            fields = read_page((root / decided.page).read_text(encoding="utf-8"))
            schema = page_schema(fields, described)
            for path, patch in decided.field_patches.items():
                _patch(schema, path, patch, described)
            template["bodySchema"] = schema
            request = template["httpRequest"]
            # a server-managed field named like a parameter (`id`) is documented, not sent
            taken = set(template.get("parameters") or {})
            request["body"] = {
                name: f"<<body.{name}>>" if name in taken else f"<<{name}>>"
                for name, field in schema["properties"].items()
                if not (name in taken and field.get("readOnly"))
            }
        else:
            _body_fields(template, overlay)
        for spec in (template.get("responses") or {}).values():
            spec.pop("description", None)
            if isinstance(spec.get("schema"), dict):
                spec["schema"] = without_prose(spec["schema"])
        if decided.examples is not None:
            template["examples"] = copy.deepcopy(decided.examples)
        elif template.get("examples"):
            first = template["examples"][0]
            for key, value in {**overlay.example_values, **decided.example_values}.items():
                if key in first:
                    first[key] = copy.deepcopy(value)
        templates.append(template)
    return templates


def _auth(auth: dict[str, Any], overlay: Overlay) -> dict[str, Any]:
    schemes = {}
    for key, scheme in (auth.get("schemes") or {}).items():
        renamed = overlay.auth.get(key)
        if renamed is None:
            continue
        schemes[renamed.id] = {**scheme, "env": renamed.env}
    out: dict[str, Any] = {"schemes": schemes, "security": [[key] for key in schemes]}
    if "security" in auth:
        out["security"] = [
            [overlay.auth[key].id for key in requirement if key in overlay.auth]
            for requirement in auth["security"]
        ]
    return out


def _parameters(template: dict[str, Any], overlay: Overlay, decided: OperationOverlay) -> None:
    for key, spec in (template.get("parameters") or {}).items():
        spec.pop("description", None)
        if isinstance(spec.get("schema"), dict):
            spec["schema"] = without_prose(spec["schema"])
        text = decided.parameters.get(key) or overlay.parameters.get(key)
        if text:
            spec["description"] = text
        for name, value in overlay.parameter_patches.get(key, {}).items():
            if value is None:
                spec.pop(name, None)
            else:
                spec[name] = copy.deepcopy(value)


def _json_header(request: dict[str, Any]) -> None:
    """JSON both ways as the `Accept` and `Content-Type` headers, on every operation: what
    engines' HTTP tasks send anyway, so a template and its export say the same."""
    if request.get("contentType", "application/json") == "application/json":
        request.pop("contentType", None)
        others = {
            k: v
            for k, v in request.get("headers", {}).items()
            if k.lower() not in {"accept", "content-type"}
        }
        request["headers"] = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            **others,
        }


def _body_fields(template: dict[str, Any], overlay: Overlay) -> None:
    schema = template.get("bodySchema")
    if not isinstance(schema, dict):
        return
    schema = template["bodySchema"] = without_prose(schema)
    for part in (schema, *schema.get("oneOf", ()), *schema.get("anyOf", ())):
        properties = part.get("properties") if isinstance(part, dict) else None
        for name, field in (properties or {}).items():
            if isinstance(field, dict) and name in overlay.fields:
                field["description"] = overlay.fields[name]


def without_prose(schema: Any) -> Any:
    """`schema` with every `description` annotation left out (property names kept)."""
    if not isinstance(schema, dict):
        return schema
    out = {key: value for key, value in schema.items() if key != "description"}
    for key in _SUBSCHEMAS:
        if key in out:
            out[key] = without_prose(out[key])
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [without_prose(part) for part in out[key]]
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: without_prose(part) for name, part in out[key].items()}
    return out


def _described_body(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The operation's JSON body schema in the description, read-only fields kept, inlined."""
    refs = Refs(document)
    where = f"/paths/{path.replace('~', '~0').replace('/', '~1')}/{method.lower()}/requestBody"
    _, body = refs.deref(document["paths"][path][method.lower()]["requestBody"], where)
    schema = body["content"]["application/json"]["schema"]
    built = SchemaBuilder(refs).build(schema, where + "/content/application~1json/schema", "plain")
    inlined: dict[str, Any] = without_prose(_inline(built, built.get("$defs", {}), 0))
    return inlined


def _inline(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if depth > 32:
        return {}
    if isinstance(node, list):
        return [_inline(item, defs, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        rest = {key: value for key, value in node.items() if key != "$ref"}
        return _inline({**defs.get(ref[8:], {}), **rest}, defs, depth + 1)
    return {key: _inline(value, defs, depth) for key, value in node.items() if key != "$defs"}


def _patch(
    schema: dict[str, Any], path: str, patch: dict[str, Any], described: dict[str, Any]
) -> None:
    """Merge `patch` (RFC 7396: null removes) into the field at `path` of `schema`."""
    node, source = field_at(schema, described, path)
    patch = dict(patch)
    if patch.pop("nullable", False):
        kind = node.get("type")
        patch["type"] = [kind, "null"] if isinstance(kind, str) else kind
        if "enum" in node and None not in node["enum"]:
            patch["enum"] = [*node["enum"], None]
    also = patch.pop("alsoAccept", None)
    if also is not None:
        branches = source.get("oneOf") or source.get("anyOf") or [source]
        patch["anyOf"] = [*copy.deepcopy(branches), *also]
        for key in ("type", "enum", "additionalProperties", "properties"):
            patch.setdefault(key, None)
    for key, value in patch.items():
        if value is None:
            node.pop(key, None)
        else:
            node[key] = copy.deepcopy(value)
