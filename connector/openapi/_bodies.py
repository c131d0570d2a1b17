"""A request body as template inputs: its content type, body template, schema and example.

The media type is chosen JSON first, then form (`x-www-form-urlencoded`), multipart, and any
other. An object body's top-level properties are inputs by name (the properties of every
`oneOf`/`anyOf` branch too, so each branch can be sent); a property whose name is already an
input (a parameter) is the input `body.NAME`. A body that is not an object is the one input
`body`. The example is the description's own, where it is valid, else one generated from the
schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.openapi._budget import ExampleBudget, OverBudgetError, note
from connector.openapi._examples import example_for, flatten, is_valid
from connector.openapi._refs import RefError, Refs, as_dict, as_list, pointer_join
from connector.openapi._schemas import SchemaBuilder

_PREFERENCE = ("json", "form", "multipart", "other")


@dataclass
class Body:
    """What a request body adds to a template."""

    content_type: str | None = None
    template: Any = None
    schema: dict[str, Any] | None = None
    encoding: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    """Input name -> body property (or `""` for the whole body)."""
    required: list[str] = field(default_factory=list)
    example: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def kind_of(media_type: str) -> str:
    """`json`, `form`, `multipart` or `other`."""
    essence = media_type.split(";", 1)[0].strip().lower()
    if essence == "application/json" or essence.endswith("+json") or essence == "*/*":
        return "json"
    if essence == "application/x-www-form-urlencoded":
        return "form"
    if essence.startswith("multipart/"):
        return "multipart"
    return "other"


def build_body(
    refs: Refs, raw: Any, where: str, schemas: SchemaBuilder, taken: set[str]
) -> Body | None:
    """The body of an operation (`requestBody` at `where`), or None when it has none."""
    where, request_body = refs.deref(raw, where)
    content = request_body.get("content") if isinstance(request_body, dict) else None
    if not isinstance(content, dict) or not content:
        return None
    media = min(content, key=lambda m: _PREFERENCE.index(kind_of(m)) if isinstance(m, str) else 9)
    media_where = pointer_join(where, "content", media)
    _, media_object = refs.deref(content[media], media_where)
    media_object = media_object if isinstance(media_object, dict) else {}
    schema = schemas.build(
        media_object.get("schema", {}), pointer_join(media_where, "schema"), "request"
    )
    body = Body(content_type="application/json" if media == "*/*" else media, schema=schema)
    if kind_of(media) == "other" and not _is_object(schema):
        schema = body.schema = {**schema, "type": "string"} if "type" not in schema else schema
    properties = _top_properties(schema)
    if properties is None:
        body.inputs["body"] = ""
        body.template = "<<body>>"
        taken.add("body")
        if request_body.get("required") is True:
            body.required.append("body")
    else:
        _object_inputs(body, properties, taken)
    _encoding(body, media_object)
    _examples(body, refs, media_object, schema)
    return body


def _is_object(schema: dict[str, Any]) -> bool:
    return _top_properties(schema) is not None


def _top_properties(schema: dict[str, Any]) -> list[str] | None:
    """The body's top-level property names, or None when the body is not an object of them
    (nor when its branches take more than the budget to walk: then it is one `body` input)."""
    try:
        return _branch_properties(schema, schema, ExampleBudget())
    except OverBudgetError as exc:
        note(f"the body is taken as one input: its branches are not walked ({exc})")
        return None


def _branch_properties(
    schema: dict[str, Any], root: dict[str, Any], budget: ExampleBudget
) -> list[str] | None:
    budget.step()
    schema = flatten(schema, root)
    kinds = schema.get("type")
    if kinds not in (None, "object") and not (isinstance(kinds, list) and "object" in kinds):
        return None
    names = list(as_dict(schema.get("properties")))
    names += [n for n in as_list(schema.get("required")) if isinstance(n, str)]
    for keyword in ("oneOf", "anyOf"):
        for branch in schema.get(keyword, []) or []:
            is_schema = isinstance(branch, dict)
            branch_names = _branch_properties(branch, root, budget) if is_schema else None
            if branch_names is None:
                return None
            names.extend(branch_names)
    if not names:
        return None
    return list(dict.fromkeys(names))


def _object_inputs(body: Body, properties: list[str], taken: set[str]) -> None:
    template: dict[str, str] = {}
    schema = body.schema or {}
    required = schema.get("required", []) if isinstance(schema.get("required"), list) else []
    for name in properties:
        key = f"body.{name}" if name in taken else name
        taken.add(key)
        template[name] = f"<<{key}>>"
        body.inputs[key] = name
        if name in required:
            body.required.append(key)
    body.template = template


def _encoding(body: Body, media_object: dict[str, Any]) -> None:
    encoding = media_object.get("encoding")
    if not isinstance(encoding, dict):
        return
    for name, spec in encoding.items():
        if not isinstance(spec, dict):
            continue
        entry = {
            key: spec[key]
            for key, kind in (
                ("contentType", str),
                ("style", str),
                ("explode", bool),
                ("allowReserved", bool),
            )
            if isinstance(spec.get(key), kind)
        }
        if entry.get("style") not in {
            None,
            "form",
            "spaceDelimited",
            "pipeDelimited",
            "deepObject",
        }:
            entry.pop("style")
        if entry:
            body.encoding[name] = entry


def _examples(body: Body, refs: Refs, media_object: dict[str, Any], schema: dict[str, Any]) -> None:
    value = _given_example(refs, media_object, schema, body)
    if value is _NONE:
        value = example_for(schema)
    if set(body.inputs) == {"body"} and body.inputs["body"] == "":
        body.example = {"body": value}
        return
    if not isinstance(value, dict):
        value = {}
    by_property = {prop: key for key, prop in body.inputs.items()}
    body.example = {by_property[k]: v for k, v in value.items() if k in by_property}


def _given_example(
    refs: Refs, media_object: dict[str, Any], schema: dict[str, Any], body: Body
) -> Any:
    candidates: list[Any] = []
    if "example" in media_object:
        candidates.append(media_object["example"])
    examples = media_object.get("examples")
    if isinstance(examples, dict):
        for entry in list(examples.values())[:5]:
            try:
                _, resolved = refs.deref(entry, "")
            except RefError:
                resolved = None  # an example that cannot be read is not used
            if isinstance(resolved, dict) and "value" in resolved:
                candidates.append(resolved["value"])
    known = set(body.inputs.values())
    for given in candidates:
        candidate = given
        if isinstance(given, dict) and "" not in known:
            candidate = {k: v for k, v in given.items() if k in known}
        if candidate is not None and is_valid(schema, candidate):
            return candidate
    return _NONE


_NONE: Any = object()
