"""The Conductor worker in-process: `TaskWorker.execute(Task)` against the emulator.

The same worker started as users start it (`connector worker`, the SDK's processes) is
tested in test_engines_conductor_worker_process.py.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("conductor.client")

from conductor.client.http.models.task import Task as ConductorTask

from connector._catalog import load_task, templates_dir
from connector.cli import main
from connector.emulator import Emulator
from connector.engines import export_task
from connector.engines.conductor.worker import worker_for

SECRET = "sk_sandbox_TESTKEY123"
ENVIRON = {"REBILLY_API_KEY": SECRET}
INPUT = {"id": "po-1", "websiteId": "web-1", "customerId": "cus-1", "currency": "USD"}


def _template(tmp_path: Path, *, attempts: int, schema: bool = True) -> str:
    """The shipped template with no waits between in-task attempts (and, optionally, no
    body schema, so that the emulator is the one to refuse a body)."""
    data = json.loads((templates_dir() / "upsert-payout-request.json").read_text())
    data["retry"] = {"maxAttempts": attempts, "intervalSeconds": 0, "jitterSeconds": 0}
    if not schema:
        data.pop("bodySchema")
    path = tmp_path / "upsert-payout-request.json"
    path.write_text(json.dumps(data))
    return str(path)


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


def _run(worker: Any, inputs: dict[str, Any], task_id: str = "task-1") -> Any:
    task = ConductorTask(task_id=task_id, workflow_instance_id="wf-1", input_data=inputs)
    return worker.execute(task)


def test_worker_is_named_like_the_export(emulator: Emulator) -> None:
    """The worker polls for the exported Conductor task definition name."""
    worker = worker_for("upsert-payout-request", base_url=emulator.base_url("org-1"))
    exported = export_task(load_task("upsert-payout-request"), "conductor").document
    assert worker.get_task_definition_name() == exported["taskDefs"][0]["name"]


def test_success_is_completed_with_the_structured_response(emulator: Emulator) -> None:
    """A 201 is COMPLETED and the output is the connector's structured response."""
    worker = worker_for(
        "upsert-payout-request", base_url=emulator.base_url("org-1"), environ=ENVIRON
    )
    result = _run(worker, {**INPUT, "amount": 10})
    assert result.status == "COMPLETED"
    assert result.task_id == "task-1"
    assert result.output_data["status"] == "COMPLETED"
    assert result.output_data["response"]["statusCode"] == 201
    assert result.output_data["request"]["headers"]["REB-APIKEY"] == "<redacted>"
    assert SECRET not in json.dumps(result.output_data)


def test_a_422_is_a_terminal_failure_with_status_and_body(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A 422 cannot be fixed by retrying: FAILED_WITH_TERMINAL_ERROR, response kept."""
    template = _template(tmp_path, attempts=3, schema=False)
    worker = worker_for(template, base_url=emulator.base_url("org-1"), environ=ENVIRON)
    result = _run(worker, {**INPUT, "amount": "ten"})
    assert result.status == "FAILED_WITH_TERMINAL_ERROR"
    assert result.output_data["response"]["statusCode"] == 422
    assert result.output_data["retryable"] is False
    assert "422" in result.reason_for_incompletion
    assert SECRET not in result.reason_for_incompletion


def test_503_then_success_inside_one_execution(emulator: Emulator, tmp_path: Path) -> None:
    """Two 503s are absorbed by the connector's own attempts: COMPLETED on the third."""
    worker = worker_for(
        _template(tmp_path, attempts=3), base_url=emulator.base_url("org-1"), environ=ENVIRON
    )
    emulator.inject("503", count=2)
    result = _run(worker, {**INPUT, "amount": 10})
    assert result.status == "COMPLETED"
    assert [a["statusCode"] for a in result.output_data["attempts"]] == [503, 503, 201]


def test_503_is_retryable_for_the_engine_then_succeeds(emulator: Emulator, tmp_path: Path) -> None:
    """With one in-task attempt a 503 is FAILED (the engine retries); the retry completes."""
    worker = worker_for(
        _template(tmp_path, attempts=1), base_url=emulator.base_url("org-1"), environ=ENVIRON
    )
    emulator.inject("503", count=1)
    first = _run(worker, {**INPUT, "amount": 10}, task_id="attempt-1")
    second = _run(worker, {**INPUT, "amount": 10}, task_id="attempt-2")
    assert first.status == "FAILED"
    assert first.output_data["retryable"] is True
    assert first.output_data["response"]["statusCode"] == 503
    assert second.status == "COMPLETED"


def test_invalid_input_is_terminal_and_sends_nothing(emulator: Emulator) -> None:
    """Invalid input fails terminally with field errors; the emulator receives nothing."""
    worker = worker_for(
        "upsert-payout-request", base_url=emulator.base_url("org-1"), environ=ENVIRON
    )
    result = _run(worker, {**INPUT, "currency": "usd", "amount": 10})
    assert result.status == "FAILED_WITH_TERMINAL_ERROR"
    assert result.output_data["error"]["kind"] == "validation"
    assert "currency" in result.reason_for_incompletion
    assert emulator.requests == []


def test_worker_survives_pickling_as_the_sdk_spawns_it(emulator: Emulator) -> None:
    """The SDK pickles each worker into a new process: the copy runs the task."""
    worker = worker_for(
        "upsert-payout-request", base_url=emulator.base_url("org-1"), environ=ENVIRON
    )
    copy = pickle.loads(pickle.dumps(worker))
    assert copy.get_task_definition_name() == "upsert_payout_request"
    assert _run(copy, {**INPUT, "amount": 10}).status == "COMPLETED"


@pytest.mark.parametrize(
    ("input_data", "field"),
    [
        pytest.param([INPUT], "inputData", id="a-list"),
        pytest.param("po-1", "inputData", id="a-string"),
        pytest.param(None, "inputData", id="null"),
        pytest.param(
            {**INPUT, "amount": 10, "description": _nested(200)}, "description.a.a", id="deep"
        ),
    ],
)
def test_malformed_input_is_terminal_and_names_the_field(
    emulator: Emulator, input_data: Any, field: str
) -> None:
    """An input that is not an object, or is nested absurdly deep, is refused unsent."""
    worker = worker_for(
        "upsert-payout-request", base_url=emulator.base_url("org-1"), environ=ENVIRON
    )
    result = _run(worker, input_data)
    assert result.status == "FAILED_WITH_TERMINAL_ERROR"
    assert result.output_data["error"]["fieldErrors"][0]["field"].startswith(field)
    assert field in result.reason_for_incompletion
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("input_data", "kind"),
    [pytest.param([1], "an array", id="array"), pytest.param(None, "null", id="null")],
)
def test_an_input_that_is_not_an_object_says_what_it_is(input_data: Any, kind: str) -> None:
    """The reason names Conductor's `inputData` and what it holds, in JSON's words."""
    worker = worker_for("upsert-payout-request", base_url="http://127.0.0.1:9/organizations/o")
    (error,) = _run(worker, input_data).output_data["error"]["fieldErrors"]
    assert error == {"field": "inputData", "message": f"must be a JSON object, not {kind}"}


