"""The task template format: strict models, loading, and every shipped template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connector import InputError, TemplateError, load_task, task_names
from connector._catalog import templates_dir
from connector._task import Task
from connector._template import TaskTemplate, load_template_file, parse_template

SHIPPED = sorted(templates_dir().glob("*.json"))


def _shipped_json() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        (templates_dir() / "upsert-payout-request.json").read_text()
    )
    return result


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_template_loads_renders_and_validates(path: Path) -> None:
    """Each shipped template loads strictly and renders its own first example: a valid input
    set, with the body (when the operation has one) encoded as it validated."""
    task = load_task(path.stem)
    assert task.template.name == path.stem
    assert task.template.operation is not None
    assert task.template.operation.api == "rebilly"
    request = task.prepare(task.template.examples[0], environ={})
    assert request.method == task.template.http_request.method
    assert request.url.startswith("https://api-sandbox.rebilly.com/organizations/")
    if task.template.body_schema is not None and request.body is not None:
        assert request.content is not None
        assert json.loads(request.content) == request.body


def test_shipped_template_names_are_listed() -> None:
    """task_names() lists exactly the shipped files."""
    assert task_names() == sorted(p.stem for p in SHIPPED)
    assert len(SHIPPED) == 31


def test_unknown_key_is_an_error_naming_key_and_file(tmp_path: Path) -> None:
    """A typo in a template is an error that names the key path and the file."""
    data = _shipped_json()
    data["httpRequest"]["bdy"] = {}
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(data))
    with pytest.raises(TemplateError) as caught:
        load_template_file(path)
    assert str(path) in str(caught.value)
    assert [(e.field, e.message) for e in caught.value.field_errors] == [
        ("httpRequest.bdy", "unknown key (did you mean 'body'?)")
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"retry": {"maxAttempts": 0}}, "retry.maxAttempts", id="zero-attempts"),
        pytest.param(
            {"connectionTimeoutSeconds": -1}, "connectionTimeoutSeconds", id="neg-timeout"
        ),
        pytest.param({"name": "Bad Name"}, "name", id="bad-name"),
        pytest.param(
            {"auth": [{"type": "basic", "header": "X", "env": "Y"}]},
            "auth.schemes.basic",
            id="auth",
        ),
    ],
)
def test_invalid_values_name_their_field(change: dict[str, Any], field: str) -> None:
    """Out-of-range values are reported at their field path."""
    with pytest.raises(TemplateError) as caught:
        parse_template({**_shipped_json(), **change}, source="t.json")
    assert field in [e.field for e in caught.value.field_errors]


def test_defaults_follow_the_engine_http_task() -> None:
    """Unset timeouts default to the engine's HTTP task defaults (5 s connect, 10 s read)."""
    data = _shipped_json()
    del data["connectionTimeoutSeconds"], data["readTimeoutSeconds"]
    template = parse_template(data, source="t.json")
    assert (template.connection_timeout_seconds, template.read_timeout_seconds) == (5, 10)


def test_an_invalid_body_schema_is_rejected() -> None:
    """bodySchema must itself be a valid JSON Schema."""
    with pytest.raises(TemplateError, match="bodySchema"):
        parse_template({**_shipped_json(), "bodySchema": {"type": "nonsense"}}, source="t.json")


def test_a_template_syntax_error_is_reported_at_load_with_its_field() -> None:
    """A broken placeholder fails when the template is loaded, naming the field."""
    data = _shipped_json()
    data["httpRequest"]["body"]["description"] = "<< description | >>"
    with pytest.raises(TemplateError) as caught:
        Task(parse_template(data, source="t.json"), source="t.json")
    assert caught.value.field_errors[0].field == "description"


