"""The task template format: strict pydantic models and loading from a file.

A task template is one JSON document that describes one API operation as a workflow step:
where it is sent (`servers` + `httpRequest.url`), how it authenticates (`auth`, declared and
never written in), what it sends (`httpRequest`, with `<<name>>` placeholders), what the body
must look like (`bodySchema`) and how it is retried (`retry`, timeouts, deadline). The JSON
Schema of the format itself is generated from these models (`TaskTemplate.model_json_schema`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import Field, JsonValue, ValidationError, model_validator

from connector._errors import TemplateError
from connector._idempotency import Idempotency, declares_input
from connector._model import StrictModel, field_errors
from connector._read import read_json
from connector._suggest import did_you_mean
from connector._validators import schema_problem
from connector.auth import Auth
from connector.auth._base import ENV_NAME

HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"]

ExtensionMethod = Annotated[
    str,
    Field(
        pattern=r"^[A-Z][A-Z0-9-]{0,31}$",
        description="Another method an API declares (OpenAPI 3.2 `additionalOperations`)",
    ),
]

MAX_REQUEST_BODY_BYTES: Final = 1 << 20
"""The largest encoded request body a template sends unless it declares `maxBodyBytes`."""


class Operation(StrictModel):
    """Which API operation the task performs."""

    api: str
    operation_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    group: str | None = Field(
        default=None, description="The palette group (a tag path), when not the first tag"
    )
    deprecated: bool = False
    overlays: list[str] = Field(
        default_factory=list,
        description="The overlays applied to the description before import, in order",
    )


class ServerVariable(StrictModel):
    """A `<<name>>` in a server URL that is not a path parameter: a default and its choices."""

    default: str
    enum: list[str] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _check_default(self) -> ServerVariable:
        if self.enum is not None and self.default not in self.enum:
            raise ValueError(f"default {self.default!r} is not one of enum")
        return self


class Server(StrictModel):
    """A named environment: its base URL, and the variables written in it."""

    url: str
    description: str = ""
    variables: dict[str, ServerVariable] = Field(default_factory=dict)


ParameterLocation = Literal["path", "query", "header", "cookie", "querystring"]
ParameterStyle = Literal[
    "simple", "label", "matrix", "form", "spaceDelimited", "pipeDelimited", "deepObject", "cookie"
]

STYLES: dict[str, frozenset[str]] = {
    "path": frozenset({"simple", "label", "matrix"}),
    "query": frozenset({"form", "spaceDelimited", "pipeDelimited", "deepObject"}),
    "header": frozenset({"simple"}),
    "cookie": frozenset({"form", "cookie"}),
    "querystring": frozenset(),
}
"""The styles OpenAPI allows in each location; the first default is `DEFAULT_STYLE`."""

DEFAULT_STYLE: dict[str, str] = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
    "querystring": "form",
}


class Parameter(StrictModel):
    """An input that is not a body field: a path segment, a query, header or cookie value."""

    location: ParameterLocation = Field(alias="in")
    name: str | None = Field(default=None, description="Name on the wire; default: the key")
    required: bool = False
    style: ParameterStyle | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    content_type: str | None = Field(
        default=None,
        description="A `querystring` input's media type: how the whole query string is written",
    )
    json_schema: dict[str, Any] = Field(default_factory=dict, alias="schema")
    default: JsonValue = None
    env: str | None = Field(default=None, description="Environment variable used when not given")
    description: str = ""
    deprecated: bool = False

    @model_validator(mode="after")
    def _check_style(self) -> Parameter:
        if self.style is not None and self.style not in STYLES[self.location]:
            allowed = ", ".join(sorted(STYLES[self.location]))
            raise ValueError(f"style {self.style!r} is not for {self.location} ({allowed})")
        return self

    @property
    def wire_style(self) -> str:
        """The style used to serialise: the given one, or OpenAPI's default for `in`."""
        return self.style or DEFAULT_STYLE[self.location]

    @property
    def wire_explode(self) -> bool:
        """`explode` as given, or OpenAPI's default (true for form, else false)."""
        return self.explode if self.explode is not None else self.wire_style == "form"

    @property
    def has_default(self) -> bool:
        """True when the template gives a default (which may be null)."""
        return "default" in self.model_fields_set


class Encoding(StrictModel):
    """How one property of a form or multipart body is written (OpenAPI's Encoding Object)."""

    content_type: str | None = None
    style: Literal["form", "spaceDelimited", "pipeDelimited", "deepObject"] | None = None
    explode: bool | None = None
    allow_reserved: bool = False


class HttpRequest(StrictModel):
    """The request, in the vocabulary of the workflow engines' HTTP task."""

    url: str = Field(description="Path appended to the environment's base URL, or absolute")
    method: HttpMethod | ExtensionMethod
    headers: dict[str, str] = Field(default_factory=dict)
    content_type: str | None = Field(
        default=None, description="How the body is encoded; default: a Content-Type header, or JSON"
    )
    body: JsonValue = None
    encoding: dict[str, Encoding] = Field(default_factory=dict)


StatusCode = Annotated[int, Field(ge=100, le=599)] | Annotated[str, Field(pattern=r"^[1-5]XX$")]
"""A status code, or a range of a hundred written as OpenAPI writes it (`2XX`)."""

_RESPONSE_KEY = re.compile(r"^(?:[1-5][0-9][0-9]|[1-5]XX|default)$")


class ResponseSpec(StrictModel):
    """What the API answers with one status: its content type and body schema."""

    description: str = ""
    content_type: str | None = None
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")


