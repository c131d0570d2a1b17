"""The OAI Arazzo examples (`../shared/arazzo/examples/`): each published defect named (see
`test_arazzo_check`), then, with the smallest fix of each, validated, planned, run offline
against emulators of their own OpenAPI descriptions, and exported to Conductor."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from connector._errors import TemplateError
from connector.arazzo import Checked, Runner
from connector.arazzo._check import check_document
from connector.arazzo._export import export
from connector.arazzo._load import from_data
from connector.arazzo._plan import plan_workflow
from connector.arazzo._sources import resolve_sources
from connector.cli._workflow_run import emulate, offline_send
from connector.engines import ExportOptions

EXAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "arazzo" / "examples" / "1.0.0"
pytestmark = pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"no examples at {EXAMPLES}")
TO_LOCAL = ExportOptions(base_url="http://127.0.0.1:8080", owner_email="oai@example.com")


def _pet_coupons(data: dict[str, Any], _: Path) -> dict[str, str]:
    """The parameters are named as the description names them (`tags`, `petId`)."""
    steps = data["workflows"][0]["steps"]
    steps[0]["parameters"][0]["name"] = "tags"
    steps[1]["parameters"][0]["name"] = "petId"
    return {}


def _oauth(_: dict[str, Any], folder: Path) -> dict[str, str]:
    """The token endpoint's body declares the `refresh_token` the refresh flow sends."""
    description = yaml.safe_load((EXAMPLES / "oauth.openapi.yaml").read_text())
    body = description["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
    body["application/x-www-form-urlencoded"]["schema"]["properties"]["refresh_token"] = {
        "type": "string"
    }
    path = folder / "oauth.openapi.yaml"
    path.write_text(json.dumps(description))
    return {"apim-auth": str(path)}


def _fapi(data: dict[str, Any], _: Path) -> dict[str, str]:
    """operationIds as the description spells them (`Par`, not `PAR`)."""
    for step in data["workflows"][0]["steps"]:
        step["operationId"] = step["operationId"].replace(".PAR", ".Par")
    return {}


Fix = Callable[[dict[str, Any], Path], dict[str, str]]
FIXED: dict[str, Fix] = {
    "pet-coupons.arazzo.yaml": _pet_coupons,
    "oauth.arazzo.yaml": _oauth,
    "FAPI-PAR.arazzo.yaml": _fapi,
}


def _open(name: str, folder: Path) -> Checked:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    overrides = FIXED[name](data, folder)
    document = from_data(data, source=name)
    return check_document(document, resolve_sources(document, EXAMPLES, overrides=overrides))


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_example_validates_plans_and_exports(name: str, tmp_path: Path) -> None:
    """Every workflow of the fixed example plans without sending; each exports to Conductor
    or is refused naming the field (a step that runs another workflow, a payload given as
    one expression)."""
    checked = _open(name, tmp_path)
    for workflow in checked.document.workflows:
        plan = plan_workflow(checked, workflow.workflow_id, {})
        assert [s["stepId"] for s in plan["steps"]] == [s.step_id for s in workflow.steps]
        try:
            exported = export(checked, workflow.workflow_id, "conductor", TO_LOCAL).document
        except TemplateError as exc:
            assert exc.field_errors[0].field.startswith("/workflows/")
            continue
        assert exported["workflowDef"]["name"] == workflow.workflow_id


EXPORTS = {
    # apply-coupon: its array query parameter (tags) has no text form in Conductor's HTTP task
    "pet-coupons.arazzo.yaml": {"buy-available-pet", "place-order"},
    "oauth.arazzo.yaml": set(),  # form bodies: the engine's HTTP task sends JSON only
    "FAPI-PAR.arazzo.yaml": set(),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_which_workflows_export_to_conductor(name: str, tmp_path: Path) -> None:
    """The workflows without a workflow step or a whole-expression payload export."""
    checked = _open(name, tmp_path)
    exported = set()
    for workflow in checked.document.workflows:
        try:
            export(checked, workflow.workflow_id, "conductor", TO_LOCAL)
            exported.add(workflow.workflow_id)
        except TemplateError:
            pass
    assert exported == EXPORTS[name]


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Callable[[str], tuple[Checked, Runner, dict[str, Any]]]]:
    """Open a fixed example and serve its sources, one emulator each."""
    with ExitStack() as stack:

        def start(name: str) -> tuple[Checked, Runner, dict[str, Any]]:
            checked = _open(name, tmp_path)
            emulators = stack.enter_context(emulate(checked, []))
            return checked, Runner(checked, offline_send(checked, emulators, stack)), emulators

        yield start


def test_pet_coupons_buys_an_available_pet_offline(offline: Any) -> None:
    """buy-available-pet: find a pet (the emulator answers the search as told; the component
    parameters `page` and `pageSize` go in the query), then the place-order workflow as a
    step; the order id comes back through both workflows' outputs."""
    _, runner, emulators = offline("pet-coupons.arazzo.yaml")
    found = [{"id": 7, "name": "doggie", "photoUrls": [], "status": "available"}]
    fault = {"kind": "status", "status": 200, "body": json.dumps(found), "count": 1}
    control = emulators["pet-coupons"].url + "/_emulator/faults"
    assert requests.post(control, json=fault, timeout=10).ok
    run = runner.run("buy-available-pet", {})
    assert run.status == "COMPLETED", run.reason
    assert [r.step_id for r in run.steps] == ["find-pet", "place-order", "place-order"]
    sent = run.steps[0].result
    assert sent is not None and sent.request is not None
    assert sent.request.url.endswith("/pet/findByStatus?status=available&page=1&pageSize=10")
    order = run.steps[1].result
    assert order is not None and order.request is not None
    assert order.request.body["petId"] == 7
    assert run.outputs["buy_pet_order_id"] == order.response.body["id"]


def test_pet_coupons_place_order_sends_the_payload_offline(offline: Any) -> None:
    """place-order on its own: the payload's expressions are the inputs, the order is stored."""
    _, runner, _ = offline("pet-coupons.arazzo.yaml")
    run = runner.run("place-order", {"pet_id": 7, "quantity": 2, "coupon_code": "SPRING"})
    assert run.status == "COMPLETED", run.reason
    request = run.steps[0].result.request
    assert request.body == {
        "petId": 7,
        "quantity": 2,
        "couponCode": "SPRING",
        "status": "placed",
        "complete": False,
    }


def test_oauth_client_credentials_offline(offline: Any) -> None:
    """client-credentials-flow: a form body to the token endpoint, judged by a JSONPath."""
    _, runner, _ = offline("oauth.arazzo.yaml")
    run = runner.run(
        "client-credentials-flow", {"client_id": "app", "client_secret": "s3cret-value"}
    )
    assert [(r.step_id, r.succeeded) for r in run.steps] == [
        ("get-client-creds-token", run.status == "COMPLETED")
    ]
    result = run.steps[0].result
    assert result is not None and result.request is not None
    assert result.request.content_type == "application/x-www-form-urlencoded"


@pytest.mark.skipif(shutil.which("node") is None, reason="no JavaScript engine")
def test_a_workflow_step_exports_as_an_inline_sub_workflow(tmp_path: Path) -> None:
    """buy-available-pet's place-order step is a SUB_WORKFLOW carrying place-order's own
    export; its decide script reads the sub-workflow's outputs and last status code."""
    checked = _open("pet-coupons.arazzo.yaml", tmp_path)
    definition = export(checked, "buy-available-pet", "conductor", TO_LOCAL).document["workflowDef"]
    case = definition["tasks"][1]["loopOver"][0]["decisionCases"]["place-order"]
    assert case[0]["type"] == "SUB_WORKFLOW"
    assert case[0]["inputParameters"] == {"pet_id": "${workflow.variables.find_pet.my_pet_id}"}
    assert case[0]["subWorkflowParam"]["workflowDefinition"]["name"] == "place-order"
    task = case[1]["inputParameters"]
    given = {
        "response": {"statusCode": 200},
        "outputs": {"workflow_order_id": 5},
        "completed": True,
    }
    script = f"var $ = {json.dumps({**given, 'tries': 0})};console.log(JSON.stringify({task['expression']}));"  # noqa: E501
    done = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    decided = json.loads(done.stdout)
    assert (decided["next"], decided["outputs"]) == ("END", {"my_order_id": 5})