def test_credentials_cannot_be_written_into_headers() -> None:
    """An auth header written into the template is refused: credentials are declared only."""
    data = _shipped_json()
    data["httpRequest"]["headers"]["REB-APIKEY"] = "sk_sandbox_literal"
    with pytest.raises(TemplateError) as caught:
        Task(parse_template(data, source="t.json"))
    assert "sk_sandbox_literal" not in str(caught.value)
    assert caught.value.field_errors[0].field == "httpRequest.headers.REB-APIKEY"


def test_round_trip_through_to_json_is_identity() -> None:
    """Writing a template back gives the document it was read from."""
    data = _shipped_json()
    assert TaskTemplate.model_validate(data).to_json() == data


def test_an_unknown_task_name_says_where_the_tasks_are() -> None:
    """Asking for a task that does not exist points to `connector list`, and a near miss is
    suggested by name."""
    with pytest.raises(TemplateError, match="connector list"):
        load_task("no-such-task")
    with pytest.raises(TemplateError, match="upsert-payout-request"):
        load_task("upsert-payout-requst")


def test_a_template_file_path_works_wherever_a_name_does(
    tmp_path: Path, minimal: dict[str, Any]
) -> None:
    """Third-party or imported templates load by path the same way."""
    data = _shipped_json()
    data["name"] = "my-copy"
    path = tmp_path / "my-copy.json"
    path.write_text(json.dumps(data))
    assert load_task(str(path)).prepare(minimal, environ={}).task == "my-copy"


# -- format 2 ----------------------------------------------------------------------------------

FORMAT_2: dict[str, Any] = {
    "name": "list-things",
    "title": "List things",
    "operation": {"api": "example", "operationId": "ListThings", "tags": ["things"]},
    "servers": {
        "sandbox": "https://sandbox.example.com/v1",
        "eu": {
            "url": "https://<<region>>.example.com/v1",
            "description": "regional",
            "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}},
        },
    },
    "parameters": {
        "thingId": {"in": "path", "required": True, "schema": {"type": "string"}},
        "expand": {"in": "query", "style": "form", "explode": False, "schema": {"type": "array"}},
        "filter": {"in": "query", "style": "deepObject", "allowReserved": True},
        "requestId": {"in": "header", "name": "X-Request-Id", "deprecated": True},
        "session": {"in": "cookie", "default": "anonymous"},
    },
    "env": ["EXAMPLE_REGION"],
    "httpRequest": {
        "url": "/things/<<thingId>>",
        "method": "POST",
        "contentType": "application/x-www-form-urlencoded",
        "body": {"tags": "<<tags>>"},
        "encoding": {"tags": {"style": "deepObject", "explode": True}},
    },
    "maxBodyBytes": 4096,
    "successStatusCodes": [200, "2XX"],
    "responses": {
        "200": {"description": "ok", "contentType": "application/json", "schema": {}},
        "4XX": {"description": "client error"},
        "default": {"description": "anything else"},
    },
    "examples": [{"thingId": "t-1"}],
}


def test_a_format_2_template_loads_and_round_trips() -> None:
    """Every format-2 section loads strictly and is written back as it was read."""
    template = parse_template(FORMAT_2, source="test")
    assert template.to_json() == FORMAT_2
    assert template.operation is not None and template.operation.tags == ["things"]
    assert template.parameters["requestId"].name == "X-Request-Id"
    assert template.parameters["filter"].allow_reserved is True
    assert template.http_request.encoding["tags"].style == "deepObject"
    assert template.env == ["EXAMPLE_REGION"]


def test_servers_may_be_a_url_or_an_object_with_variables() -> None:
    """`base_urls` gives each environment's URL; `server()` gives its variables."""
    template = parse_template(FORMAT_2, source="test")
    assert template.base_urls == {
        "sandbox": "https://sandbox.example.com/v1",
        "eu": "https://<<region>>.example.com/v1",
    }
    eu = template.server("eu")
    assert eu is not None and eu.variables["region"].enum == ["eu", "us"]
    sandbox = template.server("sandbox")
    assert sandbox is not None and sandbox.variables == {}
    assert template.server("nowhere") is None


