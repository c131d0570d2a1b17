"""`connector workflow plan`: what a workflow would send, before anything is sent.

For each step, in order: the request (method, URL with every value known before the run
written in, and `{$…}` where a value comes from an earlier step's response), where each
task input comes from (`$steps.upsert.outputs.id -> read.path.id`), whether the request is
safe to repeat (an idempotent method, or a template that says so), the step's actions, and
which host each credential variable would be sent to. Values are shown as the input gives
them; no credential value is ever read (only the variable's name is shown).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from connector._idempotency import retry_allowed
from connector.arazzo._bind import BODY, Input
from connector.arazzo._check import Checked
from connector.arazzo._expressions import (
    ExpressionError,
    Scope,
    UnresolvedError,
    is_expression_like,
    resolve_value,
)
from connector.arazzo._flow import failure_actions, success_actions
from connector.arazzo._model import Step, Workflow

__all__ = ["plan_text", "plan_workflow"]

_PLACEHOLDER: Final = re.compile(r"<<\s*([A-Za-z_][A-Za-z0-9_.]*)\s*>>")
LOCAL_HOST: Final = "127.0.0.1 (an emulator started for the run)"


def plan_workflow(
    checked: Checked, workflow_id: str, inputs: Mapping[str, Any], *, environment: str = "local"
) -> dict[str, Any]:
    """The plan of one workflow as JSON (see the module docstring)."""
    document = checked.document
    workflow = document.workflow(workflow_id)
    assert workflow is not None
    scope = Scope(inputs=dict(inputs), components=document.components.model_dump(by_alias=True))
    steps = [_step(checked, workflow, step, scope, environment) for step in workflow.steps]
    hosts: dict[str, set[str]] = {}
    for item in steps:
        for variable, host in item.get("credentials", {}).items():
            hosts.setdefault(variable, set()).add(host)
    return {
        "workflowId": workflow_id,
        "environment": environment,
        "steps": steps,
        "credentials": {name: sorted(found) for name, found in sorted(hosts.items())},
        "outputs": {k: _shown(v) for k, v in workflow.outputs.items()},
    }


def _step(
    checked: Checked, workflow: Workflow, step: Step, scope: Scope, environment: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {"stepId": step.step_id, "actions": _actions(checked, workflow, step)}
    if step.workflow_id is not None:
        entry["workflow"] = step.workflow_id
        entry["inputs"] = [
            {"from": _shown(getattr(p, "value", None)), "to": f"{step.step_id}.{p.name}"}
            for p in step.parameters
            if hasattr(p, "name")
        ]
        return entry
    compiled = checked.step(workflow, step)
    template = compiled.operation.task.template
    known = {item.name: _known(item, scope) for item in compiled.inputs}
    method = template.http_request.method
    entry.update(
        operation=compiled.operation.task.name,
        source=compiled.operation.source,
        request=f"{method} {_url(_base(template, environment), known, compiled.inputs)}",
        inputs=[_wire(step, item, known[item.name]) for item in compiled.inputs],
        safeToRepeat=retry_allowed(template).allowed,
        credentials=_credentials(template, environment),
    )
    if step.timeout:
        entry["timeoutSeconds"] = step.timeout / 1000
    return entry


def _base(template: Any, environment: str) -> str:
    """The step's URL: the environment's base (the emulator's origin for local) and path."""
    base = str(template.base_urls.get(environment, ""))
    if environment == "local":
        parts = urlsplit(base)
        base = "{emulator}" + parts.path
    return base.rstrip("/") + str(template.http_request.url)


def _known(item: Input, scope: Scope) -> Any:
    """The value when it is known before the run, else the expression it waits for."""
    try:
        return {"value": resolve_value(item.value, scope)}
    except (UnresolvedError, ExpressionError, LookupError, ValueError):
        return {"from": _shown(item.value)}


def _wire(step: Step, item: Input, known: Mapping[str, Any]) -> dict[str, Any]:
    target = f"{step.step_id}.{item.where}" if item.name != BODY else f"{step.step_id}.body"
    shown: dict[str, Any] = {"to": target}
    if is_expression_like(item.value) or "from" in known:
        shown["from"] = _shown(item.value)
    if "value" in known:
        shown["value"] = known["value"]
    return shown


def _shown(value: Any) -> Any:
    return value.model_dump(by_alias=True) if hasattr(value, "model_dump") else value


def _url(url: str, known: Mapping[str, Mapping[str, Any]], inputs: list[Input]) -> str:
    def fill(match: re.Match[str]) -> str:
        return _written(known.get(match[1], {"from": match[1]}))

    query = [
        f"{i.where.split('.', 1)[1]}={_written(known[i.name])}"
        for i in inputs
        if i.where.startswith("query.")
    ]
    return _PLACEHOLDER.sub(fill, url) + ("?" + "&".join(query) if query else "")


def _written(known: Mapping[str, Any]) -> str:
    """A value as the plan writes it into a URL: the value, or `{$expression}`."""
    if "value" in known:
        return str(known["value"])
    source = str(known.get("from"))
    return source if "{$" in source else "{" + source + "}"


def _credentials(template: Any, environment: str) -> dict[str, str]:
    url = template.base_urls.get(environment, "")
    host = LOCAL_HOST if environment == "local" else urlsplit(url).hostname or "(no server)"
    return dict.fromkeys(template.auth.variables(), host)


def _actions(checked: Checked, workflow: Workflow, step: Step) -> list[str]:
    document = checked.document
    said = [f"on success: {_said(a)}" for a in success_actions(document, workflow, step)]
    said += [f"on failure: {_said(a)}" for a in failure_actions(document, workflow, step)]
    return said


def _said(action: Any) -> str:
    target = action.step_id or action.workflow_id or ""
    extra = ""
    if action.type == "retry":
        limit = 1 if action.retry_limit is None else action.retry_limit
        extra = f" up to {limit}x after {action.retry_after or 0:g} s"
    when = " when " + " and ".join(c.condition for c in action.criteria) if action.criteria else ""
    return f"{action.type} {target}".strip() + extra + when


def plan_text(plan: Mapping[str, Any]) -> str:
    """The plan for a person: a block per step, then the credentials and their hosts."""
    lines = [f"workflow {plan['workflowId']} ({plan['environment']}); nothing has been sent"]
    for step in plan["steps"]:
        head = step.get("request") or f"workflow {step.get('workflow')}"
        safe = (
            ""
            if "safeToRepeat" not in step
            else ("  safe to repeat" if step["safeToRepeat"] else "  NOT safe to repeat")
        )
        lines.append(f"\n{step['stepId']}: {head}{safe}")
        for item in step.get("inputs", []):
            source = item.get("from", repr(item.get("value")))
            value = f" (= {item['value']!r})" if "from" in item and "value" in item else ""
            lines.append(f"  {source}{value} -> {item['to']}")
        lines += [f"  {action}" for action in step["actions"]]
    if plan["credentials"]:
        lines.append("\ncredentials:")
        for name, hosts in plan["credentials"].items():
            lines.append(f"  {name} -> {', '.join(hosts)}")
    return "\n".join(lines) + "\n"