def test_a_lone_surrogate_is_refused_before_anything_is_rendered() -> None:
    """No UTF-8 request can carry it: terminal, its field named."""
    worker = worker_for("upsert-payout-request", base_url="http://127.0.0.1:9/organizations/o")
    result = _run(worker, {**INPUT, "amount": 10, "description": "\ud800"})
    assert result.status == "FAILED_WITH_TERMINAL_ERROR"
    assert result.output_data["error"]["fieldErrors"][0]["field"] == "description"


def test_cli_worker_refuses_without_a_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connector worker` needs CONDUCTOR_SERVER_URL and says so with exit 2."""
    monkeypatch.delenv("CONDUCTOR_SERVER_URL", raising=False)
    assert main(["worker", "--engine", "conductor"]) == 2
    assert "CONDUCTOR_SERVER_URL" in capsys.readouterr().err


def test_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without conductor-python, importing the worker says which extra to install."""
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "conductor.client.http.models.task", None)
    monkeypatch.delitem(sys.modules, "connector.engines.conductor.worker")
    with pytest.raises(ImportError, match=r"pip install 'connector\[conductor\]'"):
        importlib.import_module("connector.engines.conductor.worker")


def test_a_keyed_step_sends_the_same_key_on_every_conductor_retry(
    emulator: Emulator, tmp_path: Path
) -> None:
    """The key is derived from the workflow run and the step: a retry (a new task id) sends
    the same key, so the emulator answers the first result; another workflow run, another key."""
    data = json.loads((templates_dir() / "create-payout-request.json").read_text())
    data["parameters"]["key"] = {"in": "header", "name": "Idempotency-Key"}
    data["idempotency"] = {"key": "key"}
    path = tmp_path / "keyed.json"
    path.write_text(json.dumps(data))
    worker = worker_for(str(path), base_url=emulator.base_url("org-1"), environ=ENVIRON)
    inputs = {"websiteId": "web-1", "customerId": "cus-1", "currency": "USD", "amount": 5}

    def execute(task_id: str, workflow: str) -> Any:
        task = ConductorTask(
            task_id=task_id,
            workflow_instance_id=workflow,
            reference_task_name="pay",
            input_data=inputs,
        )
        return worker.execute(task).output_data

    first, retry, other = execute("t-1", "wf-1"), execute("t-2", "wf-1"), execute("t-3", "wf-2")
    keys = [out["request"]["headers"]["Idempotency-Key"] for out in (first, retry, other)]
    assert keys[0] == keys[1] != keys[2]
    assert retry["response"]["headers"]["Idempotent-Replayed"] == "true"
    assert retry["response"]["body"]["id"] == first["response"]["body"]["id"]
