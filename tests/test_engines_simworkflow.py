"""SimWorkflow export and import: the Http task format, expressions, round trips, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector._catalog import load_task, task_names, templates_dir
from connector._errors import TemplateError
from connector._idempotency import retry_allowed
from connector._task import Task
from connector._template import parse_template
from connector.cli import main
from connector.engines import METADATA_KEY, ExportOptions, export_task, import_task
from connector.engines._expressions import escape_literal, unescape_literal
from connector.engines._shared import schema

CORPUS = Path(__file__).parent / "data" / "engines" / "simworkflow"
SECRET = "sk_sandbox_TESTKEY123"


def _template(**changes: Any) -> Task:
    """A small valid task template with `changes` applied to its httpRequest."""
    request = {"url": "/things/<<id>>", "method": "PUT", "headers": {}, "body": {"a": "<<a>>"}}
    data = {
        "name": "thing",
        "title": "Thing",
        "servers": {"sandbox": "https://sandbox.example.com/<<org>>"},
        "httpRequest": {**request, **changes},
    }
    return Task(parse_template(data, source="test"))


def _corpus() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in sorted(CORPUS.glob("*.json"))]


def test_export_of_the_shipped_task_references_task_inputs() -> None:
    """The exported Http task reads `${name}` from inputs mapped from `${workflow.input.name}`."""
    options = ExportOptions(credentials="rebilly-sandbox")
    document = export_task(load_task("upsert-payout-request"), "simworkflow", options).document
    request = document["httpRequest"]
    assert document["type"] == "Http"
    assert document["credentials"] == "rebilly-sandbox"
    assert request["url"] == (
        "https://api-sandbox.rebilly.com/organizations/${organizationId}/payout-requests/${id}"
    )
    assert request["body"]["amount"] == "${amount}"
    assert document["inputParameters"]["amount"] == "${workflow.input.amount}"
    assert document["inputParameters"]["organizationId"] == "${workflow.input.organizationId}"
    assert document["retry"] == {"intervalSeconds": 1, "maxAttempts": 3, "backoffRate": 2}
    assert (document["connectionTimeoutSeconds"], document["readTimeoutSeconds"]) == (5, 10)


def test_export_defaults_to_sandbox_and_never_to_live() -> None:
    """Without an environment the URL is the sandbox one."""
    document = export_task(load_task("upsert-payout-request"), "simworkflow").document
    assert document["httpRequest"]["url"].startswith("https://api-sandbox.rebilly.com/")


def test_export_with_base_url_replaces_the_environment() -> None:
    """--base-url replaces the base before the template's path."""
    options = ExportOptions(base_url="http://127.0.0.1:8765/organizations/org-1/")
    document = export_task(load_task("upsert-payout-request"), "simworkflow", options).document
    assert document["httpRequest"]["url"] == (
        "http://127.0.0.1:8765/organizations/org-1/payout-requests/${id}"
    )
    assert "organizationId" not in document["inputParameters"]


def test_workflow_export_is_a_definition_with_one_ending_task() -> None:
    """--workflow wraps the task in a definition whose start task ends the workflow."""
    options = ExportOptions(workflow="Payouts", credentials="c")
    document = export_task(load_task("upsert-payout-request"), "simworkflow", options).document
    assert document["name"] == "Payouts"
    assert document["startTask"] == "Upsert a payout request"
    assert document["tasks"]["Upsert a payout request"]["end"] is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<<a>>", "${a}", id="whole-value"),
        pytest.param("x-<<a>>-<< a >>", "x-${a}-${a}", id="inside-text"),
        pytest.param("literal ${x} and <<a>>", "literal $${x} and ${a}", id="escaped-dollar"),
        pytest.param("https://x/{{id}}/done", "https://x/{{id}}/done", id="rebilly-placeholder"),
        pytest.param("{# not ours #} {% raw %}", "{# not ours #} {% raw %}", id="jinja-text"),
    ],
)
def test_leaves_convert_to_engine_expressions(text: str, expected: str) -> None:
    """`<<name>>` becomes `${name}`, literal `${` is escaped, other braces travel verbatim."""
    document = export_task(_template(body={"a": text}), "simworkflow").document
    assert document["httpRequest"]["body"]["a"] == expected


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"a": "<<a | upper>>"}, "httpRequest.body.a", id="filter"),
        pytest.param({"n": {"m": "<<a + 1>>"}}, "httpRequest.body.n.m", id="arithmetic"),
        pytest.param({"a": "<% if a %>x<% endif %><<a>>"}, "httpRequest.body.a", id="block"),
        pytest.param({"a": "$<<a>>"}, "httpRequest.body.a", id="dollar-before-placeholder"),
    ],
)
def test_export_refuses_what_the_engine_cannot_express(body: Any, field: str) -> None:
    """A filter, arithmetic, a block or an unescapable `$` fails with the field named."""
    with pytest.raises(TemplateError) as caught:
        export_task(_template(body=body), "simworkflow")
    assert [error.field for error in caught.value.field_errors] == [field]


