"""A workflow of several steps, and its export for SimWorkflow and Conductor.

Each step is one task; its inputs come from the workflow's input, an earlier step's output or
a literal; a step may run only when a condition on an earlier output holds::

    {"name": "payout_lifecycle", "steps": [
      {"name": "upsert", "task": "upsert-payout-request",
       "inputs": {"id": "${workflow.input.id}", "amount": "${workflow.input.amount}"}},
      {"name": "read", "task": "get-payout-request",
       "inputs": {"id": "${upsert.output.response.body.id}"}},
      {"name": "cancel", "task": "cancel-payout-request",
       "inputs": {"id": "${read.output.response.body.id}", "canceledBy": "merchant"},
       "when": {"value": "${read.output.response.body.status}", "equals": "pending"}}]}

A step's output is its result's JSON (`TaskResult.to_json()`: `response.statusCode`,
`response.headers`, `response.body`), the shape of Conductor's HTTP task output, so a path
reads the same everywhere:

- SimWorkflow: an `Http` task per step, named after it and chained by `nextTask`, whose
  `inputParameters` read `${workflow.input.id}` or `${upsert.output.response.body.id}`; a
  condition is a `Decision` task `STEP_when` before its step (`choices: [{variable,
  stringEquals, nextTask}]`, then `defaultTask`, or `end` when nothing follows).
- Conductor: an `HTTP` task `STEP_ref` per step, its `http_request` reading
  `${upsert_ref.output.response.body.id}`; a condition is a `SWITCH` (`value-param`) whose one
  case holds the step and whose default is empty; the task definitions of every step.

`step_inputs` and `holds` read the same wiring against the outputs of the steps that ran:
that is how the steps run in order through the connector itself. The exports are written by
`_workflow_export`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, JsonValue, ValidationError, model_validator

from connector._errors import FieldError, TemplateError
from connector._model import StrictModel
from connector._result import TaskResult
from connector._template import read_json_file

__all__ = [
    "Source",
    "Step",
    "StepRun",
    "When",
    "Workflow",
    "holds",
    "load_workflow",
    "parse_workflow",
    "run_steps",
    "step_inputs",
]

_INPUT: Final = re.compile(r"^\$\{workflow\.input\.([A-Za-z_][A-Za-z0-9_]*)\}$")
_OUTPUT: Final = re.compile(r"^\$\{([a-z][a-z0-9_]*)\.output((?:\.[A-Za-z0-9_-]+)+)\}$")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value comes from: a workflow input, an earlier step's output, or a literal."""

    kind: Literal["input", "output", "literal"]
    name: str = ""
    path: tuple[str, ...] = ()
    value: JsonValue = None

    @classmethod
    def of(cls, value: JsonValue) -> Source:
        """`${workflow.input.NAME}`, `${STEP.output.PATH}`, or a literal without `${`."""
        if isinstance(value, str) and (match := _INPUT.match(value)):
            return cls("input", match[1])
        if isinstance(value, str) and (match := _OUTPUT.match(value)):
            return cls("output", match[1], tuple(match[2][1:].split(".")))
        if "${" in json.dumps(value):
            raise ValueError(
                f"{value!r}: an expression is ${{workflow.input.NAME}} or "
                "${STEP.output.PATH} (a whole value); a literal holds no '${'"
            )
        return cls("literal", value=value)

    def read(self, workflow_input: Mapping[str, Any], outputs: Mapping[str, Any]) -> Any:
        """The value, given the workflow input and the outputs of the steps that ran (a path
        that leads nowhere is None, as an engine's unresolved expression is null)."""
        if self.kind == "literal":
            return self.value
        node: Any = workflow_input.get(self.name) if self.kind == "input" else outputs[self.name]
        for part in self.path:
            node = node.get(part) if isinstance(node, dict) else None
        return node


class When(StrictModel):
    """Run the step only when `value` (an expression) reads as the text `equals`."""

    value: str
    equals: str = Field(min_length=1)


class Step(StrictModel):
    """One task of the workflow and where its inputs come from."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    task: str = Field(min_length=1)
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    when: When | None = None

    def sources(self) -> dict[str, Source]:
        """Each input's source."""
        return {name: Source.of(value) for name, value in self.inputs.items()}


