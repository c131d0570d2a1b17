"""The task template format: strict pydantic models and loading from a file.

A task template is one JSON document that describes one API operation as a workflow step:
where it is sent (`servers` + `httpRequest.url`), how it authenticates (`auth`, declared and
never written in), what it sends (`httpRequest`, with `<<name>>` placeholders), what the body
must look like (`bodySchema`) and how it is retried (`retry`, timeouts, deadline). The JSON
Schema of the format itself is generated from these models (`TaskTemplate.model_json_schema`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import jsonschema_rs
from pydantic import Field, JsonValue, ValidationError, model_validator

from connector._errors import FieldError, TemplateError
from connector._model import StrictModel

HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class Operation(StrictModel):
    """Which API operation the task performs."""

    api: str
    operation_id: str | None = None


class Parameter(StrictModel):
    """An input parameter that is not a body field (a path segment)."""

    location: Literal["path"] = Field(alias="in")
    required: bool = False
    env: str | None = Field(default=None, description="Environment variable used when not given")
    description: str = ""
    json_schema: dict[str, Any] = Field(default_factory=dict, alias="schema")


class AuthScheme(StrictModel):
    """A way to authenticate, read from an environment variable at send time."""

    type: Literal["apiKey", "bearer"]
    header: str
    env: str
    scheme: str | None = Field(default=None, description="Prefix such as 'Bearer'")


class HttpRequest(StrictModel):
    """The request, in the vocabulary of the workflow engines' HTTP task."""

    url: str = Field(description="Path appended to the environment's base URL, or absolute")
    method: HttpMethod
    headers: dict[str, str] = Field(default_factory=dict)
    body: JsonValue = None


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


class TaskTemplate(StrictModel):
    """One API operation as a workflow step."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,79}$")
    title: str
    description: str = ""
    operation: Operation | None = None
    servers: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    auth: list[AuthScheme] = Field(default_factory=list)
    http_request: HttpRequest
    body_schema: dict[str, Any] | None = None
    success_status_codes: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    connection_timeout_seconds: float = Field(default=5, gt=0, le=600)
    read_timeout_seconds: float = Field(default=10, gt=0, le=3600)
    deadline_seconds: float = Field(default=60, gt=0, le=86400)

    @model_validator(mode="after")
    def _check_body_schema(self) -> TaskTemplate:
        if self.body_schema is not None and not jsonschema_rs.meta.is_valid(self.body_schema):
            raise ValueError("bodySchema is not a valid JSON Schema")
        return self

    def to_json(self) -> dict[str, Any]:
        """The template as it is written in a file (camelCase, defaults left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


def parse_template(data: object, *, source: str) -> TaskTemplate:
    """Validate a parsed template document; errors name every bad key and the source."""
    try:
        return TaskTemplate.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(field=_dotted(e["loc"]), message=_message(e)) for e in exc.errors()]
        raise TemplateError(f"{source} is not a valid task template", field_errors=errors) from None


def load_template_file(path: Path) -> TaskTemplate:
    """Read and validate one template file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant)
    except OSError as exc:
        raise TemplateError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise TemplateError(f"{path} is not valid JSON: {exc}") from None
    return parse_template(data, source=str(path))


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _dotted(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    if error["type"] == "missing":
        return "is required"
    return str(error["msg"])
