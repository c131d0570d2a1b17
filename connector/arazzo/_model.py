"""The Arazzo 1.0.x / 1.1 document as strict models: the single source of truth of its shape.

Every object refuses a key it does not define, except the `x-` specification extensions;
the 1.1 additions (`$self`, a step's `timeout`, `dependsOn`, `channelPath`, `action`,
`correlationId`, selector objects, expression type objects, `querystring` parameters) are
read here and refused for a 1.0 document by `_check`, with the field's JSON pointer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "Components",
    "Criterion",
    "Document",
    "ExpressionType",
    "FailureAction",
    "Info",
    "Parameter",
    "Payload",
    "Replacement",
    "RequestBody",
    "Reusable",
    "Selector",
    "SourceDescription",
    "Step",
    "SuccessAction",
    "Workflow",
]

ID_PATTERN = r"^[A-Za-z0-9_\-]+$"
KEY_PATTERN = r"^[a-zA-Z0-9\.\-_]+$"


class Node(BaseModel):
    """An Arazzo object: its own fields, plus `x-` extensions and nothing else."""

    model_config = ConfigDict(
        extra="allow", frozen=True, alias_generator=to_camel, populate_by_name=True
    )

    @model_validator(mode="after")
    def _only_extensions(self) -> Node:
        unknown = [key for key in self.model_extra or {} if not key.startswith("x-")]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (only x- extensions may be added)")
        return self


class ExpressionType(Node):
    """A selector language and its version (1.1)."""

    type: Literal["jsonpath", "xpath", "jsonpointer"]
    version: str


class Selector(Node):
    """A value picked out of structured data by JSONPath, XPath or JSON Pointer (1.1)."""

    context: str
    selector: str
    type: Literal["jsonpath", "xpath", "jsonpointer"] | ExpressionType


class Info(Node):
    """What the document is."""

    title: str
    summary: str | None = None
    description: str | None = None
    version: str


class SourceDescription(Node):
    """An API description (or another Arazzo document) the workflows call."""

    name: str = Field(pattern=ID_PATTERN)
    url: str
    type: Literal["openapi", "arazzo", "asyncapi"] | None = None


class Parameter(Node):
    """A value passed to an operation (`in` names where) or to a workflow (no `in`)."""

    name: str
    in_: Literal["path", "query", "querystring", "header", "cookie"] | None = Field(
        default=None, alias="in"
    )
    value: JsonValue


class Reusable(Node):
    """A reference to a component (`$components.parameters.page`), its value overridable."""

    reference: str
    value: JsonValue = None


class Criterion(Node):
    """An assertion: simple (the default), regex, jsonpath or xpath."""

    context: str | None = None
    condition: str
    type: Literal["simple", "regex", "jsonpath", "xpath"] | ExpressionType | None = None


class SuccessAction(Node):
    """What to do after a step succeeds, when its criteria hold."""

    name: str
    type: Literal["end", "goto"]
    workflow_id: str | None = None
    step_id: str | None = None
    parameters: list[Parameter | Reusable] = Field(default_factory=list)
    criteria: list[Criterion] = Field(default_factory=list)


class FailureAction(Node):
    """What to do after a step fails, when its criteria hold."""

    name: str
    type: Literal["end", "goto", "retry"]
    workflow_id: str | None = None
    step_id: str | None = None
    parameters: list[Parameter | Reusable] = Field(default_factory=list)
    retry_after: float | None = Field(default=None, ge=0)
    retry_limit: int | None = Field(default=None, ge=0)
    criteria: list[Criterion] = Field(default_factory=list)


class Replacement(Node):
    """A value set at one location of a payload."""

    target: str
    target_selector_type: Literal["jsonpath", "xpath", "jsonpointer"] | ExpressionType | None = None
    value: JsonValue


Payload = Any
"""A request body payload: any JSON value, expressions and selector objects inside."""


class RequestBody(Node):
    """The body a step sends."""

    content_type: str | None = None
    payload: Payload = None
    replacements: list[Replacement] = Field(default_factory=list)


class Step(Node):
    """One call: an operation, or another workflow."""

    step_id: str = Field(pattern=ID_PATTERN)
    description: str | None = None
    operation_id: str | None = None
    operation_path: str | None = None
    workflow_id: str | None = None
    channel_path: str | None = None
    parameters: list[Parameter | Reusable] = Field(default_factory=list)
    request_body: RequestBody | None = None
    success_criteria: list[Criterion] = Field(default_factory=list)
    on_success: list[SuccessAction | Reusable] = Field(default_factory=list)
    on_failure: list[FailureAction | Reusable] = Field(default_factory=list)
    outputs: dict[str, str | Selector] = Field(default_factory=dict)
    timeout: int | None = Field(default=None, ge=0)
    correlation_id: str | None = None
    action: Literal["send", "receive"] | None = None
    depends_on: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_target(self) -> Step:
        given = [
            name
            for name in ("operationId", "operationPath", "workflowId", "channelPath")
            if getattr(self, to_snake(name)) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "a step names exactly one of operationId, operationPath, workflowId"
                f" or channelPath (it names {', '.join(given) or 'none'})"
            )
        return self


class Workflow(Node):
    """Steps toward one objective, its inputs (a JSON Schema) and outputs."""

    workflow_id: str = Field(pattern=ID_PATTERN)
    summary: str | None = None
    description: str | None = None
    inputs: dict[str, Any] | None = None
    depends_on: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    success_actions: list[SuccessAction | Reusable] = Field(default_factory=list)
    failure_actions: list[FailureAction | Reusable] = Field(default_factory=list)
    outputs: dict[str, str | Selector] = Field(default_factory=dict)
    parameters: list[Parameter | Reusable] = Field(default_factory=list)


class Components(Node):
    """Reusable inputs, parameters and actions."""

    inputs: dict[str, dict[str, Any]] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    success_actions: dict[str, SuccessAction] = Field(default_factory=dict)
    failure_actions: dict[str, FailureAction] = Field(default_factory=dict)


class Document(Node):
    """An Arazzo description: sources, workflows, components."""

    arazzo: str = Field(pattern=r"^1\.[01]\.\d+(-.+)?$")
    self_uri: str | None = Field(default=None, alias="$self")
    info: Info
    source_descriptions: list[SourceDescription] = Field(min_length=1)
    workflows: list[Workflow] = Field(min_length=1)
    components: Components = Field(default_factory=Components)

    @property
    def minor(self) -> int:
        """0 for an Arazzo 1.0.x document, 1 for 1.1.x."""
        return int(self.arazzo.split(".")[1])

    def workflow(self, workflow_id: str) -> Workflow | None:
        """The workflow with this id, if any."""
        return next((w for w in self.workflows if w.workflow_id == workflow_id), None)


def to_snake(name: str) -> str:
    """`operationId` -> `operation_id`."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