def test_export_refuses_a_body_that_is_not_an_object() -> None:
    """SimWorkflow bodies are JSON objects; an array body is refused, not dropped."""
    with pytest.raises(TemplateError) as caught:
        export_task(_template(body=["<<a>>"]), "simworkflow")
    assert caught.value.field_errors[0].field == "httpRequest.body"


def test_export_holds_no_secret_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials stay in the environment: the export names saved credentials only."""
    monkeypatch.setenv("REBILLY_API_KEY", SECRET)
    options = ExportOptions(credentials="rebilly")
    document = export_task(load_task("upsert-payout-request"), "simworkflow", options).document
    written = json.dumps(document)
    assert SECRET not in written
    assert document["credentials"] == "rebilly"  # the engine's saved credentials, by id
    assert "REB-APIKEY" not in document["httpRequest"]["headers"]


@pytest.mark.parametrize("name", task_names())
def test_every_shipped_template_survives_export_import_export(name: str) -> None:
    """Export -> import -> export writes the same JSON, and the template comes back equal."""
    options = ExportOptions(workflow="Flow", credentials="creds")
    task = load_task(name)
    first = export_task(task, "simworkflow", options).document
    imported = import_task(first, "simworkflow")
    again = export_task(Task(imported.template), "simworkflow", imported.options).document
    assert again == first
    assert imported.warnings == []
    assert imported.template == task.template


@pytest.mark.parametrize("path", _corpus())
def test_corpus_examples_validate_and_round_trip(path: Path) -> None:
    """Every example validates; its HTTP task imports and exports back unchanged, but for
    the retry of a step that is not safe to repeat, which the export drops and says so."""
    document = json.loads(path.read_text())
    tasks = list(document["tasks"]) if "tasks" in document else [None]
    for name in tasks:
        imported = import_task(document, "simworkflow", task=name, name=path.stem)
        again = export_task(Task(imported.template), "simworkflow", imported.options).document
        original = document if name is None else document["tasks"][name]
        dropped = "retry" in original and not retry_allowed(imported.template).allowed
        exported = again if name is None else again["tasks"][imported.template.title]
        assert {k: v for k, v in exported.items() if k != "end"} == {
            k: v
            for k, v in original.items()
            if k not in {"end", "nextTask"} and not (dropped and k == "retry")
        }
        if dropped:
            assert any("sends it once" in w for w in imported.warnings)
            assert all(w.startswith("retry") for w in imported.warnings)
        else:
            assert imported.warnings == []


def test_import_reads_inputs_escapes_and_credentials() -> None:
    """`${x}` becomes `<<x>>`, `$${` a literal `${`, and credentials an export option."""
    document = json.loads((CORPUS / "escaped-template-literal.json").read_text())
    imported = import_task(document, "simworkflow", name="notify")
    body = imported.template.http_request.body
    assert isinstance(body, dict)
    assert body["text"] == "Order <<orderId>> shipped; track it at ${trackingUrl}"
    assert imported.template.http_request.url == (
        "https://notify.example.com/channels/<<channel>>/messages"
    )
    assert imported.template.retry.max_attempts == 4
    assert imported.options.credentials is None
    assert imported.template.name == "notify"


def test_import_without_retry_means_one_attempt() -> None:
    """A task without `retry` is never retried by SimWorkflow: one attempt."""
    document = json.loads((CORPUS / "get-without-body-no-retry.json").read_text())
    imported = import_task(document, "simworkflow")
    assert imported.template.retry.max_attempts == 1
    assert imported.template.http_request.body is None


def test_import_needs_a_task_name_when_a_workflow_has_several() -> None:
    """A workflow with two HTTP tasks asks for --task and lists them."""
    document = json.loads((CORPUS / "workflow-two-tasks.json").read_text())
    with pytest.raises(TemplateError) as caught:
        import_task(document, "simworkflow")
    assert "Create customer, Tag customer" in str(caught.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"url": "https://x/${workflow.input.id}"}, "httpRequest.url", id="not-input"),
        pytest.param({"url": "https://x/${jsonata: $now()}"}, "httpRequest.url", id="jsonata"),
        pytest.param({"body": {"a": "x << y"}}, "httpRequest.body.a", id="our-delimiter"),
    ],
)
def test_import_refuses_what_a_template_cannot_hold(change: dict[str, Any], field: str) -> None:
    """Other expressions and our own delimiters are refused with the field named."""
    request = {"url": "https://x/y", "method": "POST", "headers": {}, **change}
    with pytest.raises(TemplateError) as caught:
        import_task({"type": "Http", "httpRequest": request}, "simworkflow", name="t")
    assert [error.field for error in caught.value.field_errors] == [field]


def test_import_warns_about_wiring_a_template_cannot_carry() -> None:
    """An input mapped from another task's output is reported, not silently rewritten."""
    document = json.loads((CORPUS / "create-customer.json").read_text())
    document["inputParameters"]["email"] = "${Lookup.output.email}"
    imported = import_task(document, "simworkflow")
    assert any("inputParameters.email" in warning for warning in imported.warnings)


