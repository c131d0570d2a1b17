"""The one structured response handed to the workflow engine, for every outcome.

    {"status", "retryable", "response", "request", "attempts", "elapsedMs", "error", "warnings"}

`status` is COMPLETED exactly when the final status code is one the template declares a
success; a failed response keeps its status code, headers and body. Its JSON Schema (the
task's output shape in manifest.json) is generated from these models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, PlainSerializer, PrivateAttr

from connector._errors import (
    ConnectorError,
    FieldError,
    InputError,
    RenderError,
    RetriesExhaustedError,
    RunError,
    StatusError,
    TemplateError,
    TransportError,
    UsageError,
)
from connector._model import StrictModel
from connector._template import ResponseSpec

ErrorKind = Literal[
    "validation",
    "render",
    "template",
    "description",
    "overlay",
    "usage",
    "http",
    "timeout",
    "connection",
    "rate_limited",
    "retries_exhausted",
]


class RequestView(StrictModel):
    """The request as sent, credentials redacted."""

    method: str
    url: str
    headers: dict[str, str]
    content_type: str | None = None
    body: JsonValue = Field(
        default=None,
        description="The JSON value of a JSON body, the encoded text of a form, a part list",
    )


class ResponseView(StrictModel):
    """The final response, whatever its status."""

    status_code: int
    reason_phrase: str
    headers: dict[str, str]
    body: JsonValue = None
    declared_as: str | None = Field(
        default=None,
        description="The template's `responses` key that describes this status (201, 2XX, default)",
    )


Milliseconds = Annotated[float, PlainSerializer(lambda v: round(v, 1), return_type=float)]
"""A duration in milliseconds, written to a tenth: what a person reads, not 14 digits."""

Seconds = Annotated[float, PlainSerializer(lambda v: round(v, 3), return_type=float)]
"""A wait in seconds, written to the millisecond."""


class Attempt(StrictModel):
    """One attempt: its outcome, how long it took, and the wait before the next one."""

    number: int
    status_code: int | None = None
    error: str | None = None
    elapsed_ms: Milliseconds
    wait_seconds: Seconds = 0.0
    wait_reason: Literal["backoff", "Retry-After", "X-RateLimit-Retry-After"] | None = Field(
        default=None, description="What set the wait: the backoff, or the server's header"
    )


class ErrorInfo(StrictModel):
    """Why the task failed; `kind` tells 'nothing sent' kinds from run-time kinds."""

    kind: ErrorKind
    message: str
    field_errors: list[FieldError] = Field(default_factory=list)


class TaskResult(StrictModel):
    """The structured response of one task run."""

    status: Literal["COMPLETED", "FAILED"]
    retryable: bool = False
    response: ResponseView | None = None
    request: RequestView | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    elapsed_ms: Milliseconds = 0.0
    error: ErrorInfo | None = None
    warnings: list[str] = Field(default_factory=list)
    _response_spec: ResponseSpec | None = PrivateAttr(default=None)

    @property
    def response_spec(self) -> ResponseSpec | None:
        """The template's declared response for the final status (its content type, schema)."""
        return self._response_spec

    @classmethod
    def from_error(cls, error: ConnectorError) -> TaskResult:
        """A FAILED result for an error raised before or while sending."""
        info = ErrorInfo(
            kind=error.kind, message=error.message, field_errors=list(error.field_errors)
        )
        return cls(status="FAILED", error=info)

    def raise_for_status(self) -> TaskResult:
        """This result when COMPLETED; otherwise raise the error of its kind, as httpx's
        `Response.raise_for_status` does (the result rides along as `error.result`).

        Raises:
            DefinitionError: nothing was sent (`InputError`, `TemplateError`, ...).
            RunError: it was sent and FAILED (`StatusError`, `TransportError`,
                `RetriesExhaustedError`).
        """
        if self.status == "COMPLETED":
            return self
        info = self.error or ErrorInfo(kind="http", message="the request FAILED")
        error = _ERRORS_BY_KIND.get(info.kind, RunError)(
            info.message, field_errors=info.field_errors
        )
        error.result = self  # type: ignore[attr-defined]
        raise error

    def to_json(self) -> dict[str, Any]:
        """The camelCase JSON object the engine receives."""
        return self.model_dump(mode="json", by_alias=True)


def output_schema() -> dict[str, Any]:
    """JSON Schema of the structured response (a task's output shape)."""
    return TaskResult.model_json_schema(by_alias=True, mode="serialization")


_ERRORS_BY_KIND: dict[str, type[ConnectorError]] = {
    "validation": InputError,
    "render": RenderError,
    "template": TemplateError,
    "usage": UsageError,
    "http": StatusError,
    "rate_limited": StatusError,
    "timeout": TransportError,
    "connection": TransportError,
    "retries_exhausted": RetriesExhaustedError,
}
