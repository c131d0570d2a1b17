"""The semantic rules of an Arazzo document, checked before anything is sent.

Unique ids; every operation, source, workflow, step and component a reference names exists;
every runtime expression parses; a step reads only outputs a step that can have run before
it declares (an earlier step, or one a `goto` can reach first), never `$response` before it
is sent; criteria can be evaluated (xpath refused); 1.1 fields are refused in a 1.0
document. Every problem is one `FieldError` naming its JSON pointer; all are reported at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from connector._errors import FieldError, WorkflowError
from connector.arazzo._bind import BindError, Input, find_operation, step_inputs
from connector.arazzo._criteria import CriterionError, check_criterion
from connector.arazzo._expressions import (
    Expression,
    ExpressionError,
    embedded,
    is_expression_like,
    is_selector,
    parse,
)
from connector.arazzo._flow import can_precede, resolve_actions
from connector.arazzo._model import Criterion, Document, Selector, Step, Workflow
from connector.arazzo._sources import Operation, Sources

__all__ = ["Checked", "CompiledStep", "check_document"]

_V11_STEP = ("timeout", "correlation_id", "action", "channel_path")


@dataclass(frozen=True)
class CompiledStep:
    """A checked operation step: its operation and the task inputs it fills."""

    operation: Operation
    inputs: list[Input]


@dataclass
class Checked:
    """A document that passed every rule, with what its steps call."""

    document: Document
    sources: Sources
    steps: dict[tuple[str, str], CompiledStep] = field(default_factory=dict)

    def step(self, workflow: Workflow, step: Step) -> CompiledStep:
        """The compiled operation step."""
        return self.steps[(workflow.workflow_id, step.step_id)]


def check_document(document: Document, sources: Sources) -> Checked:
    """Check every rule; WorkflowError listing each problem by JSON pointer."""
    checked = Checked(document, sources)
    errors: list[FieldError] = []
    ids = [w.workflow_id for w in document.workflows]
    for index, workflow in enumerate(document.workflows):
        where = f"/workflows/{index}"
        if ids.index(workflow.workflow_id) != index:
            errors.append(_error(f"{where}/workflowId", f"{workflow.workflow_id!r} is used twice"))
        errors += _check_workflow(checked, workflow, where)
    if errors:
        raise WorkflowError("the workflow document breaks the rules", field_errors=errors)
    return checked


def _error(where: str, message: str) -> FieldError:
    return FieldError(field=where, message=message)


def _check_workflow(checked: Checked, workflow: Workflow, where: str) -> list[FieldError]:
    document = checked.document
    errors = [
        _error(f"{where}/dependsOn/{i}", f"no workflow {ref!r}")
        for i, ref in enumerate(workflow.depends_on)
        if not _workflow_exists(ref, checked)
    ]
    step_ids = [s.step_id for s in workflow.steps]
    for index, step in enumerate(workflow.steps):
        at = f"{where}/steps/{index}"
        if step_ids.index(step.step_id) != index:
            errors.append(_error(f"{at}/stepId", f"{step.step_id!r} is used twice"))
        errors += _check_step(checked, workflow, step, at)
    try:
        resolve_actions(document, workflow, where)
    except BindError as exc:
        errors.append(_pointed(exc, where))
    for name, value in workflow.outputs.items():
        errors += _check_reads(checked, workflow, None, value, f"{where}/outputs/{name}")
    return errors


def _check_step(checked: Checked, workflow: Workflow, step: Step, at: str) -> list[FieldError]:
    errors = _version_errors(checked.document, step, at)
    if step.channel_path is not None:
        return [*errors, _error(f"{at}/channelPath", "AsyncAPI channels are not supported")]
    try:
        if step.workflow_id is not None:
            if not _workflow_exists(step.workflow_id, checked):
                errors.append(_error(f"{at}/workflowId", f"no workflow {step.workflow_id!r}"))
        else:
            operation = find_operation(step, checked.sources)
            inputs = step_inputs(checked.document, workflow, step, operation, at)
            checked.steps[(workflow.workflow_id, step.step_id)] = CompiledStep(operation, inputs)
    except BindError as exc:
        field = "operationPath" if step.operation_path else "operationId"
        errors.append(_pointed(exc, f"{at}/{field}"))
    for name, value in _reads_before(step, at):
        errors += _check_reads(checked, workflow, step, value, name, sent=False)
    for name, value in _reads_after(checked.document, workflow, step, at):
        errors += _check_reads(checked, workflow, step, value, name)
    return errors


def _pointed(exc: BindError, default: str) -> FieldError:
    text = str(exc)
    if text.startswith("/") and ": " in text:
        where, message = text.split(": ", 1)
        return _error(where, message)
    return _error(default, text)


def _version_errors(document: Document, step: Step, at: str) -> list[FieldError]:
    if document.minor >= 1:
        return []
    return [
        _error(f"{at}/{_camel(name)}", f"added in Arazzo 1.1; this document is {document.arazzo}")
        for name in (*_V11_STEP, "depends_on")
        if getattr(step, name) not in (None, [])
    ]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _reads_before(step: Step, at: str) -> Iterator[tuple[str, Any]]:
    """Values read before the step's request is sent."""
    for index, parameter in enumerate(step.parameters):
        yield f"{at}/parameters/{index}/value", parameter.value
    if step.request_body is not None:
        yield f"{at}/requestBody/payload", step.request_body.payload
        for index, item in enumerate(step.request_body.replacements):
            yield f"{at}/requestBody/replacements/{index}/value", item.value


