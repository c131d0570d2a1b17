"""Conductor export and import: the HTTP workflow task, its task definition, round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from connector._catalog import load_task, task_names
from connector._errors import TemplateError
from connector._task import Task
from connector._template import parse_template
from connector.cli import main
from connector.engines import ExportOptions, export_task, import_task
from connector.engines._shared import schema

CORPUS = Path(__file__).parent / "data" / "engines" / "conductor"
SECRET = "sk_sandbox_TESTKEY123"


def _shipped(**options: Any) -> dict[str, Any]:
    task = load_task("upsert-payout-request")
    return export_task(task, "conductor", ExportOptions(**options)).document


def _task(retry: dict[str, Any], method: str = "PUT", body: Any = None) -> Task:
    data = {
        "name": "thing",
        "title": "Thing",
        "httpRequest": {"url": "https://x.example.com/t", "method": method, "body": body},
        "retry": retry,
    }
    return Task(parse_template(data, source="test"))


def _corpus() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in sorted(CORPUS.glob("*.json"))]


def test_export_is_a_nested_http_task_with_input_references() -> None:
    """The workflow task uses `http_request`, `${workflow.input.…}` and milliseconds."""
    task = _shipped()["workflowTask"]
    http = task["inputParameters"]["http_request"]
    assert (task["name"], task["taskReferenceName"], task["type"]) == (
        "upsert_payout_request",
        "upsert_payout_request_ref",
        "HTTP",
    )
    assert http["uri"] == (
        "https://api-sandbox.rebilly.com/organizations/${workflow.input.organizationId}"
        "/payout-requests/${workflow.input.id}"
    )
    assert http["body"]["amount"] == "${workflow.input.amount}"
    assert (http["accept"], http["contentType"]) == ("application/json", "application/json")
    assert (http["connectionTimeOut"], http["readTimeOut"]) == (5000, 10000)
    assert all(isinstance(value, str) for value in http["headers"].values())


def test_the_key_header_references_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API key is `${workflow.secrets.NAME}`; the value itself never appears."""
    monkeypatch.setenv("REBILLY_API_KEY", SECRET)
    default = _shipped()["workflowTask"]["inputParameters"]["http_request"]["headers"]
    named = _shipped(credentials="REB_SANDBOX")["workflowTask"]["inputParameters"]
    assert default == {"REB-APIKEY": "${workflow.secrets.REBILLY_API_KEY}"}
    assert named["http_request"]["headers"] == {"REB-APIKEY": "${workflow.secrets.REB_SANDBOX}"}
    assert SECRET not in json.dumps(_shipped(workflow="w"))


def test_task_definition_carries_the_retry_policy() -> None:
    """retryCount = attempts - 1, exponential backoff, delays, jitter and timeouts."""
    task_def = _shipped()["taskDefs"][0]
    assert task_def == {
        "name": "upsert_payout_request",
        "description": load_task("upsert-payout-request").template.description,
        "retryCount": 2,
        "retryLogic": "EXPONENTIAL_BACKOFF",
        "retryDelaySeconds": 1,
        "maxRetryDelaySeconds": 30,
        "backoffJitterMs": 500,
        "timeoutSeconds": 60,
        "responseTimeoutSeconds": 60,
        "timeoutPolicy": "RETRY",
    }


@pytest.mark.parametrize(
    ("retry", "method", "expected", "warned"),
    [
        pytest.param({"maxAttempts": 1}, "PUT", (0, "EXPONENTIAL_BACKOFF"), False, id="no-retry"),
        pytest.param({"backoffRate": 1}, "PUT", (2, "FIXED"), False, id="fixed"),
        pytest.param({"backoffRate": 3}, "PUT", (2, "EXPONENTIAL_BACKOFF"), True, id="rate-3"),
        pytest.param({}, "POST", (0, "EXPONENTIAL_BACKOFF"), True, id="post-not-retried"),
        pytest.param(
            {"retryNonIdempotent": True}, "POST", (2, "EXPONENTIAL_BACKOFF"), False, id="post-safe"
        ),
    ],
)
def test_retry_mapping(
    retry: dict[str, Any], method: str, expected: tuple[int, str], warned: bool
) -> None:
    """What Conductor cannot do exactly is written the safe way, with a warning."""
    result = export_task(_task(retry, method), "conductor")
    task_def = result.document["taskDefs"][0]
    assert (task_def["retryCount"], task_def["retryLogic"]) == expected
    assert any("retry" in warning for warning in result.warnings) is warned


def test_workflow_export_is_a_definition_and_a_task_definition() -> None:
    """--workflow writes `{workflowDef, taskDefs}` with the inputs listed."""
    document = _shipped(workflow="payouts")
    workflow = document["workflowDef"]
    assert workflow["name"] == "payouts"
    assert workflow["schemaVersion"] == 2
    assert workflow["tasks"][0]["type"] == "HTTP"
    assert "amount" in workflow["inputParameters"]
    assert document["taskDefs"][0]["name"] == workflow["tasks"][0]["name"]


def test_export_refuses_a_filter_with_its_field() -> None:
    """A placeholder Conductor cannot express fails the export and names the field."""
    with pytest.raises(TemplateError) as caught:
        export_task(_task({}, body={"x": {"y": "<<a | round>>"}}), "conductor")
    assert caught.value.field_errors[0].field == "httpRequest.body.x.y"


