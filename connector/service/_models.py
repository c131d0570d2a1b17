"""The request and response bodies of the service's JSON API.

They are the single source of its OpenAPI description: strict, camelCase on the wire. No
model has a credential field: credentials stay in the server's environment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, JsonValue, WithJsonSchema

from connector._errors import ConnectorError, FieldError
from connector._model import StrictModel
from connector._result import RequestView
from connector.engines import engine_names

Environment = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
"""One of the task's environments (`local` is the service's emulator)."""


def _known_engine(name: str) -> str:
    if name not in engine_names():
        raise ValueError(f"unknown engine {name!r} (known: {', '.join(engine_names())})")
    return name


Engine = Annotated[
    str,
    AfterValidator(_known_engine),
    WithJsonSchema({"type": "string", "enum": engine_names()}),
]
"""A registered engine's name (the registry is the one list)."""

MAX_INPUT_KEYS = 500


class ErrorInfo(StrictModel):
    """Why a request was refused; `fieldErrors` use dot notation (`allocations.0.method`)."""

    kind: str
    message: str
    field_errors: list[FieldError] = Field(default_factory=list)


class ErrorBody(StrictModel):
    """Every 4xx answer of the API."""

    error: ErrorInfo

    @classmethod
    def of(cls, kind: str, message: str, field_errors: Any = ()) -> ErrorBody:
        """An error body from its parts."""
        return cls(error=ErrorInfo(kind=kind, message=message, field_errors=list(field_errors)))

    @classmethod
    def from_error(cls, error: ConnectorError) -> ErrorBody:
        """An error body for a definition-time error: nothing was sent."""
        return cls.of(error.kind, error.message, error.field_errors)


class TaskSummary(StrictModel):
    """A task as the palette lists it."""

    name: str
    title: str
    description: str
    method: str
    path: str


class CatalogueTask(StrictModel):
    """A task as the palette shows it; `ref` names it in the other routes."""

    ref: str = Field(description="NAME for a shipped task, API/NAME for an imported one")
    name: str
    api: str
    source: Literal["shipped", "imported"]
    operation_id: str | None
    title: str
    method: str
    path: str
    tag: str = Field(description="The operation's first tag (the palette files it there)")
    score: float | None = Field(default=None, description="Its rank's score, when searched")


class CatalogueTag(StrictModel):
    """The tasks of one tag of an API."""

    tag: str
    tasks: list[CatalogueTask]


class CatalogueGroup(StrictModel):
    """The tasks of one API (shipped, or imported into the user catalogue), by tag."""

    api: str
    source: Literal["shipped", "imported"]
    count: int
    tags: list[CatalogueTag]


class Catalogue(StrictModel):
    """The palette: every task by API and tag, or a query's ranked matches."""

    query: str | None
    total: int = Field(description="How many tasks the whole catalogue has")
    groups: list[CatalogueGroup]
    hits: list[CatalogueTask] | None = Field(
        default=None, description="With a query: the matches, best first (as connector search)"
    )


class TaskDetail(TaskSummary):
    """One task: its template, the schema of its inputs and of its request body."""

    template: dict[str, JsonValue]
    input_schema: dict[str, JsonValue]
    body_schema: dict[str, JsonValue] | None
    environments: list[str]
    environment_kinds: dict[str, Literal["production", "test", "local"]] = Field(
        default_factory=dict
    )
    """Each environment's kind (`connector._target.kind`): production needs a confirmation."""


class RenderRequest(StrictModel):
    """Task inputs and where the request would go."""

    inputs: dict[str, JsonValue] = Field(default_factory=dict, max_length=MAX_INPUT_KEYS)
    environment: Environment | None = None
    """None: a dry run shows the test environment (else local); a test request goes to the
    test environment when its credentials are set, else local (`connector._target`)."""


class TestRequest(RenderRequest):
    """A render request that is sent; a production environment needs `confirmLive`."""

    __test__ = False
    confirm_live: bool = Field(default=False, strict=True)
    """Only JSON `true` confirms a production send (not "yes", not 1)."""


class PreparedView(RequestView):
    """The dry run: exactly what would be sent, credentials redacted, and its warnings."""

    warnings: list[str] = Field(default_factory=list)
    curl: str = Field(default="", description="The request as a cURL command (credential: $VAR)")


class EngineInfo(StrictModel):
    """A workflow engine the page can export to and import from."""

    name: Engine
    title: str


class ExportRequest(StrictModel):
    """Which engine to export the configured step for."""

    engine: Engine
    inputs: dict[str, JsonValue] = Field(default_factory=dict, max_length=MAX_INPUT_KEYS)
    environment: Environment | None = None
    """None: the test environment, else the API's first server (never `local`)."""
    workflow: str | None = Field(default=None, min_length=1, max_length=100)
    credentials: str | None = Field(default=None, min_length=1, max_length=100)


class ExportResponse(StrictModel):
    """The engine's task JSON, ready to copy or download."""

    engine: Engine
    filename: str
    document: JsonValue
    warnings: list[str] = Field(default_factory=list)


class ImportRequest(StrictModel):
    """An engine's HTTP task JSON (a task or a whole definition)."""

    engine: Engine
    document: dict[str, JsonValue]
    task: str | None = Field(default=None, max_length=200)


class ImportResponse(StrictModel):
    """The step back: the task it runs, its template and the inputs it was configured with."""

    task: str
    template: dict[str, JsonValue]
    inputs: dict[str, JsonValue]
    shipped: bool
    warnings: list[str] = Field(default_factory=list)
