"""Inputs that cannot be sent are refused the same way in every surface: one error naming the
field, exit 2 (or a 422, or a terminal failure), and nothing sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connector import InputError, load_task, run_task
from connector._catalog import templates_dir
from connector.cli import main

TASK = "upsert-payout-request"
NOWHERE = "http://127.0.0.1:9/organizations/<<organizationId>>"
"""A loopback port nothing listens on: a request that were sent would be a connection error."""
KEY = {"REBILLY_API_KEY": "sk_sandbox_REFUSALS123"}


@pytest.fixture
def template(tmp_path: Path) -> str:
    """The shipped template with every environment pointed at NOWHERE."""
    data = json.loads((templates_dir() / f"{TASK}.json").read_text())
    data["servers"] = dict.fromkeys(data["servers"], NOWHERE)
    path = tmp_path / f"{TASK}.json"
    path.write_text(json.dumps(data))
    return str(path)


BASE = {
    "id": "po-1",
    "organizationId": "org-1",
    "websiteId": "web-1",
    "customerId": "cust-1",
    "currency": "USD",
    "amount": 10,
}


def _text(**changes: Any) -> str:
    return json.dumps({**BASE, **changes})


DEEP = "[" * 10_000 + "]" * 10_000

CASES = [
    pytest.param(_text(id="abc\n"), {}, "id", id="id-with-a-trailing-newline"),
    pytest.param(
        _text(organizationId=None).replace('"organizationId": null, ', ""),
        {"REBILLY_ORGANIZATION_ID": "org-1\n"},
        "organizationId",
        id="organization-variable-ending-in-a-newline",
    ),
    pytest.param(_text(id="po-\\ud800"), {}, "id", id="lone-surrogate-in-the-id"),
    pytest.param(_text()[:-1] + ', "\\udc80x": 1}', {}, "\\udc80x", id="lone-surrogate-key"),
    pytest.param(
        _text(description="x" * (2 << 20)), {}, "body", id="a-description-over-maxBodyBytes"
    ),
    pytest.param(_text(description=[[[1]]]), {}, "description", id="invalid-nesting-named"),
    pytest.param("null", {}, "", id="null"),
    pytest.param('[["id", "x"]]', {}, "", id="a-list-of-pairs"),
    pytest.param('"po-1"', {}, "", id="a-string"),
]


def _fields(errors: list[dict[str, Any]]) -> list[str]:
    return [error["field"] for error in errors]


def _parsed(text: str) -> Any:
    return json.loads(text)


@pytest.mark.parametrize(("text", "environ", "field"), CASES)
def test_cli_text_names_the_field_exits_2_and_sends_nothing(
    text: str,
    environ: dict[str, str],
    field: str,
    template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`test-request` prints one error naming the field and exits 2."""
    for name, value in {**KEY, **environ}.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "input.json"
    path.write_text(text, encoding="utf-8")
    code = main(["test-request", template, "--input", str(path), "--environment", "sandbox"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "attempts:" not in out
    shown = out + err
    assert "error" in shown
    assert (field or "(input)") in shown


@pytest.mark.parametrize(("text", "environ", "field"), CASES)
def test_cli_json_names_the_field_and_sends_nothing(
    text: str,
    environ: dict[str, str],
    field: str,
    template: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With `--json`, stdout is one JSON error whose field errors name the field."""
    for name, value in {**KEY, **environ}.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "input.json"
    path.write_text(text, encoding="utf-8")
    argv = ["test-request", template, "--input", str(path), "--environment", "sandbox", "--json"]
    code = main(argv)
    shown = json.loads(capsys.readouterr().out)
    assert code == 2
    assert shown["status"] == "FAILED"
    assert not shown.get("attempts")
    assert field in _fields(shown["error"]["fieldErrors"])


@pytest.mark.parametrize(("text", "environ", "field"), CASES)
def test_python_names_the_field_and_sends_nothing(
    text: str, environ: dict[str, str], field: str, template: str
) -> None:
    """`run_task` returns a FAILED validation result; `Task.prepare` raises `InputError`."""
    inputs = _parsed(text)
    result = run_task(template, inputs, environment="sandbox", environ={**KEY, **environ})
    assert result["status"] == "FAILED"
    assert result["error"]["kind"] == "validation"
    assert result["attempts"] == []
    assert field in _fields(result["error"]["fieldErrors"])
    with pytest.raises(InputError):
        load_task(template).prepare(inputs, environment="sandbox", environ=environ)


def test_cli_refuses_input_nested_10000_deep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON nested 10,000 deep in --input is an error about --input, JSON under --json."""
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    code = main(["render", TASK, "--input", str(path), "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 2
    assert "nests deeper" in shown["error"]["message"]


def test_python_refuses_input_nested_deeper_than_the_limit(template: str) -> None:
    """A value nested 10,000 deep (built without recursion) is one error on its field."""
    deep: Any = []
    for _ in range(10_000):
        deep = [deep]
    result = run_task(template, {**BASE, "description": deep}, environment="sandbox", environ=KEY)
    assert result["error"]["kind"] == "validation"
    assert _fields(result["error"]["fieldErrors"]) == ["description"]


@pytest.mark.parametrize("command", ["validate", "import"])
def test_template_and_engine_files_nested_10000_deep_are_refused(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`validate` and `import` say the file nests too deeply, exit 2, no traceback."""
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' + DEEP + "}")
    argv = [command, str(path)] + (["--engine", "conductor"] if command == "import" else [])
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert "nests deeper" in err


@pytest.fixture
def client() -> Any:
    from starlette.testclient import TestClient

    from connector.service import create_app

    with TestClient(create_app(environ={})) as test_client:
        yield test_client


SERVICE_CASES = [case for case in CASES if not case.values[1] and "maxBody" not in str(case.id)]
"""The service reads no organization from its caller, and refuses bodies over 1 MiB first."""


@pytest.mark.parametrize(("text", "environ", "field"), SERVICE_CASES)
def test_service_answers_422_naming_the_field(
    text: str, environ: dict[str, str], field: str, client: Any
) -> None:
    """The service's dry run answers 422 with the field (never a 500)."""
    body = '{"environment": "sandbox", "inputs": ' + text + "}"
    answer = client.post(
        f"/api/tasks/{TASK}/render", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert (field or "inputs") in _fields(answer.json()["error"]["fieldErrors"])


@pytest.mark.parametrize(("text", "environ", "field"), CASES)
def test_worker_fails_terminally_naming_the_field(
    text: str, environ: dict[str, str], field: str, template: str
) -> None:
    """The Conductor worker reports FAILED_WITH_TERMINAL_ERROR with the field in the reason."""
    pytest.importorskip("conductor.client")
    from conductor.client.http.models.task import Task as ConductorTask

    from connector.engines.conductor.worker import worker_for

    worker = worker_for(template, environment="sandbox", environ={**KEY, **environ})
    task = ConductorTask(task_id="t-1", workflow_instance_id="wf-1", input_data=_parsed(text))
    result = worker.execute(task)
    assert result.status == "FAILED_WITH_TERMINAL_ERROR"
    assert result.output_data["attempts"] == []
    assert field in result.reason_for_incompletion