def test_import_refuses_an_invalid_task() -> None:
    """A task that breaks the SimWorkflow schema is refused with its fields."""
    bad = {"type": "Http", "httpRequest": {"url": "u", "method": "FETCH"}, "extra": 1}
    with pytest.raises(TemplateError) as caught:
        import_task(bad, "simworkflow", name="t")
    fields = {error.field for error in caught.value.field_errors}
    assert {"", "httpRequest.method"} <= fields


def test_metadata_escapes_every_expression() -> None:
    """The carried template cannot be evaluated by the engine: its `${` are escaped."""
    data = load_task("upsert-payout-request").template.to_json()
    data["description"] = "costs ${amount}"
    data["parameters"]["id"]["description"] = "see ${id}"
    task = Task(parse_template(data, source="test"))
    document = export_task(task, "simworkflow").document
    carried = json.dumps(document["inputParameters"][METADATA_KEY])
    assert "${" not in carried.replace("$${", "")
    assert import_task(document, "simworkflow").template == task.template


@given(st.text(alphabet="${}ab<>#%\\", max_size=12))
def test_escaping_is_reversible(text: str) -> None:
    """Unescaping an escaped string gives it back, whatever `$`, `{` and `}` it holds."""
    assert unescape_literal(escape_literal({text: [text]})) == {text: [text]}


@pytest.mark.parametrize(
    "name", ["simworkflow-task.schema.json", "simworkflow-workflow.schema.json"]
)
def test_schemas_are_valid_and_strict(name: str) -> None:
    """The shipped schema is valid JSON Schema and forbids unknown keys."""
    document = schema(name)
    assert jsonschema_rs.meta.is_valid(document)
    assert document["additionalProperties"] is False


def test_cli_export_and_import_round_trip(tmp_path: Path) -> None:
    """`connector export --full` then `connector import` writes the template back."""
    exported, imported = tmp_path / "task.json", tmp_path / "template.json"
    assert (
        main(
            [
                "export",
                "upsert-payout-request",
                "--engine",
                "simworkflow",
                "--full",
                "-o",
                str(exported),
            ]
        )
        == 0
    )
    assert main(["import", str(exported), "--engine", "simworkflow", "-o", str(imported)]) == 0
    template = json.loads(imported.read_text())
    shipped = json.loads((templates_dir() / "upsert-payout-request.json").read_text())
    assert parse_template(template, source="x") == parse_template(shipped, source="y")


def test_cli_export_reports_an_inexpressible_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export that cannot be written exits 2 and names the field."""
    data = _template(body={"a": "<<a | upper>>"}).template.to_json()
    path = tmp_path / "thing.json"
    path.write_text(json.dumps(data))
    assert main(["export", str(path), "--engine", "simworkflow"]) == 2
    assert "httpRequest.body.a" in capsys.readouterr().err


def test_cli_export_of_chosen_fields_keeps_the_required_ones_and_round_trips(
    tmp_path: Path,
) -> None:
    """`--fields` leaves the other body fields out (no nulls sent), and imports back as such."""
    exported, imported = tmp_path / "task.json", tmp_path / "template.json"
    argv = [
        "export",
        "upsert-payout-request",
        "--engine",
        "simworkflow",
        "--fields",
        "description, blocked",
        "-o",
        str(exported),
    ]
    assert main(argv) == 0
    body = json.loads(exported.read_text())["httpRequest"]["body"]
    assert sorted(body) == [
        "amount",
        "blocked",
        "currency",
        "customerId",
        "description",
        "websiteId",
    ]
    assert main(["import", str(exported), "--engine", "simworkflow", "-o", str(imported)]) == 0
    template = parse_template(json.loads(imported.read_text()), source="x")
    assert template.http_request.body == {key: f"<<{key}>>" for key in body}


@pytest.mark.parametrize(
    "fields",
    [pytest.param("descripton", id="typo"), pytest.param("description,nope", id="one-unknown")],
)
def test_cli_export_refuses_an_unknown_field(
    fields: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name that is not a body field fails the export and is named."""
    argv = ["export", "upsert-payout-request", "--engine", "simworkflow", "--fields", fields]
    assert main(argv) == 2
    assert "not a field of the body" in capsys.readouterr().err
