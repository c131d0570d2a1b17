"""Arazzo workflows exported: Conductor's state machine (its committed example current, its
decide scripts run by a JavaScript engine, registered with a stand-in of Conductor's API,
no secret in it), SimWorkflow where it can say it, and the earlier format converted."""

from __future__ import annotations

import json
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from _conductor_stand_in import ConductorStandIn
from conftest import ROOT

from connector._errors import TemplateError
from connector.arazzo import Runner, open_workflows, parse_document
from connector.arazzo._check import check_document
from connector.arazzo._convert import convert
from connector.arazzo._export import export
from connector.arazzo._sources import resolve_sources
from connector.cli import main
from connector.cli._workflow_run import emulate, offline_send
from connector.engines import ExportOptions, load_adapter, parse_workflow

EXAMPLE = ROOT / "examples" / "payout-lifecycle"
DOCUMENT = EXAMPLE / "payout-lifecycle.arazzo.yaml"
COMMITTED = EXAMPLE / "payout-lifecycle.conductor.json"
OWNER = ExportOptions(owner_email="payments@example.com")


def _conductor() -> dict[str, Any]:
    return export(open_workflows(DOCUMENT), "payout-lifecycle", "conductor", OWNER).document


def test_the_committed_conductor_export_is_current() -> None:
    """`connector workflow export … --engine conductor --owner-email payments@example.com
    -o examples/payout-lifecycle/payout-lifecycle.conductor.json` makes the committed file."""
    assert json.loads(COMMITTED.read_text()) == _conductor()


def test_conductor_export_is_a_bounded_state_machine() -> None:
    """A DO_WHILE bounded by the step budget over a SWITCH with one case per step, each
    an optional HTTP task, its decide script, the variables it sets and the retry wait."""
    definition = _conductor()["workflowDef"]
    start, loop, outcome = definition["tasks"]
    assert start["inputParameters"]["next"] == "upsert"
    assert loop["type"] == "DO_WHILE" and "< 100" in loop["loopCondition"]
    cases = loop["loopOver"][0]["decisionCases"]
    assert list(cases) == [
        "upsert",
        "read",
        "batch",
        "approve",
        "allocate",
        "allocations",
        "payout",
        "listing",
        "release",
    ]
    assert [t["type"] for t in cases["approve"]] == ["HTTP", "INLINE", "SET_VARIABLE", "SWITCH"]
    assert cases["approve"][0]["optional"] is True
    http = cases["approve"][0]["inputParameters"]["http_request"]
    assert http["uri"].endswith(
        "/payout-request-batches/${workflow.variables.batch.batchId}/approve"
    )
    assert outcome["decisionCases"]["true"][0]["type"] == "TERMINATE"
    assert definition["outputParameters"]["status"] == "${workflow.variables.listing.status}"


def _decide(step: str, response: dict[str, Any], tries: int = 0) -> dict[str, Any]:
    """Run one exported decide script under node, as Conductor's graaljs would."""
    cases = _conductor()["workflowDef"]["tasks"][1]["loopOver"][0]["decisionCases"]
    task = cases[step][1]["inputParameters"]
    given = {"response": response, "inputs": {"id": "po-1"}, "steps": {}, "tries": tries}
    given.update({k: v for k, v in task.items() if k.startswith("jp")})
    script = f"var $ = {json.dumps(given)};\nconsole.log(JSON.stringify({task['expression']}));"
    done = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    return dict(json.loads(done.stdout))


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no JavaScript engine")


@needs_node
@pytest.mark.parametrize(
    ("step", "response", "tries", "expected"),
    [
        pytest.param(
            "approve", {"statusCode": 200, "body": {}}, 0, ("allocate", False, "false"), id="ok"
        ),
        pytest.param(
            "approve", {"statusCode": 503, "body": {}}, 0, ("approve", False, "true"), id="retry"
        ),
        pytest.param(
            "approve", {"statusCode": 503, "body": {}}, 2, ("release", False, "false"), id="spent"
        ),
        pytest.param(
            "approve", {"statusCode": 409, "body": {}}, 0, ("release", False, "false"), id="goto"
        ),
        pytest.param(
            "read",
            {"statusCode": 200, "body": {"status": "APPROVED"}},
            0,
            ("END", False, "false"),
            id="end",
        ),
        pytest.param(
            "read",
            {"statusCode": 200, "body": {"status": "pending"}},
            0,
            ("batch", False, "false"),
            id="next",
        ),
        pytest.param(
            "allocate", {"statusCode": 500, "body": {}}, 0, ("END", True, "false"), id="fail"
        ),
    ],
)
def test_decide_script_picks_the_action_the_runner_would(
    step: str, response: dict[str, Any], tries: int, expected: tuple[str, bool, str]
) -> None:
    """The exported script decides as the runner does: criteria, retry limit, goto, end."""
    decided = _decide(step, response, tries)
    assert (decided["next"], decided["failed"], decided["retry"]) == expected