def _reads_after(
    document: Document, workflow: Workflow, step: Step, at: str
) -> Iterator[tuple[str, Any]]:
    """Values read once the step's response is in (outputs and criteria)."""
    for name, value in step.outputs.items():
        yield f"{at}/outputs/{name}", value
    for index, criterion in enumerate(step.success_criteria):
        yield f"{at}/successCriteria/{index}", criterion
    for kind in ("onSuccess", "onFailure"):
        for index, action in enumerate(
            getattr(step, "on_success" if kind == "onSuccess" else "on_failure")
        ):
            for number, criterion in enumerate(getattr(action, "criteria", [])):
                yield f"{at}/{kind}/{index}/criteria/{number}", criterion


def _check_reads(
    checked: Checked,
    workflow: Workflow,
    step: Step | None,
    value: Any,
    where: str,
    *,
    sent: bool = True,
) -> list[FieldError]:
    try:
        texts = list(_expressions_in(value))
    except (ExpressionError, CriterionError) as exc:
        return [_error(where, str(exc))]
    errors = []
    for text in texts:
        try:
            expression = parse(text)
        except ExpressionError as exc:
            errors.append(_error(where, str(exc)))
            continue
        problem = _unreadable(checked, workflow, step, expression, sent=sent)
        if problem:
            errors.append(_error(where, f"{text}: {problem}"))
    return errors


def _expressions_in(value: Any) -> Iterator[str]:
    if isinstance(value, Criterion):
        yield from check_criterion(value)
    elif isinstance(value, Selector):
        yield value.context
    elif isinstance(value, str):
        yield from [value] if is_expression_like(value) else embedded(value)
    elif isinstance(value, dict):
        if is_selector(value):
            yield str(value["context"])
            return
        for item in value.values():
            yield from _expressions_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions_in(item)


def _unreadable(
    checked: Checked, workflow: Workflow, step: Step | None, expression: Expression, *, sent: bool
) -> str | None:
    """Why the expression cannot be read where it is, or None."""
    if expression.root in {"exchange", "url", "method", "statusCode"} and not sent:
        return "no request or response exists before the step is sent"
    if expression.root == "steps":
        return _unreadable_step(workflow, step, expression, sent=sent)
    if expression.root == "workflows" and not _workflow_exists(expression.id, checked):
        return f"no workflow {expression.id!r}"
    if expression.root == "sourceDescriptions" and expression.id not in checked.sources.by_name:
        return f"no source {expression.id!r}"
    return _unreadable_named(checked, workflow, expression)


def _unreadable_named(checked: Checked, workflow: Workflow, expression: Expression) -> str | None:
    if expression.root == "components":
        table = getattr(checked.document.components, _snake(expression.at), {})
        return None if expression.name in table else f"no component {expression.name!r}"
    if expression.root == "inputs":
        return _unknown_input(checked.document, workflow, expression.name)
    return None


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _unreadable_step(
    workflow: Workflow, step: Step | None, expression: Expression, *, sent: bool
) -> str | None:
    """Why a step output cannot be read here (a step's actions may read its own outputs)."""
    target = next((s for s in workflow.steps if s.step_id == expression.id), None)
    if target is None:
        return f"no step {expression.id!r} in workflow {workflow.workflow_id!r}"
    head = expression.name.split(".")[0]
    if expression.name not in target.outputs and head not in target.outputs:
        return f"step {expression.id!r} has no output {expression.name!r}"
    itself = sent and step is target
    if step is not None and not itself and not can_precede(workflow, target, step):
        return f"step {expression.id!r} cannot have run before step {step.step_id!r}"
    return None


def _unknown_input(document: Document, workflow: Workflow, name: str) -> str | None:
    schema = _deref(document, workflow.inputs or {})
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return None
    if name in properties or name.split(".", maxsplit=1)[0] in properties:
        return None
    return f"the workflow's inputs declare no {name!r}"


def _deref(document: Document, schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    prefix = "#/components/inputs/"
    if isinstance(ref, str) and ref.startswith(prefix):
        return document.components.inputs.get(ref.removeprefix(prefix), {})
    return schema


def _workflow_exists(ref: str, checked: Checked) -> bool:
    if ref.startswith("$sourceDescriptions."):
        _, name, workflow_id = ref.split(".", 2) if ref.count(".") >= 2 else ("", "", "")
        source = checked.sources.by_name.get(name)
        return bool(source and source.arazzo and source.arazzo.workflow(workflow_id))
    return checked.document.workflow(ref) is not None
