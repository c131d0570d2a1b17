"""Query and header parameters and non-JSON bodies in both engine adapters: exported where the
engine can say them, refused with the field named where it cannot."""

from __future__ import annotations

from typing import Any

import pytest

from connector._errors import TemplateError
from connector._task import Task
from connector._template import parse_template
from connector.engines import ExportOptions, engine_names, export_task, import_task


def _task(parameters: dict[str, Any], **request: Any) -> Task:
    data = {
        "name": "search",
        "title": "Search",
        "servers": {"sandbox": "https://api.example.com"},
        "parameters": parameters,
        "httpRequest": {"url": "/items", "method": "GET", **request},
        "retry": {"maxAttempts": 3, "intervalSeconds": 1, "backoffRate": 2},  # all set, as
        "deadlineSeconds": 60,  # shipped templates do: the engines write them back as set
        "connectionTimeoutSeconds": 5,
        "readTimeoutSeconds": 10,
    }
    return Task(parse_template(data, source="test"))


def _request(document: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The URL and headers of the exported HTTP task, whichever engine wrote it."""
    if "workflowTask" in document:
        http = document["workflowTask"]["inputParameters"]["http_request"]
        return http["uri"], http["headers"]
    return document["httpRequest"]["url"], document["httpRequest"]["headers"]


PARAMETERS = {
    "q": {"in": "query", "required": True, "schema": {"type": "string"}},
    "page": {"in": "query", "schema": {"type": "integer"}},
    "tenant": {"in": "header", "name": "X-Tenant", "required": True},
}
REFERENCE = {"conductor": "${workflow.input.%s}", "simworkflow": "${%s}"}


@pytest.mark.parametrize("engine", engine_names())
def test_required_query_and_header_parameters_are_exported(engine: str) -> None:
    """Required ones are wired from the input; an optional one is left out, with a warning."""
    result = export_task(_task(PARAMETERS), engine)
    url, headers = _request(result.document)
    ref = REFERENCE[engine]
    assert url == f"https://api.example.com/items?q={ref % 'q'}"
    assert headers["X-Tenant"] == ref % "tenant"
    assert any(w.startswith("parameters.page: optional query") for w in result.warnings)


@pytest.mark.parametrize("engine", engine_names())
def test_parameters_survive_export_import_export(engine: str) -> None:
    """The full export imports back to the same parameters, not to text in the URL."""
    task = _task(PARAMETERS)
    first = export_task(task, engine, ExportOptions()).document
    imported = import_task(first, engine)
    assert imported.template.parameters == task.template.parameters
    assert imported.template.http_request.url == "/items"
    assert export_task(Task(imported.template), engine, imported.options).document == first


@pytest.mark.parametrize("engine", engine_names())
@pytest.mark.parametrize(
    ("parameter", "reason"),
    [
        pytest.param({"in": "cookie", "required": True}, "cookie", id="cookie"),
        pytest.param(
            {"in": "query", "required": True, "schema": {"type": "array"}}, "array", id="array"
        ),
        pytest.param(
            {"in": "query", "required": True, "style": "deepObject", "schema": {"type": "object"}},
            "deepObject",
            id="deep-object",
        ),
        pytest.param(
            {"in": "query", "required": True, "explode": False}, "style form", id="no-explode"
        ),
    ],
)
def test_parameters_the_engine_cannot_write_are_refused(
    engine: str, parameter: dict[str, Any], reason: str
) -> None:
    """Refused, naming `parameters.NAME` and why, rather than sending something else."""
    with pytest.raises(TemplateError) as caught:
        export_task(_task({"x": parameter}), engine)
    error = caught.value.field_errors[0]
    assert error.field == "parameters.x"
    assert reason in error.message


@pytest.mark.parametrize("engine", engine_names())
@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"]
)
def test_non_json_bodies_are_refused(engine: str, content_type: str) -> None:
    """The engines' HTTP tasks send JSON: a form, multipart or text body names contentType."""
    task = _task({}, method="POST", contentType=content_type, body={"a": "<<a>>"})
    with pytest.raises(TemplateError) as caught:
        export_task(task, engine)
    error = caught.value.field_errors[0]
    assert error.field == "httpRequest.contentType"
    assert content_type in error.message
