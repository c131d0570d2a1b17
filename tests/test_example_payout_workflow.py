"""The example payout workflow (`examples/payout-workflow/`): its committed exports are current,
its steps run in order against the emulator through the connector's Task API, wired the way
the exports describe (each export's expressions evaluated here against the same outputs), and
its condition cancels a pending request and leaves any other alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from _conductor_stand_in import ConductorStandIn
from _templates import free_local
from conftest import ROOT

from connector import Executor, TaskResult, load_task
from connector.emulator import Emulator
from connector.engines import (
    ExportOptions,
    Step,
    Workflow,
    export_workflow,
    load_adapter,
    load_workflow,
    run_steps,
)

EXAMPLE = ROOT / "examples" / "payout-workflow"
KEY = "sk_local_WORKFLOWTEST1"
EXPORTS = {
    # the regeneration commands: `connector workflow export examples/payout-workflow/
    # workflow.json --engine ENGINE <options> -o examples/payout-workflow/<file>`
    "simworkflow": ("payout-workflow.simworkflow.json", ExportOptions(credentials="rebilly")),
    "conductor": (
        "payout-workflow.conductor.json",
        ExportOptions(owner_email="payments@example.com"),
    ),
}
_EXPRESSION = re.compile(r"(?<!\$)\$\{([^{}]+)\}")


@pytest.fixture(scope="module")
def workflow() -> Workflow:
    """The example workflow file."""
    return load_workflow(EXAMPLE / "workflow.json")


@pytest.fixture
def workflow_input() -> dict[str, Any]:
    """The example workflow input."""
    data: dict[str, Any] = json.loads((EXAMPLE / "input.json").read_text())
    return data


@pytest.mark.parametrize("engine", sorted(EXPORTS))
def test_the_committed_export_is_current(workflow: Workflow, engine: str) -> None:
    """Regenerate with the command in EXPORTS when this fails (the workflow or a task moved)."""
    file, options = EXPORTS[engine]
    expected = export_workflow(workflow, engine, options).document
    assert json.loads((EXAMPLE / file).read_text()) == expected


# -- the exports, read the way the engines read them ------------------------------------------


def _lookup(path: str, context: Mapping[str, Any]) -> Any:
    node: Any = context
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _evaluate(value: Any, context: Mapping[str, Any]) -> Any:
    """An engine's `${…}` expressions in `value` resolved in `context` (a whole-string one
    keeps its JSON type; `$${` is a literal `${`)."""
    if isinstance(value, dict):
        return {key: _evaluate(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [_evaluate(item, context) for item in value]
    if not isinstance(value, str):
        return value
    if whole := _EXPRESSION.fullmatch(value):
        return _lookup(whole[1], context)
    text = _EXPRESSION.sub(lambda m: str(_lookup(m[1], context)), value)
    return text.replace("$${", "${")


def _conductor_requests(
    document: dict[str, Any], workflow_input: Mapping[str, Any], outputs: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """What Conductor would send for each step, SWITCH cases taken as it would take them."""
    context = {"workflow": {"input": workflow_input}}
    context |= {f"{name}_ref": {"output": output} for name, output in outputs.items()}
    sent: dict[str, dict[str, Any]] = {}
    for task in document["workflowDef"]["tasks"]:
        chosen = [task]
        if task["type"] == "SWITCH":
            case = _evaluate(task["inputParameters"][task["expression"]], context)
            chosen = task["decisionCases"].get(case, task["defaultCase"])
        for http_task in chosen:
            step = http_task["taskReferenceName"].removesuffix("_ref")
            sent[step] = _evaluate(http_task["inputParameters"]["http_request"], context)
    return sent


def _simworkflow_requests(
    document: dict[str, Any], workflow_input: Mapping[str, Any], outputs: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """What SimWorkflow would send for each step, following nextTask and Decision choices."""
    context = {"workflow": {"input": workflow_input}}
    context |= {name: {"output": output} for name, output in outputs.items()}
    sent: dict[str, dict[str, Any]] = {}
    name: str | None = document["startTask"]
    while name is not None:
        task = document["tasks"][name]
        if task["type"] == "Decision":
            taken = [
                c for c in task["choices"] if _evaluate(c["variable"], context) == c["stringEquals"]
            ]
            name = taken[0]["nextTask"] if taken else task.get("defaultTask")
            continue
        parameters = _evaluate(task["inputParameters"], context)
        sent[name] = _evaluate(task["httpRequest"], parameters)
        name = task.get("nextTask")
    return sent


# -- running the steps -------------------------------------------------------------------------


def _base_url(emulator: Emulator) -> str:
    return emulator.url.rstrip("/") + "/organizations/<<organizationId>>"


def _run(
    workflow: Workflow, workflow_input: Mapping[str, Any], emulator: Emulator
) -> tuple[dict[str, Any], dict[str, TaskResult]]:
    """The steps in order through the connector's executor (`run_steps`: each step's inputs
    read from the outputs so far, a conditional step only when it holds). The outputs and
    results by step."""
    with Executor(environ={"REBILLY_API_KEY": KEY}) as executor:

        def send(step: Step, inputs: dict[str, Any]) -> TaskResult:
            return executor.run(load_task(step.task), inputs, base_url=_base_url(emulator))

        runs = run_steps(workflow, workflow_input, send)
    results = {run.step.name: run.result for run in runs if run.result is not None}
    for name, result in results.items():
        assert result.status == "COMPLETED", (name, result.to_json())
    return {name: result.to_json() for name, result in results.items()}, results


def _check_exports_describe(
    workflow: Workflow,
    workflow_input: Mapping[str, Any],
    outputs: Mapping[str, Any],
    results: Mapping[str, TaskResult],
) -> None:
    """Both exports, read against the same outputs, send what the connector sent."""
    for engine, read in (
        ("conductor", _conductor_requests),
        ("simworkflow", _simworkflow_requests),
    ):
        document = export_workflow(workflow, engine, EXPORTS[engine][1]).document
        described = read(document, workflow_input, outputs)
        assert sorted(described) == sorted(results), engine  # the same steps ran
        for step, result in results.items():
            assert result.request is not None
            request = described[step]
            url = request.get("uri") or request.get("url")
            assert urlsplit(url).path == urlsplit(result.request.url).path, (engine, step)
            assert request["method"] == result.request.method
            assert request.get("body") == result.request.body, (engine, step)


def test_a_pending_request_is_cancelled(
    workflow: Workflow, workflow_input: dict[str, Any], emulator: Emulator
) -> None:
    """Upserted, read back with the upsert's id, and cancelled (by the merchant) because it is
    pending; the emulator holds it cancelled."""
    outputs, results = _run(workflow, workflow_input, emulator)
    assert list(results) == ["upsert", "read", "cancel"]
    assert results["upsert"].response is not None
    assert results["upsert"].response.status_code == 201
    assert outputs["read"]["response"]["body"]["id"] == workflow_input["id"]
    assert outputs["read"]["response"]["body"]["status"] == "pending"
    cancelled = outputs["cancel"]["response"]["body"]
    assert cancelled["status"] == "canceled"
    assert cancelled["cancellationReason"]["canceledBy"] == "merchant"
    stored = emulator.app.resource(workflow_input["organizationId"], workflow_input["id"])
    assert stored is not None
    assert stored["status"] == "canceled"
    _check_exports_describe(workflow, workflow_input, outputs, results)


def test_a_request_that_is_not_pending_is_left_alone(
    workflow: Workflow, workflow_input: dict[str, Any], emulator: Emulator
) -> None:
    """An approved request is upserted and read back, not cancelled."""
    with Executor(environ={"REBILLY_API_KEY": KEY}) as executor:
        for task, inputs in (
            ("upsert-payout-request", workflow_input),
            ("update-payout-request", {**_ids(workflow_input), "status": "approved"}),
        ):
            done = executor.run(load_task(task), inputs, base_url=_base_url(emulator))
            assert done.status == "COMPLETED", done.to_json()
    outputs, results = _run(workflow, workflow_input, emulator)
    assert list(results) == ["upsert", "read"]  # cancel SKIPPED
    assert outputs["read"]["response"]["body"]["status"] == "approved"
    assert not any(r.path.endswith("/cancel") for r in emulator.requests)
    stored = emulator.app.resource(workflow_input["organizationId"], workflow_input["id"])
    assert stored is not None
    assert stored["status"] == "approved"
    _check_exports_describe(workflow, workflow_input, outputs, results)


def _ids(workflow_input: Mapping[str, Any]) -> dict[str, Any]:
    return {key: workflow_input[key] for key in ("organizationId", "id")}


def test_conductor_accepts_the_export(workflow: Workflow) -> None:
    """The Conductor export registers with the stand-in (task definitions, then the workflow),
    and what it is sent holds no secret."""
    document = json.loads((EXAMPLE / EXPORTS["conductor"][0]).read_text())
    with ConductorStandIn() as conductor:
        pushed = load_adapter("conductor").push(document, conductor.url, update=False)
    assert [(c.method, c.path) for c in conductor.calls] == [
        ("POST", "/api/metadata/taskdefs"),
        ("POST", "/api/metadata/workflow"),
    ]
    assert conductor.workflows[0]["name"] == workflow.name
    assert {d["name"] for d in conductor.task_defs} == {
        "upsert_payout_request",
        "get_payout_request",
        "cancel_payout_request",
    }
    assert pushed
    sent = json.dumps([call.body for call in conductor.calls])
    assert "${workflow.secrets.REBILLY_API_KEY}" in sent
    assert "sk_" not in sent


def test_the_command_runs_the_workflow_offline(tmp_path: Path) -> None:
    """`connector workflow run FILE --input FILE --json`, as users start it: every step
    against one emulator started for the command, with no credentials (the tasks are copies
    whose `local` URL is a free port, whatever this machine runs on 8765)."""
    source = json.loads((EXAMPLE / "workflow.json").read_text())
    for step in source["steps"]:
        step["task"] = free_local(tmp_path, step["task"])
    workflow_file = tmp_path / "workflow.json"
    workflow_file.write_text(json.dumps(source))
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("REBILLY_", "CONNECTOR_"))}
    environ["CONNECTOR_CATALOG"] = str(tmp_path / "catalog")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "connector",
            "workflow",
            "run",
            str(workflow_file),
            "--input",
            str(EXAMPLE / "input.json"),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("upsert", "COMPLETED"),
        ("read", "COMPLETED"),
        ("cancel", "COMPLETED"),
    ]
    assert report["steps"][2]["result"]["response"]["body"]["status"] == "canceled"
    assert all(
        s["result"]["request"]["url"].startswith("http://127.0.0.1:") for s in report["steps"]
    )
    assert "started the Rebilly emulator at http://127.0.0.1:" in done.stderr
