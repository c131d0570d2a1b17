"""A workflow of several steps: its file checked, its wiring read, and its export for
SimWorkflow and Conductor (outputs wired into later steps, a condition as Decision / SWITCH)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from connector._errors import TemplateError
from connector.engines import (
    Step,
    When,
    export_workflow,
    holds,
    parse_workflow,
    run_steps,
    step_inputs,
)
from connector.engines._shared import validate
from connector.engines._workflow import Source

TWICE: dict[str, Any] = {
    "name": "upsert_twice",
    "description": "Upsert a payout request, then again in euros while it is pending.",
    "steps": [
        {
            "name": "first",
            "task": "upsert-payout-request",
            "inputs": {
                "organizationId": "org-demo",
                "id": "${workflow.input.id}",
                "websiteId": "web-1",
                "customerId": "cust-1",
                "currency": "USD",
                "amount": "${workflow.input.amount}",
            },
        },
        {
            "name": "again",
            "task": "upsert-payout-request",
            "when": {"value": "${first.output.response.body.status}", "equals": "pending"},
            "inputs": {
                "organizationId": "org-demo",
                "id": "${first.output.response.body.id}",
                "websiteId": "${first.output.response.body.websiteId}",
                "customerId": "cust-1",
                "currency": "EUR",
                "amount": 1,
            },
        },
    ],
}


def _changed(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(TWICE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[int(last) if isinstance(node, list) else last] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        pytest.param(_changed("steps.1.name", "first"), "steps.1.name", "used twice", id="twice"),
        pytest.param(
            _changed("steps.0.inputs.id", "${again.output.response.body.id}"),
            "steps.0.inputs.id",
            "not an earlier step",
            id="a-later-step",
        ),
        pytest.param(
            _changed("steps.1.inputs.customerId", "${nosuch.output.x}"),
            "steps.1.inputs.customerId",
            "not an earlier step",
            id="no-such-step",
        ),
        pytest.param(
            _changed("steps.1.inputs.customerId", "cust-${x}"),
            "steps.1.inputs.customerId",
            "a literal holds no",
            id="an-expression-inside-a-literal",
        ),
        pytest.param(
            _changed("steps.1.when", {"value": "pending", "equals": "pending"}),
            "steps.1.when.value",
            "an expression",
            id="a-literal-condition",
        ),
        pytest.param(_changed("steps.0.name", "First step"), "steps.0.name", "pattern", id="name"),
        pytest.param(_changed("steps.0.extra", 1), "steps.0.extra", "Extra", id="unknown-key"),
    ],
)
def test_a_bad_workflow_is_refused_with_its_field_named(
    data: dict[str, Any], field: str, words: str
) -> None:
    """Every wiring mistake is one error naming where it is."""
    with pytest.raises(TemplateError) as caught:
        parse_workflow(data)
    (error,) = caught.value.field_errors
    assert error.field == field
    assert words in error.message


def test_a_step_that_reads_a_conditional_step_is_refused() -> None:
    """A conditional step may not have run, so no later step reads its output."""
    data = copy.deepcopy(TWICE)
    data["steps"].append({**data["steps"][0], "name": "third"})
    data["steps"][2]["inputs"] = {**data["steps"][0]["inputs"]}
    data["steps"][2]["inputs"]["id"] = "${again.output.response.body.id}"
    with pytest.raises(TemplateError, match="not a workflow") as caught:
        parse_workflow(data)
    assert caught.value.field_errors[0].field == "steps.2.inputs.id"


@pytest.mark.parametrize(
    ("inputs", "field", "words"),
    [
        pytest.param({"nosuch": 1}, "steps.0.inputs.nosuch", "not an input", id="unknown-input"),
        pytest.param({"amount": 1}, "steps.0.inputs", "needs input 'currency'", id="missing"),
    ],
)
def test_a_step_input_the_task_does_not_take_is_refused(
    inputs: dict[str, Any], field: str, words: str
) -> None:
    """The export checks each step's inputs against its task's input schema."""
    data = copy.deepcopy(TWICE)
    data["steps"][0]["inputs"] = {**data["steps"][0]["inputs"], **inputs}
    if "amount" in inputs:
        del data["steps"][0]["inputs"]["currency"]
    with pytest.raises(TemplateError) as caught:
        export_workflow(parse_workflow(data), "conductor")
    assert any(e.field == field and words in e.message for e in caught.value.field_errors)


def test_conductor_wires_outputs_and_wraps_a_condition_in_a_switch() -> None:
    """`${first_ref.output.response.body.id}` in the next task; the condition a value-param
    SWITCH whose one case holds the step; literals written as they are."""
    document = export_workflow(parse_workflow(TWICE), "conductor").document
    definition = document["workflowDef"]
    first, switch = definition["tasks"]
    assert first["taskReferenceName"] == "first_ref"
    assert first["inputParameters"]["http_request"]["uri"].endswith(
        "/organizations/org-demo/payout-requests/${workflow.input.id}"
    )
    assert switch["type"] == "SWITCH"
    assert switch["evaluatorType"] == "value-param"
    assert switch["inputParameters"] == {
        "switchCaseValue": "${first_ref.output.response.body.status}"
    }
    assert switch["defaultCase"] == []
    (again,) = switch["decisionCases"]["pending"]
    http = again["inputParameters"]["http_request"]
    assert http["uri"].endswith("/payout-requests/${first_ref.output.response.body.id}")
    assert http["body"]["websiteId"] == "${first_ref.output.response.body.websiteId}"
    assert (http["body"]["currency"], http["body"]["amount"]) == ("EUR", 1)
    assert definition["inputParameters"] == ["amount", "id"]
    assert [d["name"] for d in document["taskDefs"]] == ["upsert_payout_request"]


def test_simworkflow_chains_tasks_and_puts_a_decision_before_a_conditional_step() -> None:
    """Tasks named after the steps, `nextTask` in order, a Decision whose choice leads to the
    step, and `end` where nothing follows."""
    document = export_workflow(parse_workflow(TWICE), "simworkflow").document
    assert document["startTask"] == "first"
    assert list(document["tasks"]) == ["first", "again_when", "again"]
    first, decision, again = document["tasks"].values()
    assert first["nextTask"] == "again_when"
    assert first["inputParameters"]["id"] == "${workflow.input.id}"
    assert first["inputParameters"]["organizationId"] == "org-demo"
    assert decision == {
        "type": "Decision",
        "choices": [
            {
                "variable": "${first.output.response.body.status}",
                "stringEquals": "pending",
                "nextTask": "again",
            }
        ],
        "end": True,
    }
    assert again["inputParameters"]["id"] == "${first.output.response.body.id}"
    assert again["end"] is True
    for task in (first, again):
        validate(task | {"end": True}, "simworkflow-task.schema.json", "a step")


def test_no_export_holds_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The credential in the environment never reaches either export: it is referenced."""
    monkeypatch.setenv("REBILLY_API_KEY", "sk_live_WORKFLOWSECRET1")
    workflow = parse_workflow(TWICE)
    for engine in ("simworkflow", "conductor"):
        text = json.dumps(export_workflow(workflow, engine).document)
        assert "WORKFLOWSECRET" not in text
    conductor = json.dumps(export_workflow(workflow, "conductor").document)
    assert "${workflow.secrets.REBILLY_API_KEY}" in conductor