@pytest.mark.parametrize("name", task_names())
def test_every_shipped_template_survives_export_import_export(name: str) -> None:
    """Export -> import -> export writes the same JSON, and the template comes back equal."""
    for options in (ExportOptions(), ExportOptions(workflow="flow", credentials="KEY_NAME")):
        task = load_task(name)
        first = export_task(task, "conductor", options).document
        imported = import_task(first, "conductor")
        again = export_task(Task(imported.template), "conductor", imported.options).document
        assert again == first
        assert imported.warnings == []
        assert imported.template == task.template


@pytest.mark.parametrize("path", _corpus())
def test_corpus_examples_import_and_export_back(path: Path) -> None:
    """Every example in our export shape imports and exports back unchanged."""
    document = json.loads(path.read_text())
    imported = import_task(document, "conductor")
    again = export_task(Task(imported.template), "conductor", imported.options).document
    if "workflowTask" in document or "workflowDef" in document:
        assert again == document
        assert imported.warnings == []
    else:
        again_twice = import_task(again, "conductor")
        assert (
            export_task(Task(again_twice.template), "conductor", again_twice.options).document
            == again
        )
        assert any("taskReferenceName" in warning for warning in imported.warnings)


def test_import_reads_secrets_as_auth_and_media_types_as_headers() -> None:
    """`Bearer ${workflow.secrets.X}` becomes a bearer auth read from $X; accept a header."""
    document = json.loads((CORPUS / "create_customer.json").read_text())
    template = import_task(document, "conductor").template
    assert template.auth.model_dump(by_alias=True, exclude_unset=True) == {
        "schemes": {"jwt": {"type": "http", "scheme": "bearer", "env": "CRM_TOKEN"}}
    }
    assert template.http_request.headers == {
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    assert template.retry.max_attempts == 1
    assert template.deadline_seconds == 30


def test_import_picks_the_http_task_of_a_workflow() -> None:
    """A workflow definition with one HTTP task among others yields that task."""
    document = json.loads((CORPUS / "workflow_bare_two_tasks.json").read_text())
    template = import_task(document, "conductor").template
    assert template.name == "create_customer"
    assert template.http_request.body == {"email": "<<email>>"}
    with pytest.raises(TemplateError):
        import_task(document, "conductor", task="notify")


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        pytest.param({"X-Id": "${create.output.id}"}, "http_request.headers.X-Id", id="output"),
        pytest.param({"X-Key": "k-${workflow.secrets.K}"}, "http_request.headers.X-Key", id="mix"),
    ],
)
def test_import_refuses_other_expressions(headers: dict[str, str], field: str) -> None:
    """References a template cannot hold are refused with the field named."""
    http = {"uri": "https://x/y", "method": "GET", "headers": headers}
    task = {"name": "t", "taskReferenceName": "t_ref", "type": "HTTP"}
    with pytest.raises(TemplateError) as caught:
        import_task({**task, "inputParameters": {"http_request": http}}, "conductor")
    assert [error.field for error in caught.value.field_errors] == [field]


def test_import_refuses_linear_backoff() -> None:
    """LINEAR_BACKOFF has no template equivalent: refused, not approximated."""
    document = json.loads((CORPUS / "book_invoice_numbers.json").read_text())
    document["taskDefs"][0]["retryLogic"] = "LINEAR_BACKOFF"
    with pytest.raises(TemplateError) as caught:
        import_task(document, "conductor")
    assert caught.value.field_errors[0].field == "taskDef.retryLogic"


@pytest.mark.parametrize(
    "name",
    [
        "conductor-workflow-task.schema.json",
        "conductor-task-def.schema.json",
        "conductor-workflow-def.schema.json",
    ],
)
def test_schemas_are_valid_and_strict(name: str) -> None:
    """The shipped schema is valid JSON Schema and forbids unknown keys."""
    document = schema(name)
    assert jsonschema_rs.meta.is_valid(document)
    assert document["additionalProperties"] is False


def test_export_deserialises_through_the_sdk_models() -> None:
    """conductor-python reads the exported task, task definition and workflow."""
    pytest.importorskip("conductor.client")
    from conductor.client.http.api_client import ApiClient

    client = ApiClient()
    document = _shipped(workflow="payouts")
    workflow = client.deserialize_class(document["workflowDef"], "WorkflowDef")
    task_def = client.deserialize_class(document["taskDefs"][0], "TaskDef")
    task = workflow.tasks[0]
    assert (task.name, task.type, task.task_reference_name) == (
        "upsert_payout_request",
        "HTTP",
        "upsert_payout_request_ref",
    )
    assert task.input_parameters["http_request"]["method"] == "PUT"
    assert (task_def.retry_count, task_def.retry_logic) == (2, "EXPONENTIAL_BACKOFF")
    assert (task_def.retry_delay_seconds, task_def.timeout_seconds) == (1, 60)
    assert workflow.schema_version == 2


def test_cli_import_notes_how_to_export_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`connector import` prints the template and the flags that reproduce the export."""
    path = tmp_path / "c.json"
    assert (
        main(
            [
                "export",
                "upsert-payout-request",
                "--engine",
                "conductor",
                "--workflow",
                "w",
                "--credentials",
                "MY_KEY",
                "--full",
                "-o",
                str(path),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["import", str(path), "--engine", "conductor"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["name"] == "upsert-payout-request"
    assert "--workflow w --credentials MY_KEY --full" in out.err
