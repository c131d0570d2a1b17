"""One attempt of a step judged: success by its criteria (or the task's own success codes),
its outputs read, and the exchange (`$request`, `$response`) later expressions read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector._result import TaskResult
from connector.arazzo._criteria import CriterionError, holds
from connector.arazzo._expressions import (
    Exchange,
    ExpressionError,
    Scope,
    UnresolvedError,
    resolve_value,
)
from connector.arazzo._model import Step
from connector.arazzo._records import WorkflowRun

__all__ = ["Outcome", "exchange_of", "judge", "read_outputs", "retry_after"]


@dataclass
class Outcome:
    """How one attempt of a step went."""

    succeeded: bool
    reason: str
    exchange: Exchange | None = None
    result: TaskResult | None = None
    inputs: dict[str, Any] | None = None
    retry_after: float | None = None
    outputs: Mapping[str, Any] = field(default_factory=dict)


def judge(step: Step, result: TaskResult | None, scope: Scope) -> Outcome:
    """Whether the step succeeded, and its outputs when it did."""
    if result is not None and result.response is None:
        error = result.error.message if result.error else "no response"
        return Outcome(False, f"no response: {error}")
    for criterion in step.success_criteria:
        passed, why = holds(criterion, scope)
        if not passed:
            return Outcome(False, why)
    if not step.success_criteria and result is not None and result.status != "COMPLETED":
        return Outcome(False, result.error.message if result.error else "FAILED")
    try:
        outputs = {k: resolve_value(_raw(v), scope) for k, v in step.outputs.items()}
    except (UnresolvedError, ExpressionError, CriterionError) as exc:
        return Outcome(False, f"an output cannot be read: {exc}")
    return Outcome(True, "", outputs=outputs)


def _raw(value: Any) -> Any:
    return value.model_dump(by_alias=True) if hasattr(value, "model_dump") else value


def read_outputs(outputs: Mapping[str, Any], scope: Scope, run: WorkflowRun) -> dict[str, Any]:
    scope.exchange = run.last
    read: dict[str, Any] = {}
    for name, value in outputs.items():
        try:
            read[name] = resolve_value(_raw(value), scope)
        except (UnresolvedError, ExpressionError, CriterionError) as exc:
            run.reason = (run.reason + "; " if run.reason else "") + f"output {name!r}: {exc}"
    return read


def exchange_of(result: TaskResult, bound: list[Any], inputs: Mapping[str, Any]) -> Exchange:
    request, response = result.request, result.response
    where = {item.name: item.where for item in bound}
    path = {
        w.split(".", 1)[1]: inputs[n]
        for n, w in where.items()
        if w.startswith("path.") and n in inputs
    }
    query = {
        w.split(".", 1)[1]: inputs[n]
        for n, w in where.items()
        if w.startswith("query.") and n in inputs
    }
    return Exchange(
        url=request.url if request else "",
        method=request.method if request else "",
        status_code=response.status_code if response else None,
        request_headers=request.headers if request else {},
        query=query,
        path=path,
        request_body=request.body if request else None,
        response_headers=response.headers if response else {},
        response_body=response.body if response else None,
    )


def retry_after(result: TaskResult) -> float | None:
    """The answer's Retry-After in seconds, when it says one (it overrules `retryAfter`)."""
    headers = {
        k.lower(): v for k, v in (result.response.headers if result.response else {}).items()
    }
    try:
        return max(0.0, float(headers["retry-after"])) if "retry-after" in headers else None
    except ValueError:
        return None