def test_an_engine_without_a_workflow_export_is_refused() -> None:
    """Only SimWorkflow and Conductor have a workflow layout."""
    with pytest.raises(ValueError, match="no workflow export for engine 'temporal'"):
        export_workflow(parse_workflow(TWICE), "temporal")


def test_the_wiring_reads_outputs_as_the_engines_do() -> None:
    """A path that leads nowhere is null (left out of the task input); a condition compares
    the value's text."""
    outputs = {"first": {"response": {"body": {"id": "po-1", "blocked": False, "n": 2}}}}
    step = parse_workflow(TWICE).steps[1]
    assert step_inputs(step, {}, outputs)["id"] == "po-1"
    assert "websiteId" not in step_inputs(step, {}, outputs)  # not in the body: null
    assert Source.of("${first.output.response.body.n}").read({}, outputs) == 2
    assert holds(When(value="${first.output.response.body.blocked}", equals="false"), {}, outputs)
    assert not holds(When(value="${first.output.response.body.status}", equals="x"), {}, outputs)
    assert holds(When(value="${workflow.input.mode}", equals="go"), {"mode": "go"}, outputs)


def test_after_a_step_that_fails_the_rest_do_not_run() -> None:
    """An engine fails the workflow at a failed step: the later steps are NOT_RUN."""
    from connector._result import ErrorInfo, TaskResult

    sent: list[str] = []

    def send(step: Step, inputs: dict[str, Any]) -> TaskResult:
        sent.append(step.name)
        return TaskResult(status="FAILED", error=ErrorInfo(kind="http", message="503"))

    runs = run_steps(parse_workflow(TWICE), {"id": "po-1", "amount": 1}, send)
    assert sent == ["first"]
    assert [run.status for run in runs] == ["FAILED", "NOT_RUN"]
