"""The independent check of imported templates: a dry run, validated by openapi-core.

A template's `examples[0]` is dry-run (rendered and validated by the connector, nothing sent)
and the request it gives is checked against the description by openapi-core's request
parameter and body validators (security is the auth tests' concern: no credential is set).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from jsonschema_path import SchemaPath
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request import validators
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


class Checker:
    """Validates dry runs against one description."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.spec = SchemaPath.from_dict(document)
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
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                return f"{type(exc).__name__}: {exc} {getattr(exc, '__cause__', '')!r}"[:600]
        return None


def _split(url: str, environment: str, server_urls: list[str]) -> tuple[str, str]:
    parts = urlsplit(url)
    if environment == "local":
        return "http://127.0.0.1:8765", parts.path
    return f"{parts.scheme}://{parts.netloc}", parts.path


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    raw = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
    pairs = (item.strip().split("=", 1) for item in raw.split(";") if "=" in item)
    return dict(pairs)
