"""`connector worker --engine conductor`, started as users start it, against a Conductor stand-in.

The command runs as a real process; it serves every task type on threads of its own process
(or of `--processes N` children), each polling the loopback stand-in of Conductor's task API,
running the task against the local emulator and posting the result back. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("conductor.client")

from _conductor_stand_in import ConductorStandIn

from connector._catalog import templates_dir
from connector.emulator import Emulator

SECRET = "sk_sandbox_TESTKEY123"
INPUT = {"id": "po-1", "websiteId": "web-1", "customerId": "cus-1", "currency": "USD"}
SHIPPED = "upsert_payout_request"
NO_SCHEMA = "payout_no_schema"  # the emulator, not the connector, refuses a bad body
FAST_RETRY = "payout_fast_retry"  # three attempts, no waits between them
START_TIMEOUT = 60
RESULT_TIMEOUT = 30


@dataclass
class Running:
    """A started worker command and what it talks to."""

    process: subprocess.Popen[bytes]
    conductor: ConductorStandIn
    emulator: Emulator
    stderr: Path

    def run(self, task_type: str, input_data: Any, task_id: str) -> dict[str, Any]:
        """Queue one task and return the result the worker posted for it."""
        self.conductor.queue(task_type, input_data, task_id)
        return self.conductor.result(task_id, RESULT_TIMEOUT)


def _template(folder: Path, name: str, *, attempts: int, schema: bool) -> Path:
    data = json.loads((templates_dir() / "upsert-payout-request.json").read_text())
    data["name"] = name
    data["retry"] = {"maxAttempts": attempts, "intervalSeconds": 0, "jitterSeconds": 0}
    if not schema:
        data.pop("bodySchema")
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def _command() -> list[str]:
    """The installed `connector` script beside this interpreter, else `python -m connector`."""
    script = Path(sys.executable).with_name("connector")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "connector"]


def _environment(conductor: ConductorStandIn) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("REBILLY_", "CONDUCTOR_"))}
    return {
        **keep,
        "CONDUCTOR_SERVER_URL": conductor.url,
        "REBILLY_API_KEY": SECRET,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def _start(
    tmp: Path, conductor: ConductorStandIn, emulator: Emulator, *tasks: str, processes: int = 1
) -> Running:
    arguments = [*_command(), "worker", "--engine", "conductor"]
    if processes != 1:
        arguments += ["--processes", str(processes)]
    for task in tasks:
        arguments += ["--task", task]
    arguments += ["--base-url", emulator.base_url("org-1")]
    stderr = tmp / "worker.stderr"
    with stderr.open("wb") as sink:
        process = subprocess.Popen(
            arguments, env=_environment(conductor), stdout=sink, stderr=sink, cwd=tmp
        )
    return Running(process, conductor, emulator, stderr)


def _stop(running: Running) -> int:
    running.process.send_signal(signal.SIGTERM)
    try:
        return running.process.wait(20)
    except subprocess.TimeoutExpired:
        running.process.kill()
        raise


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One `connector worker` process serving three tasks, until the module's tests end."""
    tmp = tmp_path_factory.mktemp("worker")
    tasks = [
        "upsert-payout-request",
        str(_template(tmp, "payout-no-schema", attempts=1, schema=False)),
        str(_template(tmp, "payout-fast-retry", attempts=3, schema=True)),
    ]
    with ConductorStandIn() as conductor, Emulator(host="127.0.0.1", port=0) as emulator:
        running = _start(tmp, conductor, emulator, *tasks)
        try:
            for task_type in (SHIPPED, NO_SCHEMA, FAST_RETRY):
                conductor.wait_for_poll(task_type, START_TIMEOUT)
            yield running
        finally:
            _stop(running)


@pytest.fixture
def emulator(worker: Running) -> Emulator:
    """The worker's emulator, with nothing left over from earlier tests (faults, requests)."""
    worker.emulator.reset()
    return worker.emulator


def test_a_queued_task_is_completed_with_the_structured_response(
    worker: Running, emulator: Emulator
) -> None:
    """The worker polls the task, sends it, and posts COMPLETED with the response as output."""
    result = worker.run(SHIPPED, {**INPUT, "amount": 10}, "ok-1")
    output = result["outputData"]
    assert result["status"] == "COMPLETED"
    assert result["workflowInstanceId"] == "wf-ok-1"
    assert output["response"]["statusCode"] == 201
    assert output["response"]["body"]["amount"] == 10
    assert output["request"]["headers"]["REB-APIKEY"] == "<redacted>"
    assert [r.method for r in emulator.requests] == ["PUT"]