class RetryPolicy(StrictModel):
    """How one task run retries: delay = interval x backoffRate^(n-1), capped, plus jitter."""

    interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    max_attempts: int = Field(default=3, ge=1, le=50)
    backoff_rate: float = Field(default=2.0, ge=1, le=10)
    max_interval_seconds: float = Field(default=30.0, ge=0, le=3600)
    jitter_seconds: float = Field(default=0.5, ge=0, le=60)
    retry_non_idempotent: bool = Field(
        default=False, description="Declare a POST/PATCH safe to repeat after a response"
    )


def _default_success_codes() -> list[int | str]:
    return [200, 201, 202, 204]


class TaskTemplate(StrictModel):
    """One API operation as a workflow step."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")
    title: str
    description: str = ""
    operation: Operation | None = None
    servers: dict[str, str | Server] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    auth: Auth = Field(default_factory=Auth)
    env: list[Annotated[str, Field(pattern=ENV_NAME)]] = Field(
        default_factory=list, description="Other environment variables the template may read"
    )
    http_request: HttpRequest
    body_schema: dict[str, Any] | None = None
    max_body_bytes: int = Field(default=MAX_REQUEST_BODY_BYTES, ge=0, le=1 << 30)
    success_status_codes: list[StatusCode] = Field(default_factory=_default_success_codes)
    responses: dict[str, ResponseSpec] = Field(default_factory=dict)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    idempotency: Idempotency = Field(
        default_factory=Idempotency,
        description="What makes the step safe to repeat: an idempotency key input, a read-back",
    )
    connection_timeout_seconds: float = Field(default=5, gt=0, le=600)
    read_timeout_seconds: float = Field(default=10, gt=0, le=3600)
    deadline_seconds: float = Field(default=60, gt=0, le=86400)
    examples: list[dict[str, JsonValue]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_schemas(self) -> TaskTemplate:
        problem = None if self.body_schema is None else schema_problem(self.body_schema)
        if problem is not None:
            raise ValueError(f"bodySchema is not a usable JSON Schema: {problem}")
        for key, response in self.responses.items():
            if not _RESPONSE_KEY.match(key):
                raise ValueError(f"responses.{key}: a status code, a range such as 2XX, or default")
            problem = None if response.json_schema is None else schema_problem(response.json_schema)
            if problem is not None:
                raise ValueError(f"responses.{key}.schema is not a usable JSON Schema: {problem}")
        named = self.idempotency.key
        if named is not None and not declares_input(self, named):
            raise ValueError(
                f"idempotency.key: {named!r} is not an input of the template (a parameter or a "
                "<<placeholder>> of the body)"
            )
        return self

    @property
    def base_urls(self) -> dict[str, str]:
        """Each environment's base URL as written (its `<<variables>>` not filled in)."""
        return {name: _server_url(server) for name, server in self.servers.items()}

    def server(self, name: str) -> Server | None:
        """The environment `name` as a `Server` (a plain URL has no variables)."""
        server = self.servers.get(name)
        return Server(url=server) if isinstance(server, str) else server

    def success_codes(self) -> frozenset[int]:
        """Every status code that counts as success, ranges expanded."""
        return expand_status_codes(self.success_status_codes)

    def response_for(self, status_code: int) -> ResponseSpec | None:
        """The declared response for a status: exact code, then its range, then default."""
        key = response_key(self.responses, status_code)
        return None if key is None else self.responses[key]

    def to_json(self) -> dict[str, Any]:
        """The template as it is written in a file (camelCase, defaults left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


def response_key(responses: Mapping[str, ResponseSpec], status_code: int) -> str | None:
    """The `responses` key that describes a status: `201`, else `2XX`, else `default`."""
    for key in (str(status_code), f"{status_code // 100}XX", "default"):
        if key in responses:
            return key
    return None


def expand_status_codes(codes: list[int | str]) -> frozenset[int]:
    """`[200, "3XX"]` as the set of codes it names."""
    expanded: set[int] = set()
    for code in codes:
        if isinstance(code, int):
            expanded.add(code)
        else:
            first = int(code[0]) * 100
            expanded.update(range(first, first + 100))
    return frozenset(expanded)


def _server_url(server: str | Server) -> str:
    return server if isinstance(server, str) else server.url


def parse_template(data: object, *, source: str) -> TaskTemplate:
    """Validate a parsed template document; errors name every bad key and the source."""
    try:
        return TaskTemplate.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc, message=_message)
        raise TemplateError(f"{source} is not a valid task template", field_errors=errors) from None


TEMPLATE_MAX_DEPTH: Final = 256
"""How deeply a template file may nest (a body schema nests more than a task input)."""


def read_json_file(path: Path) -> Any:
    """A template-like JSON file (a template, a workflow), depth-bounded; TemplateError
    naming the file when it cannot be read or is not JSON."""
    return read_json(path, error=TemplateError, max_depth=TEMPLATE_MAX_DEPTH)


def load_template_file(path: Path) -> TaskTemplate:
    """Read and validate one template file."""
    return parse_template(read_json_file(path), source=str(path))


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return f"unknown key{did_you_mean(str(error['loc'][-1]), _known_keys(error['loc'][:-1]))}"
    if error["type"] == "missing":
        return "is required"
    return str(error["msg"])


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the format allows at `loc`, read from its generated JSON Schema."""
    schema = _format_schema()
    node: dict[str, Any] = schema
    for part in loc:
        node = _deref(schema, node)
        if isinstance(part, int) and "items" in node:
            node = node["items"]
        elif isinstance(part, str) and part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return []
    return list(_deref(schema, node).get("properties", {}))


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with `$ref` and a single non-null `anyOf` branch followed."""
    while True:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
            continue
        branches = [b for b in node.get("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            node = branches[0]
            continue
        return node


@lru_cache(maxsize=1)
def _format_schema() -> dict[str, Any]:
    return TaskTemplate.model_json_schema(by_alias=True)
