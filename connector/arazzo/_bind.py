"""What a step calls, and which task input each of its parameters and body fields fills.

A parameter (`name`, `in`) fills the operation's parameter of that wire name and location;
a body payload's top-level fields fill the operation's body fields (a payload given as one
expression, or as JSON text with `{$…}` inside, is split the same way when the step runs).
Workflow-level parameters apply to every operation step, a step's own overriding one of
the same name and location; `$components.parameters.X` references are resolved here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from connector.arazzo._expressions import (
    ExpressionError,
    Scope,
    UnresolvedError,
    as_text,
    evaluate,
    parse,
    resolve_value,
)
from connector.arazzo._model import Document, Parameter, Reusable, Step, Workflow
from connector.arazzo._sources import Operation, Sources

__all__ = ["BindError", "Input", "body_fields", "build_inputs", "find_operation", "step_inputs"]

_LEAF: Final = re.compile(r"^<<\s*([A-Za-z_][A-Za-z0-9_.]*)\s*>>$")
_QUOTED: Final = re.compile(r'"\{(\$[^{}"]*)\}"')
_SOURCE_REF: Final = re.compile(r"^\$sourceDescriptions\.([A-Za-z0-9_\-]+)\.(.+)$")
_OPERATION_PATH: Final = re.compile(r"^\{\$sourceDescriptions\.([A-Za-z0-9_\-]+)\.url\}#(.*)$")
BODY: Final = "*body"
"""The input name of a payload split into body fields only when the step runs."""


class BindError(LookupError):
    """A step whose operation or inputs cannot be found; the message says which."""


@dataclass(frozen=True, slots=True)
class Input:
    """One task input of a step: where it goes and the Arazzo value that fills it."""

    name: str
    where: str
    value: Any
    pointer: str


def find_operation(step: Step, sources: Sources) -> Operation:
    """The operation an operationId or operationPath names."""
    if step.operation_path is not None:
        return _by_path(step.operation_path, sources)
    text = step.operation_id or ""
    named = _SOURCE_REF.match(text)
    candidates = [sources.by_name[named[1]]] if named and named[1] in sources.by_name else []
    operation_id = named[2] if named else text
    if named and not candidates:
        raise BindError(f"no source named {named[1]!r}")
    found = [op for s in candidates or sources.http() if (op := s.by_id(operation_id))]
    if not found:
        raise BindError(f"no operation {operation_id!r} in {_names(candidates or sources.http())}")
    if len(found) > 1:
        raise BindError(
            f"{operation_id!r} is in several sources: name one "
            f"($sourceDescriptions.NAME.{operation_id})"
        )
    return found[0]


def _names(sources: list[Any]) -> str:
    return "the sources " + ", ".join(repr(s.name) for s in sources)


def _by_path(text: str, sources: Sources) -> Operation:
    match = _OPERATION_PATH.match(text)
    if match is None:
        raise BindError("an operationPath is '{$sourceDescriptions.NAME.url}#/paths/...'")
    source = sources.by_name.get(match[1])
    if source is None or source.kind != "openapi":
        raise BindError(f"no OpenAPI source named {match[1]!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in match[2].split("/")[1:]]
    if len(parts) not in {2, 3} or parts[0] != "paths":
        raise BindError(f"#{match[2]} does not point at an operation (#/paths/PATH/METHOD)")
    found = source.by_path(parts[1], parts[2] if len(parts) == 3 else None)
    if len(found) != 1:
        said = "no operation" if not found else "several operations (name the method)"
        raise BindError(f"#{match[2]}: {said} in source {source.name!r}")
    return found[0]


def step_inputs(
    document: Document, workflow: Workflow, step: Step, operation: Operation, where: str
) -> list[Input]:
    """Each task input the step fills (`where` is the step's JSON pointer): its own
    parameters must be the operation's; the workflow's apply where the operation takes them."""
    parameters = effective_parameters(document, workflow, step, where)
    template = operation.task.template
    by_wire: dict[tuple[str, str], str] = {
        (str(spec.location), spec.name or key): key for key, spec in template.parameters.items()
    }
    inputs = []
    for pointer, parameter in parameters:
        key = by_wire.get((parameter.in_ or "", parameter.name))
        if key is None and not pointer.startswith(where):
            continue  # a workflow-level parameter applies to the operations that take it
        if key is None:
            known = ", ".join(f"{loc} {name}" for loc, name in sorted(by_wire)) or "none"
            raise BindError(
                f"{pointer}: {parameter.in_ or '(no in)'} parameter {parameter.name!r} is not "
                f"one of {operation.task.name}'s (its parameters: {known})"
            )
        inputs.append(Input(key, f"{parameter.in_}.{parameter.name}", parameter.value, pointer))
    if step.request_body is not None and step.request_body.payload is not None:
        inputs += _body_inputs(step, operation, f"{where}/requestBody/payload")
    return inputs


def effective_parameters(
    document: Document, workflow: Workflow, step: Step, where: str
) -> list[tuple[str, Parameter]]:
    """(pointer, parameter) for the step: the workflow's, overridden by the step's own."""
    chosen: dict[tuple[str | None, str], tuple[str, Parameter]] = {}
    own = [(f"{where}/parameters/{i}", p) for i, p in enumerate(step.parameters)]
    shared = [] if step.workflow_id else [
        (f"/workflows/{document.workflows.index(workflow)}/parameters/{i}", p)
        for i, p in enumerate(workflow.parameters)
    ]  # fmt: skip
    for pointer, item in [*shared, *own]:
        parameter = component_parameter(document, item, pointer)
        chosen[(parameter.in_, parameter.name)] = (pointer, parameter)
    return list(chosen.values())


def component_parameter(document: Document, item: Parameter | Reusable, pointer: str) -> Parameter:
    """A parameter, a `$components.parameters.X` reference resolved (its value overridden)."""
    if isinstance(item, Parameter):
        return item
    try:
        expression = parse(item.reference)
    except ExpressionError as exc:
        raise BindError(f"{pointer}/reference: {exc}") from None
    found = document.components.parameters.get(expression.name)
    if expression.root != "components" or expression.at != "parameters" or found is None:
        raise BindError(f"{pointer}/reference: no component parameter {item.reference!r}")
    return found if item.value is None else found.model_copy(update={"value": item.value})


def body_fields(operation: Operation) -> dict[str, str] | str | None:
    """The operation's body fields (body key -> task input), or the one input of a whole body."""
    body = operation.task.template.http_request.body
    if isinstance(body, str) and (match := _LEAF.match(body)):
        return match[1]
    if not isinstance(body, dict):
        return None
    return {k: m[1] for k, v in body.items() if isinstance(v, str) and (m := _LEAF.match(v))}


def _body_inputs(step: Step, operation: Operation, pointer: str) -> list[Input]:
    assert step.request_body is not None
    fields = body_fields(operation)
    payload = step.request_body.payload
    if fields is None:
        raise BindError(f"{pointer}: {operation.task.name} takes no request body")
    if isinstance(fields, str):
        return [Input(fields, "body", payload, pointer)]
    if not isinstance(payload, dict) or step.request_body.replacements:
        return [Input(BODY, "body", payload, pointer)]
    unknown = sorted(set(payload) - set(fields))
    if unknown:
        raise BindError(
            f"{pointer}/{unknown[0]}: not a body field of {operation.task.name} "
            f"(its fields: {', '.join(sorted(fields)) or 'none'})"
        )
    return [Input(fields[k], f"body.{k}", v, f"{pointer}/{k}") for k, v in payload.items()]


def build_inputs(
    inputs: list[Input], step: Step, operation: Operation, scope: Scope
) -> dict[str, Any]:
    """The task input for one run of the step, every expression evaluated.

    Raises:
        UnresolvedError, ExpressionError: a value cannot be evaluated (the message says which).
        BindError: a payload known only now does not fit the operation's body.
    """
    built: dict[str, Any] = {}
    for item in inputs:
        if item.name != BODY:
            if not _not_given(item.value, scope):
                built[item.name] = resolve_value(item.value, scope)
            continue
        payload = _payload(item.value, scope)
        for replacement in step.request_body.replacements if step.request_body else []:
            payload = _replace(payload, replacement.target, resolve_value(replacement.value, scope))
        built.update(_split(payload, operation, item.pointer))
    return built


def _not_given(value: Any, scope: Scope) -> bool:
    """Whether the value is exactly a workflow input the run was not given: like a task
    input not given, it is left out of the request rather than sent as null."""
    if not isinstance(value, str) or not value.startswith("$inputs."):
        return False
    try:
        expression = parse(value)
    except ExpressionError:
        return False
    return expression.root == "inputs" and expression.name.split(".")[0] not in scope.inputs


def _payload(value: Any, scope: Scope) -> Any:
    """A payload's value; JSON text with `{$…}` inside is written in and read back as JSON
    (an expression that is a whole JSON string, `"{$inputs.customer}"`, gives its value)."""
    if not isinstance(value, str) or value.lstrip()[:1] not in {"{", "["}:
        return resolve_value(value, scope)
    text = _QUOTED.sub(lambda m: json.dumps(evaluate(parse(m[1]), scope)), value)
    text = re.sub(r"\{(\$[^{}]*)\}", lambda m: as_text(evaluate(parse(m[1]), scope)), text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _replace(payload: Any, target: str, value: Any) -> Any:
    if not isinstance(payload, dict) or not target.startswith("/"):
        raise BindError(f"replacement target {target!r}: only a JSON pointer into an object")
    keys = [p.replace("~1", "/").replace("~0", "~") for p in target.split("/")[1:]]
    node = payload
    for key in keys[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node
    if not isinstance(node, dict):
        raise UnresolvedError(f"replacement target {target!r} leads nowhere")
    node[keys[-1]] = value
    return payload


def _split(payload: Any, operation: Operation, pointer: str) -> Mapping[str, Any]:
    fields = body_fields(operation)
    if not isinstance(payload, dict) or not isinstance(fields, dict):
        raise BindError(f"{pointer}: the payload is not a JSON object of body fields")
    unknown = sorted(set(payload) - set(fields))
    if unknown:
        raise BindError(f"{pointer}: {unknown[0]!r} is not a body field of {operation.task.name}")
    return {fields[k]: v for k, v in payload.items()}
