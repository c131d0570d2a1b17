"""Swagger 2.0 read as OpenAPI 3.0: the conversion the importer runs before anything else.

A 2.0 description says the same things as a 3.0 one in other places: `host`/`basePath`/
`schemes` are `servers`, `definitions` are `components/schemas`, a `body` or `formData`
parameter is a `requestBody` whose media types come from `consumes`, a response's `schema`
is content per `produces`, `collectionFormat` is a parameter's `style`/`explode`, and
`securityDefinitions` are security schemes with OAuth2 flows renamed. `to_openapi3` makes
that move and nothing else, so the importer applies the same tolerance and the same skip
reasons to a converted description as to a native one. Paths and operations keep their
places, so a skip's JSON pointer names the same operation in both; `original_pointer` maps
a converted component's pointer back to the 2.0 document's. Nothing is fetched: a remote
`$ref` stays remote, and the importer refuses it as it does in 3.0.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from connector._errors import DescriptionError
from connector.openapi._refs import as_dict

__all__ = ["CONVERTED", "is_swagger2", "original_pointer", "to_openapi3"]

CONVERTED = "x-connector-converted-from"
"""The `info` key that records a conversion (`{"format": "swagger", "version": "2.0"}`)."""

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_MOVED = {
    "#/definitions/": "#/components/schemas/",
    "#/parameters/": "#/components/parameters/",
    "#/responses/": "#/components/responses/",
}
_BACK = re.compile(r"#/components/(schemas|parameters|responses)/")
_FLOWS = {
    "implicit": ("implicit", ("authorizationUrl",)),
    "password": ("password", ("tokenUrl",)),
    "application": ("clientCredentials", ("tokenUrl",)),
    "accessCode": ("authorizationCode", ("authorizationUrl", "tokenUrl")),
}
_COLLECTION = {  # collectionFormat -> (style in query, explode); path/header use "simple"
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
    "tsv": ("form", False),  # no 3.0 equivalent: read as csv
}
_SCHEMA_KEYS = (
    "format", "items", "enum", "default", "maximum", "minimum", "exclusiveMaximum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "multipleOf",
)  # fmt: skip
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_swagger2(document: dict[str, Any]) -> bool:
    """Whether `document` declares Swagger 2.0 (and no `openapi` version)."""
    return "openapi" not in document and str(document.get("swagger")) == "2.0"


def original_pointer(text: str) -> str:
    """`text` with converted components' pointers named as in the 2.0 document."""
    return _BACK.sub(lambda m: "#/" + _BACK_NAMES[m.group(1)] + "/", text)


_BACK_NAMES = {"schemas": "definitions", "parameters": "parameters", "responses": "responses"}


def to_openapi3(document: dict[str, Any], *, source: str = "description") -> dict[str, Any]:
    """The OpenAPI 3.0.3 description equivalent to the Swagger 2.0 `document`.

    Raises:
        DescriptionError: the document is nested too deeply to convert.
    """
    try:
        return _convert(document)
    except RecursionError:
        raise DescriptionError(f"{source}: nested too deeply to be read") from None


def _convert(document: dict[str, Any]) -> dict[str, Any]:
    doc = _moved_refs(copy.deepcopy(document))
    out: dict[str, Any] = {"openapi": "3.0.3"}
    info = dict(as_dict(doc.get("info")))
    info[CONVERTED] = {"format": "swagger", "version": "2.0"}
    out["info"] = info
    servers = _servers(doc)
    if servers:
        out["servers"] = servers
    for key in ("tags", "security", "externalDocs"):
        if key in doc:
            out[key] = doc[key]
    out.update({k: v for k, v in doc.items() if k.startswith("x-")})
    shared = _Shared(doc)
    paths = doc.get("paths", {})
    out["paths"] = (
        {path: shared.path_item(item) for path, item in paths.items()}
        if isinstance(paths, dict)
        else paths  # refused by the version check, naming the key
    )
    out["components"] = shared.components()
    return out


