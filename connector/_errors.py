"""The one exception tree of the connector.

    ConnectorError
    ├── DefinitionError          nothing was sent
    │   ├── TemplateError        a template file is not a valid task template
    │   ├── RenderError          a placeholder could not be rendered
    │   ├── InputError           the task input (or the body built from it) is invalid
    │   ├── DescriptionError     a file is not a readable OpenAPI 3.x or Swagger 2.0 description
    │   │   └── OverlayError     an overlay is invalid, or one of its actions cannot be applied
    │   ├── WorkflowError        an Arazzo document is invalid (fields named by JSON pointer)
    │   └── UsageError           the call names no place to send to
    │       ├── CredentialHostError   a credential would go to a host it is not bound to
    │       └── JournalError     a batch journal is busy, damaged, of other inputs, unwritable
    └── RunError                 a request was attempted
        ├── TransportError       no usable response: connect failure, reset, timeout
        │   ├── ConnectError     could not connect: nothing reached the server
        │   │   └── CredentialProxyError  a credential would cross a proxy in clear: not sent
        │   ├── ConnectTimeoutError   connecting timed out: nothing reached the server
        │   ├── ConnectionLostError   the connection dropped after the request was sent
        │   └── ReadTimeoutError      the request was sent and no answer came in time
        ├── StatusError          the final response's status is not a success
        └── RetriesExhaustedError     every allowed attempt failed

`TaskResult.raise_for_status()` raises the one that matches a FAILED result (with the result
as `error.result`); the executor itself returns a result for every outcome.

Every error carries the task name and, where it applies, field errors in Rebilly's dot
notation. No message ever contains a credential or the render context.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ConnectError",
    "ConnectTimeoutError",
    "ConnectionLostError",
    "ConnectorError",
    "CredentialHostError",
    "CredentialProxyError",
    "DefinitionError",
    "DescriptionError",
    "FieldError",
    "InputError",
    "JournalError",
    "OverlayError",
    "ReadTimeoutError",
    "RenderError",
    "RetriesExhaustedError",
    "RunError",
    "StatusError",
    "TemplateError",
    "TransportError",
    "UsageError",
    "WorkflowError",
]


class FieldError(BaseModel):
    """One problem with one field, `field` in dot notation (`allocations.0.method`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ConnectorError(Exception):
    """Base class of every error the connector raises on purpose."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        task: str | None = None,
        field_errors: tuple[FieldError, ...] | list[FieldError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.task = task
        self.field_errors = tuple(field_errors)

    def __str__(self) -> str:
        head = f"task '{self.task}': {self.message}" if self.task else self.message
        return "\n".join([head, *(f"  - {error}" for error in self.field_errors)])


class DefinitionError(ConnectorError):
    """Nothing was sent: the template, a placeholder or the input is wrong."""


class TemplateError(DefinitionError):
    """A template file does not follow the task template format."""

    kind = "template"


class RenderError(DefinitionError):
    """A placeholder of the template could not be rendered."""

    kind = "render"


class InputError(DefinitionError):
    """The task input, or the request built from it, is invalid."""

    kind = "validation"


class DescriptionError(DefinitionError):
    """A file is not an OpenAPI 3.x (or Swagger 2.0) description that can be read."""

    kind = "description"


class OverlayError(DescriptionError):
    """An overlay is not valid, or one of its actions cannot be applied (index and target)."""

    kind = "overlay"


class WorkflowError(DefinitionError):
    """An Arazzo workflow document is invalid; each field error names a JSON pointer."""

    kind = "workflow"


class UsageError(DefinitionError):
    """The call cannot be made as asked (no environment, no base URL, no credential)."""

    kind = "usage"


class CredentialHostError(UsageError):
    """A credential would be sent to a host it is not bound to, or over plain http."""


class JournalError(UsageError):
    """A batch journal cannot be used: another run holds it, it is damaged, it belongs to
    other inputs, or it cannot be written (a full disk); nothing is sent unjournaled."""


class RunError(ConnectorError):
    """A request was attempted and did not end in a usable response."""


class TransportError(RunError):
    """The connection failed, was reset or timed out."""

    kind = "connection"


class ConnectError(TransportError):
    """No connection could be made (refused, unreachable, name not found)."""


class CredentialProxyError(ConnectError):
    """A credential over plain http would pass through a proxy in clear: nothing was sent."""


class ConnectTimeoutError(TransportError):
    """Connecting took longer than the connect timeout."""

    kind = "timeout"


class ConnectionLostError(TransportError):
    """The connection was reset or closed after the request was sent."""


class ReadTimeoutError(TransportError):
    """The request was sent and the server did not answer within the read timeout."""

    kind = "timeout"


class StatusError(RunError):
    """The server answered with a status the template does not declare a success."""

    kind = "http"


class RetriesExhaustedError(RunError):
    """Every attempt the retry policy allows has failed."""

    kind = "retries_exhausted"