@needs_node
def test_decide_script_reads_outputs_from_the_response() -> None:
    """A successful step's outputs are read from the response by their JSON pointers."""
    decided = _decide("batch", {"statusCode": 201, "body": {"id": "batch-9"}})
    assert decided["outputs"] == {"batchId": "batch-9"}


def test_conductor_accepts_the_export_and_no_secret_is_sent() -> None:
    """Registered with the stand-in: task definitions, then the workflow; credentials stay
    `${workflow.secrets.…}` references."""
    document = _conductor()
    with ConductorStandIn() as conductor:
        assert load_adapter("conductor").push(document, conductor.url, update=False)
    assert [(c.method, c.path) for c in conductor.calls] == [
        ("POST", "/api/metadata/taskdefs"),
        ("POST", "/api/metadata/workflow"),
    ]
    sent = json.dumps([call.body for call in conductor.calls])
    assert "${workflow.secrets.REBILLY_API_KEY}" in sent
    assert "sk_" not in sent


def test_simworkflow_refuses_an_action_naming_the_step_and_field() -> None:
    """The lifecycle's criteria and actions cannot be said in SimWorkflow: refused by pointer."""
    with pytest.raises(TemplateError) as caught:
        export(open_workflows(DOCUMENT), "payout-lifecycle", "simworkflow", ExportOptions())
    (error,) = caught.value.field_errors
    assert error.field == "/workflows/0/steps/0/successCriteria/0"


LINEAR = """
arazzo: 1.0.1
info: {title: linear, version: "1"}
sourceDescriptions: [{name: rebilly, url: "catalog:rebilly", type: openapi}]
workflows:
  - workflowId: read-twice
    steps:
      - stepId: first
        operationId: GetPayoutRequest
        parameters: [{name: id, in: path, value: $inputs.id}]
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {id: $response.body#/id}
      - stepId: second
        operationId: GetPayoutRequest
        parameters: [{name: id, in: path, value: $steps.first.outputs.id}]
"""


def test_simworkflow_exports_steps_that_run_in_order() -> None:
    """A linear workflow becomes Http tasks chained by nextTask, outputs wired by path."""
    document = parse_document(LINEAR, source="linear")
    checked = check_document(document, resolve_sources(document, Path()))
    tasks = export(
        checked, "read-twice", "simworkflow", ExportOptions(credentials="rebilly")
    ).document["tasks"]
    assert tasks["first"]["nextTask"] == "second"
    assert "${first.output.response.body.id}" in json.dumps(tasks["second"])


OLD = {
    "name": "payout_request_lifecycle",
    "steps": [
        {
            "name": "upsert",
            "task": "upsert-payout-request",
            "inputs": {
                "organizationId": "${workflow.input.organizationId}",
                "id": "${workflow.input.id}",
                "websiteId": "w",
                "customerId": "c",
                "currency": "USD",
                "amount": 5,
            },
        },
        {
            "name": "read",
            "task": "get-payout-request",
            "inputs": {
                "organizationId": "${workflow.input.organizationId}",
                "id": "${upsert.output.response.body.id}",
            },
        },
        {
            "name": "cancel",
            "task": "cancel-payout-request",
            "when": {"value": "${read.output.response.body.status}", "equals": "pending"},
            "inputs": {
                "organizationId": "${workflow.input.organizationId}",
                "id": "${read.output.response.body.id}",
                "canceledBy": "merchant",
            },
        },
    ],
}