@pytest.mark.parametrize(
    ("location", "style", "explode"),
    [
        pytest.param("path", "simple", False, id="path"),
        pytest.param("query", "form", True, id="query"),
        pytest.param("header", "simple", False, id="header"),
        pytest.param("cookie", "form", True, id="cookie"),
    ],
)
def test_parameter_style_and_explode_default_as_openapi_says(
    location: str, style: str, explode: bool
) -> None:
    """Without `style` and `explode`, a parameter uses OpenAPI's defaults for its location."""
    parameter = TaskTemplate.model_validate(
        {**FORMAT_2, "parameters": {"p": {"in": location}}}
    ).parameters["p"]
    assert (parameter.wire_style, parameter.wire_explode) == (style, explode)
    assert parameter.has_default is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"parameters": {"p": {"in": "body"}}}, "parameters.p.in", id="location"),
        pytest.param(
            {"parameters": {"p": {"in": "header", "style": "form"}}}, "parameters.p", id="style"
        ),
        pytest.param({"successStatusCodes": ["2xx"]}, "successStatusCodes.0", id="range-case"),
        pytest.param({"successStatusCodes": [700]}, "successStatusCodes.0", id="code"),
        pytest.param({"responses": {"2XY": {}}}, "", id="response-key"),
        pytest.param({"maxBodyBytes": -1}, "maxBodyBytes", id="max-body"),
        pytest.param(
            {
                "servers": {
                    "eu": {"url": "https://x", "variables": {"r": {"default": "x", "enum": []}}}
                }
            },
            "servers.eu",
            id="variable-default",
        ),
        pytest.param({"servers": {"eu": {"uri": "https://x"}}}, "servers.eu", id="server-key"),
    ],
)
def test_bad_format_2_values_name_their_field(change: dict[str, Any], field: str) -> None:
    """A bad parameter, status code, response key or server is an error naming where."""
    with pytest.raises(TemplateError) as caught:
        parse_template({**FORMAT_2, **change}, source="test")
    fields = [error.field for error in caught.value.field_errors]
    assert any(f.startswith(field) for f in fields), fields


def test_success_ranges_expand_and_responses_match_code_then_range_then_default() -> None:
    """`2XX` counts every 2xx code; a response is found by code, range, then default."""
    template = parse_template(FORMAT_2, source="test")
    assert template.success_codes() == frozenset(range(200, 300))
    assert template.response_for(200) is template.responses["200"]
    assert template.response_for(404) is template.responses["4XX"]
    assert template.response_for(503) is template.responses["default"]


def test_the_server_variable_default_and_enum_are_applied() -> None:
    """A server variable takes its default, and an input outside its enum is refused."""
    template = parse_template(
        {**FORMAT_2, "parameters": {"thingId": {"in": "path", "required": True}}}, source="t"
    )
    task = Task(template)
    assert task.prepare({"thingId": "a"}, environment="eu", environ={}).url.startswith(
        "https://eu.example.com/v1/things/a"
    )
    assert task.prepare({"thingId": "a", "region": "us"}, environment="eu", environ={}).url == (
        "https://us.example.com/v1/things/a"
    )
    with pytest.raises(InputError) as caught:
        task.prepare({"thingId": "a", "region": "evil.com/"}, environment="eu", environ={})
    assert [e.field for e in caught.value.field_errors] == ["region"]


def test_the_shipped_template_in_format_2_sends_what_it_sent_before() -> None:
    """Its Content-Type header still selects the JSON encoding; its example is the README's."""
    task = load_task("upsert-payout-request")
    example = json.loads(
        (Path(__file__).parents[1] / "examples/upsert-payout-request.json").read_text()
    )
    assert task.template.examples == [example]
    request = task.prepare(example, environ={})
    assert request.headers == {"Content-Type": "application/json", "Accept": "application/json"}
    assert request.content_type == "application/json"
    assert request.content is not None and json.loads(request.content) == request.body
