"""The independent check of imported templates: a dry run, validated by openapi-core.

A template's `examples[0]` is dry-run (rendered and validated by the connector, nothing sent)
and the request it gives is checked against the description by openapi-core's request
parameter and body validators (security is the auth tests' concern: no credential is set).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request import validators
from openapi_core.validation.request.exceptions import MissingRequestBody
from werkzeug.datastructures import Headers, ImmutableMultiDict

from connector._errors import ConnectorError
from connector._task import Task


class _Request:
    """The request protocol openapi-core reads."""

    def __init__(
        self,
        host_url: str,
        path: str,
        method: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        cookies: dict[str, str],
        body: bytes | None,
        content_type: str,
    ) -> None:
        self.host_url = host_url
        self.path = path
        self.method = method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers(headers),
            cookie=ImmutableMultiDict(cookies),
        )
        self.body = body
        self.content_type = content_type

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


def _object_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object"


def _without_unreadable_deep_objects(document: dict[str, Any]) -> dict[str, Any]:
    """The description minus optional deepObject parameters and encodings on non-objects.

    OpenAPI defines `deepObject` for objects only; Stripe also writes it on arrays and
    unions, and openapi-core then refuses every request of the operation, even one that leaves
    the parameter out. A dry run of `examples[0]` sends only required inputs, so those
    optional parameters are absent from it; leaving them out of the copy given to
    openapi-core hides nothing about the request (a request that sends one is reported as
    not checkable instead).
    """
    paths = {}
    for path, item in (document.get("paths") or {}).items():
        new_item = dict(item)
        for method, operation in item.items():
            if isinstance(operation, dict) and method in _METHODS:
                new_item[method] = _operation(document, operation)
        paths[path] = new_item
    return {**document, "paths": paths}


_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _resolve(document: dict[str, Any], value: Any) -> Any:
    while isinstance(value, dict) and isinstance(value.get("$ref"), str):
        target: Any = document
        for token in value["$ref"].lstrip("#/").split("/"):
            target = target.get(token.replace("~1", "/").replace("~0", "~"), {})
        value = target
    return value


def _operation(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    result = dict(operation)
    parameters = []
    for parameter in operation.get("parameters") or []:
        resolved = _resolve(document, parameter)
        if (
            resolved.get("style") == "deepObject"
            and not resolved.get("required")
            and not _object_schema(_resolve(document, resolved.get("schema")))
        ):
            UNCHECKABLE.add(resolved.get("name"))
            continue
        parameters.append(parameter)
    result["parameters"] = parameters
    body = _resolve(document, operation.get("requestBody"))
    if isinstance(body, dict) and isinstance(body.get("content"), dict):
        content = {}
        for media, given in body["content"].items():
            media_object = given
            encoding = (media_object or {}).get("encoding")
            if isinstance(encoding, dict):
                schema = _resolve(document, media_object.get("schema")) or {}
                properties = schema.get("properties") or {}
                kept = {
                    name: spec
                    for name, spec in encoding.items()
                    if (spec or {}).get("style") != "deepObject"
                    or _object_schema(_resolve(document, properties.get(name)))
                }
                media_object = {**media_object, "encoding": kept}
            content[media] = media_object
        result["requestBody"] = {**body, "content": content}
    return result


UNCHECKABLE: set[str] = set()


class Checker:
    """Validates dry runs against one description."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.spec = SchemaPath.from_dict(_without_unreadable_deep_objects(document))
        v31 = str(document.get("openapi", "")).startswith("3.1")
        self._checks = (
            (validators.V31RequestParametersValidator, validators.V31RequestBodyValidator)
            if v31
            else (validators.V30RequestParametersValidator, validators.V30RequestBodyValidator)
        )

    def dry_run_problem(self, task: Task, server_urls: list[str]) -> str | None:
        """None when examples[0]'s dry run is valid for the description, else what is wrong."""
        template = task.template
        environment = next((n for n in template.servers if n != "local"), "local")
        try:
            prepared = task.prepare(template.examples[0], environment=environment, environ={})
        except ConnectorError as exc:
            return f"dry run refused: {exc}"
        parts = urlsplit(prepared.url)
        base = task.template.base_urls[environment]
        host_url, path = _split(prepared.url, environment, server_urls)
        headers = dict(prepared.headers)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        content_type = content_type or (template.http_request.content_type or "")
        cookies = _cookies(headers)
        request = _Request(
            host_url,
            path,
            prepared.method,
            parse_qsl(parts.query, keep_blank_values=True),
            headers,
            cookies,
            prepared.content,
            content_type,
        )
        del base
        for check in self._checks:
            try:
                check(self.spec).validate(request)
            except MissingRequestBody:
                continue  # an optional body left out, as openapi-core's full validator allows
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                return f"{type(exc).__name__}: {exc} {getattr(exc, '__cause__', '')!r}"[:600]
        return None


def _split(url: str, environment: str, server_urls: list[str]) -> tuple[str, str]:
    # Servers hand openapi-core the decoded path (as werkzeug and the framework glue do).
    parts = urlsplit(url)
    if environment == "local":
        return "http://127.0.0.1:8765", unquote(parts.path)
    return f"{parts.scheme}://{parts.netloc}", unquote(parts.path)


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    raw = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
    pairs = (item.strip().split("=", 1) for item in raw.split(";") if "=" in item)
    return dict(pairs)