def test_the_earlier_format_converts_and_runs_the_same_way(tmp_path: Path) -> None:
    """Converted once, the old workflow validates and runs: the pending request is canceled."""
    converted = tmp_path / "old.arazzo.yaml"
    converted.write_text(json.dumps(convert(parse_workflow(OLD))))
    checked = open_workflows(converted)
    with ExitStack() as stack:
        send = offline_send(checked, stack.enter_context(emulate(checked, [])), stack)
        run = Runner(checked, send).run(
            "payout_request_lifecycle", {"organizationId": "org-1", "id": "po-1"}
        )
    assert run.status == "COMPLETED", run.reason
    cancel = run.steps[-1]
    assert cancel.step_id == "cancel"
    assert cancel.result is not None and cancel.result.response is not None
    assert cancel.result.response.body["status"] == "canceled"


def test_convert_command_writes_arazzo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`connector workflow convert OLD.json -o NEW` writes a document `validate` accepts."""
    old, new = tmp_path / "old.json", tmp_path / "new.arazzo.yaml"
    old.write_text(json.dumps(OLD))
    assert main(["workflow", "convert", str(old), "-o", str(new)]) == 0
    assert main(["workflow", "validate", str(new)]) == 0
    assert "payout_request_lifecycle: valid (3 steps)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        pytest.param(["--environment", "sandbox"], "no credentials for sandbox", id="sandbox"),
        pytest.param(
            ["--environment", "live"], "live sends real requests: confirm with --yes", id="live"
        ),
        pytest.param(
            ["--fault", "503", "--base-url", "http://127.0.0.1:9"], "--fault applies", id="fault"
        ),
    ],
)
def test_run_refuses_to_send_where_it_should_not(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    words: str,
) -> None:
    """Sandbox without credentials, live unconfirmed, faults off the local emulator: exit 2."""
    monkeypatch.delenv("REBILLY_API_KEY", raising=False)
    monkeypatch.delenv("REBILLY_JWT", raising=False)
    argv = ["workflow", "run", str(DOCUMENT), "--input", str(EXAMPLE / "input.json"), *extra]
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_run_refuses_an_input_that_is_not_an_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workflow input is a JSON object: exit 2, one message."""
    given = tmp_path / "input.json"
    given.write_text("[1, 2]")
    assert main(["workflow", "run", str(DOCUMENT), "--input", str(given)]) == 2
    assert "the workflow input is a JSON object" in capsys.readouterr().err


PETS = Path(__file__).resolve().parents[1].parent / "shared" / "arazzo" / "examples" / "1.0.0"
WHOLE = """
arazzo: 1.0.1
info: {title: order, version: "1"}
sourceDescriptions: [{name: pets, url: pet-coupons.openapi.yaml, type: openapi}]
workflows:
  - workflowId: order
    steps:
      - stepId: whole
        operationId: placeOrder
        requestBody: {payload: $inputs.order}
      - stepId: text
        operationId: placeOrder
        requestBody:
          payload: '{"petId": "{$inputs.petId}", "status": "sold", "couponCode": "C{$inputs.code}"}'
"""


@pytest.mark.skipif(not PETS.is_dir(), reason="no OAI examples")
def test_a_payload_known_only_at_run_time_is_split_into_body_fields_for_conductor() -> None:
    """A payload given as one expression is read field by field; JSON text with `{$…}` is
    read as the object it is, each field wired to its expression."""
    document = parse_document(WHOLE, source="whole")
    checked = check_document(document, resolve_sources(document, PETS))
    exported = export(checked, "order", "conductor", ExportOptions(base_url="http://127.0.0.1:1"))
    cases = exported.document["workflowDef"]["tasks"][1]["loopOver"][0]["decisionCases"]
    whole = cases["whole"][0]["inputParameters"]["http_request"]["body"]
    assert whole["petId"] == "${workflow.input.order.petId}"
    assert whole["quantity"] == "${workflow.input.order.quantity}"
    text = cases["text"][0]["inputParameters"]["http_request"]["body"]
    assert text == {
        "petId": "${workflow.input.petId}",
        "status": "sold",
        "couponCode": "C${workflow.input.code}",
    }


def test_a_query_parameter_a_step_gives_is_sent_by_the_export() -> None:
    """An optional query parameter the step fills (the listing's `filter` and `limit`) is
    wired into the exported request, never left out as an unset optional one is."""
    document = json.dumps(_conductor())
    wired = "/payout-requests?limit=10&filter=batchId:${workflow.variables.batch.batchId}"
    assert wired in document