class Workflow(StrictModel):
    """Steps run in order; an output is read only from an earlier step that always runs."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")
    description: str = ""
    steps: list[Step] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _check_wiring(self) -> Workflow:
        always: set[str] = set()
        taken: set[str] = set()
        for index, step in enumerate(self.steps):
            own = {step.name, f"{step.name}_when"} if step.when else {step.name}
            if own & taken:
                raise ValueError(f"steps.{index}.name: {step.name!r} is used twice")
            taken |= own
            read = _sources(step, f"steps.{index}")
            for field, source in read.items():
                if source.kind == "output" and source.name not in always:
                    raise ValueError(
                        f"steps.{index}.{field}: reads step {source.name!r}, which is not "
                        "an earlier step that always runs"
                    )
            if step.when is None:
                always.add(step.name)
        return self


def _sources(step: Step, where: str) -> dict[str, Source]:
    """Each input's source and the condition's, a bad one refused with its field named."""
    values: dict[str, JsonValue] = {f"inputs.{k}": v for k, v in step.inputs.items()}
    if step.when is not None:
        values["when.value"] = step.when.value
    read = {}
    for field, value in values.items():
        try:
            read[field] = Source.of(value)
        except ValueError as exc:
            raise ValueError(f"{where}.{field}: {exc}") from None
    if "when.value" in read and read["when.value"].kind == "literal":
        raise ValueError(f"{where}.when.value: an expression, not a literal")
    return read


def parse_workflow(data: Any, *, source: str = "workflow") -> Workflow:
    """A workflow from its JSON; TemplateError naming each bad field."""
    try:
        return Workflow.model_validate(data)
    except ValidationError as exc:
        errors = [_field_error(error) for error in exc.errors()]
        raise TemplateError(f"{source} is not a workflow", field_errors=errors) from None


def load_workflow(path: Path) -> Workflow:
    """Read and check a workflow file; TemplateError naming the file or each bad field."""
    return parse_workflow(read_json_file(path), source=str(path))


def _field_error(error: Any) -> FieldError:
    message = str(error["msg"]).removeprefix("Value error, ")
    field = ".".join(map(str, error["loc"]))
    if not field and ": " in message:  # the wiring check names its field first
        field, message = message.split(": ", 1)
    return FieldError(field=field, message=message)


def holds(when: When, workflow_input: Mapping[str, Any], outputs: Mapping[str, Any]) -> bool:
    """Whether the condition holds: the value as text (JSON for a non-string) equals."""
    value = Source.of(when.value).read(workflow_input, outputs)
    return (value if isinstance(value, str) else json.dumps(value)) == when.equals


def step_inputs(
    step: Step, workflow_input: Mapping[str, Any], outputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The step's task input (an input whose value is None is left out, as the connector
    leaves out an input not given)."""
    values = {k: s.read(workflow_input, outputs) for k, s in step.sources().items()}
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class StepRun:
    """What became of one step: its input and result, or neither when it did not run."""

    step: Step
    inputs: dict[str, Any] | None = None
    result: TaskResult | None = None
    skipped: bool = False

    @property
    def status(self) -> str:
        """COMPLETED or FAILED (the result's), SKIPPED (its condition did not hold), or
        NOT_RUN (an earlier step did not complete)."""
        if self.result is not None:
            return self.result.status
        return "SKIPPED" if self.skipped else "NOT_RUN"


Send = Callable[[Step, dict[str, Any]], TaskResult]


def run_steps(workflow: Workflow, workflow_input: Mapping[str, Any], send: Send) -> list[StepRun]:
    """Each step in order, sent by `send` (the connector's executor, wherever it points): a
    conditional step only when its condition holds; after a step that does not complete,
    the rest do not run (an engine would fail the workflow there)."""
    outputs: dict[str, Any] = {}
    runs: list[StepRun] = []
    for step in workflow.steps:
        if runs and runs[-1].status in {"FAILED", "NOT_RUN"}:
            runs.append(StepRun(step))
        elif step.when is not None and not holds(step.when, workflow_input, outputs):
            runs.append(StepRun(step, skipped=True))
        else:
            inputs = step_inputs(step, workflow_input, outputs)
            result = send(step, inputs)
            outputs[step.name] = result.to_json()
            runs.append(StepRun(step, inputs, result))
    return runs