def test_a_422_is_a_terminal_failure_with_status_and_body(
    worker: Running, emulator: Emulator
) -> None:
    """A 422 from the API cannot be fixed by retrying: FAILED_WITH_TERMINAL_ERROR."""
    result = worker.run(NO_SCHEMA, {**INPUT, "amount": "ten"}, "unprocessable-1")
    assert result["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert result["outputData"]["response"]["statusCode"] == 422
    assert result["outputData"]["retryable"] is False
    assert "HTTP 422" in result["reasonForIncompletion"]


def test_a_503_storm_is_a_retryable_failure(worker: Running, emulator: Emulator) -> None:
    """503 on every in-task attempt: FAILED, so the task definition's retries take over."""
    emulator.inject("503", count=3)
    result = worker.run(FAST_RETRY, {**INPUT, "amount": 10}, "storm-1")
    output = result["outputData"]
    assert result["status"] == "FAILED"
    assert output["retryable"] is True
    assert [a["statusCode"] for a in output["attempts"]] == [503, 503, 503]


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("input_data", "field"),
    [
        pytest.param({**INPUT, "amount": 10, "id": ["po-1"]}, "id", id="a-list-for-a-string"),
        pytest.param({**INPUT, "amount": "ten"}, "amount", id="a-string-for-a-number"),
        pytest.param(
            {**INPUT, "amount": 10, "description": _nested(200)}, "description.a.a", id="deep"
        ),
    ],
)
def test_malformed_input_is_terminal_names_the_field_and_sends_nothing(
    worker: Running, emulator: Emulator, input_data: Any, field: str, request: Any
) -> None:
    """An input the task cannot use: FAILED_WITH_TERMINAL_ERROR, the field named, nothing sent."""
    result = worker.run(SHIPPED, input_data, f"malformed-{request.node.callspec.id}")
    assert result["status"] == "FAILED_WITH_TERMINAL_ERROR"
    assert field in result["reasonForIncompletion"]
    assert result["outputData"]["error"]["kind"] == "validation"
    assert emulator.requests == []


def test_nothing_posted_to_conductor_holds_the_key(worker: Running) -> None:
    """Results, reasons and logs sent to Conductor never contain the credential."""
    worker.run(SHIPPED, {**INPUT, "amount": 10}, "secret-1")
    posted = [json.dumps(call.body) for call in worker.conductor.calls if call.method == "POST"]
    assert posted
    assert not [body for body in posted if SECRET in body]


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_many_task_types_are_served_by_one_process(worker: Running) -> None:
    """Three task types polled and served, by the command's own process: no child."""
    assert worker.process.poll() is None
    assert _children(worker.process.pid) == set()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_sigterm_stops_the_worker_and_its_processes(tmp_path: Path) -> None:
    """With `--processes 2` the task types are served by two children; a stopped container
    sends SIGTERM: the command ends and takes both along."""
    tasks = [
        "upsert-payout-request",
        "get-payout-request",
        str(_template(tmp_path, "payout-no-schema", attempts=1, schema=False)),
    ]
    with ConductorStandIn() as conductor, Emulator(host="127.0.0.1", port=0) as emulator:
        running = _start(tmp_path, conductor, emulator, *tasks, processes=2)
        for task_type in (SHIPPED, "get_payout_request", NO_SCHEMA):
            conductor.wait_for_poll(task_type, START_TIMEOUT)
        children = _children(running.process.pid)
        served = [pid for pid in children if b"spawn_main" in _cmdline(pid)]
        assert len(served) == 2  # besides multiprocessing's resource tracker
        assert _stop(running) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [pid for pid in children if _alive(pid)]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_dead_worker_process_ends_the_command_with_an_error(tmp_path: Path) -> None:
    """`kill -9` of one of two worker processes: the command stops the other, says which
    exit it saw and exits 1 (it no longer serves every task type it was asked to)."""
    tasks = ["upsert-payout-request", "get-payout-request"]
    with ConductorStandIn() as conductor, Emulator(host="127.0.0.1", port=0) as emulator:
        running = _start(tmp_path, conductor, emulator, *tasks, processes=2)
        for task_type in (SHIPPED, "get_payout_request"):
            conductor.wait_for_poll(task_type, START_TIMEOUT)
        served = [p for p in _children(running.process.pid) if b"spawn_main" in _cmdline(p)]
        os.kill(served[0], signal.SIGKILL)
        try:
            code = running.process.wait(30)
        except subprocess.TimeoutExpired:
            running.process.kill()
            raise
        assert code == 1
        assert "a worker process exited with -9" in running.stderr.read_text()
        assert not [pid for pid in served if _alive(pid)]