def _moved_refs(node: Any) -> Any:
    """Every local `$ref` into 2.0's sections pointed at its 3.0 place (in place)."""
    if isinstance(node, list):
        return [_moved_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        for old, new in _MOVED.items():
            if ref.startswith(old):
                node["$ref"] = new + ref[len(old) :]
    for key, value in node.items():
        if key != "$ref":
            node[key] = _moved_refs(value)
    return node


def _servers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    host = doc.get("host")
    base = doc.get("basePath")
    base = base if isinstance(base, str) and base.startswith("/") else ""
    if not isinstance(host, str) or not host:
        return [{"url": base}] if base else []
    schemes = [s for s in doc.get("schemes") or ["https"] if s in ("https", "http")]
    return [{"url": f"{scheme}://{host}{base}"} for scheme in schemes or ["https"]]


def schema(node: Any) -> Any:
    """A 2.0 schema as a 3.0 one: `x-nullable`, `type: file` and string discriminators moved."""
    if isinstance(node, list):
        return [schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: schema(value) for key, value in node.items()}
    if out.get("type") == "file":
        out.update(type="string", format="binary")
    if "x-nullable" in out and "$ref" not in out:
        out["nullable"] = bool(out.pop("x-nullable"))
    if isinstance(out.get("discriminator"), str):
        out["discriminator"] = {"propertyName": out["discriminator"]}
    return out


class _Shared:
    """The document-wide parts an operation's conversion reads (consumes, produces, params)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.consumes = _media(doc.get("consumes"))
        self.produces = _media(doc.get("produces"))
        self.parameters = as_dict(doc.get("parameters"))

    def components(self) -> dict[str, Any]:
        parts: dict[str, Any] = {}
        if "definitions" in self.doc:
            parts["schemas"] = schema(as_dict(self.doc["definitions"]))
        plain = {k: _parameter(v) for k, v in self.parameters.items() if not _is_body(v)}
        if plain:
            parts["parameters"] = plain
        if "responses" in self.doc:
            produces = self.produces
            parts["responses"] = {
                code: _response(raw, produces)
                for code, raw in as_dict(self.doc["responses"]).items()
            }
        schemes = {k: _scheme(v) for k, v in as_dict(self.doc.get("securityDefinitions")).items()}
        if schemes:
            parts["securitySchemes"] = schemes
        return parts

    def path_item(self, item: Any) -> Any:
        if not isinstance(item, dict):
            return item  # the importer reports what it cannot read, where
        shared = item.get("parameters")
        out = {key: value for key, value in item.items() if key not in _METHODS}
        if isinstance(shared, list):
            out["parameters"] = [p for p in (self._resolved(p) for p in shared) if not _is_body(p)]
            out["parameters"] = [_parameter(p) for p in out["parameters"]]
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                out[method] = self.operation(
                    item[method], shared if isinstance(shared, list) else []
                )
        return out

    def operation(self, op: dict[str, Any], shared: list[Any]) -> dict[str, Any]:
        out = {k: v for k, v in op.items() if k not in ("consumes", "produces", "schemes")}
        consumes = _media(op["consumes"]) if "consumes" in op else self.consumes
        produces = _media(op["produces"]) if "produces" in op else self.produces
        listed = op.get("parameters")
        own: list[Any] = listed if isinstance(listed, list) else []
        resolved = [self._resolved(p) for p in own]
        bodies = _merged_bodies([self._resolved(p) for p in shared], resolved)
        out["parameters"] = [_parameter(p) for p in own if not _is_body(self._resolved(p))]
        if not out["parameters"]:
            del out["parameters"]
        body = _request_body(bodies, consumes)
        if body is not None:
            out["requestBody"] = body
        responses = op.get("responses")
        if isinstance(responses, dict):
            out["responses"] = {code: _response(r, produces) for code, r in responses.items()}
        return out

    def _resolved(self, parameter: Any) -> Any:
        """A `$ref` to a shared parameter, read (body parameters move into the body)."""
        ref = parameter.get("$ref") if isinstance(parameter, dict) else None
        prefix = "#/components/parameters/"
        if isinstance(ref, str) and ref.startswith(prefix):
            return self.parameters.get(ref[len(prefix) :], parameter)
        return parameter


def _media(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _is_body(parameter: Any) -> bool:
    return isinstance(parameter, dict) and parameter.get("in") in ("body", "formData")


def _merged_bodies(shared: list[Any], own: list[Any]) -> list[dict[str, Any]]:
    """The body and form parameters of an operation, its own overriding the path item's."""
    merged: dict[tuple[Any, Any], dict[str, Any]] = {}
    for parameter in (*shared, *own):
        if _is_body(parameter):
            merged[(parameter.get("in"), parameter.get("name"))] = parameter
    return list(merged.values())


def _parameter(parameter: Any) -> Any:
    if not isinstance(parameter, dict) or "$ref" in parameter:
        return parameter
    keep = ("name", "in", "description", "required", "deprecated", "allowEmptyValue")
    out = {k: v for k, v in parameter.items() if k in keep or k.startswith("x-")}
    out["schema"] = _parameter_schema(parameter)
    collection = parameter.get("collectionFormat")
    if parameter.get("type") == "array" and collection in _COLLECTION:
        style, explode = _COLLECTION[collection]
        if parameter.get("in") in ("query", "cookie"):
            out.update(style=style, explode=explode)
        else:
            out.update(style="simple", explode=False)
    elif parameter.get("type") == "array" and parameter.get("in") == "query":
        out.update(style="form", explode=False)  # 2.0's default collectionFormat is csv
    if parameter.get("in") == "path":
        out["required"] = True
    return out


def _parameter_schema(parameter: dict[str, Any]) -> Any:
    if "schema" in parameter:
        return schema(parameter["schema"])
    out: dict[str, Any] = {k: parameter[k] for k in _SCHEMA_KEYS if k in parameter}
    if "type" in parameter:
        out["type"] = parameter["type"]
    if isinstance(out.get("items"), dict):
        out["items"] = _parameter_schema(out["items"])
    converted: dict[str, Any] = schema(out)
    return converted


def _request_body(bodies: list[dict[str, Any]], consumes: list[str]) -> dict[str, Any] | None:
    body = next((p for p in bodies if p.get("in") == "body"), None)
    if body is not None:
        types = [t for t in consumes if t not in _FORMS] or ["application/json"]
        out: dict[str, Any] = {
            "content": {t: {"schema": schema(body.get("schema", {}))} for t in types}
        }
        return _described(out, body)
    form = [p for p in bodies if p.get("in") == "formData"]
    if not form:
        return None
    has_file = any(p.get("type") == "file" for p in form)
    types = [t for t in consumes if t in _FORMS] or [_FORMS[1] if has_file else _FORMS[0]]
    if has_file:
        types = [_FORMS[1]]
    properties = {str(p.get("name")): _form_field(p) for p in form}
    required = [str(p.get("name")) for p in form if p.get("required") is True]
    fields: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        fields["required"] = required
    out = {"content": {t: {"schema": fields} for t in types}}
    return _described(out, {"required": bool(required)})


def _form_field(parameter: dict[str, Any]) -> Any:
    field = _parameter_schema(parameter)
    if isinstance(field, dict) and isinstance(parameter.get("description"), str):
        field = {**field, "description": parameter["description"]}
    return field


def _described(body: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    if isinstance(parameter.get("description"), str):
        body["description"] = parameter["description"]
    if parameter.get("required") is True:
        body["required"] = True
    return body


def _response(response: Any, produces: list[str]) -> Any:
    if not isinstance(response, dict) or "$ref" in response:
        return response
    out = {k: v for k, v in response.items() if k not in ("schema", "examples", "headers")}
    out.setdefault("description", "")
    examples = as_dict(response.get("examples"))
    if "schema" in response:
        types = produces or ["application/json"]
        out["content"] = {t: {"schema": schema(response["schema"])} for t in types}
        for media, value in examples.items():
            if media in out["content"]:
                out["content"][media]["example"] = value
    headers = as_dict(response.get("headers"))
    if headers:
        out["headers"] = {
            name: _header(header) for name, header in headers.items() if isinstance(header, dict)
        }
    return out


def _header(header: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": _parameter_schema(header)}
    if isinstance(header.get("description"), str):
        out["description"] = header["description"]
    return out


def _scheme(scheme: Any) -> Any:
    if not isinstance(scheme, dict):
        return scheme
    kind = scheme.get("type")
    extras = {k: v for k, v in scheme.items() if k == "description" or k.startswith("x-")}
    if kind == "basic":
        return {"type": "http", "scheme": "basic", **extras}
    if kind != "oauth2":
        return scheme  # apiKey is the same in both versions
    flow, urls = _FLOWS.get(str(scheme.get("flow")), ("clientCredentials", ("tokenUrl",)))
    settings = {url: scheme[url] for url in urls if url in scheme}
    settings["scopes"] = as_dict(scheme.get("scopes"))
    return {"type": "oauth2", "flows": {flow: settings}, **extras}
