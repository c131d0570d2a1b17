"""Preparing a request: path parameters, inputs, environments and credentials."""

from __future__ import annotations

from typing import Any

import pytest

from connector import InputError, Task
from connector._credentials import REDACTED
from connector._errors import UsageError
from connector._template import parse_template

KEY = "sk_sandbox_TESTKEY123456"


def _errors(task: Task, inputs: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        task.prepare(inputs, environ=kwargs.pop("environ", {}), **kwargs)
    return {error.field: error.message for error in caught.value.field_errors}


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        pytest.param("po-1", "po-1", id="plain"),
        pytest.param("a.b~c_d@e", "a.b~c_d@e", id="all-allowed-punctuation"),
        pytest.param("x" * 50, "x" * 50, id="fifty-chars"),
    ],
)
def test_valid_ids_become_one_path_segment(
    task: Task, minimal: dict[str, Any], value: Any, encoded: str
) -> None:
    """An id that follows the rule lands in the path as exactly one segment."""
    request = task.prepare({**minimal, "id": value}, environ={})
    assert request.url.endswith(f"/organizations/org-1/payout-requests/{encoded}")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(".", id="dot"),
        pytest.param("..", id="dotdot"),
        pytest.param("../admin", id="traversal"),
        pytest.param("a/b", id="slash"),
        pytest.param("a?b=1", id="query"),
        pytest.param("a#frag", id="fragment"),
        pytest.param("a b", id="space"),
        pytest.param("%2e%2e", id="pre-encoded"),
        pytest.param("x" * 51, id="too-long"),
        pytest.param("", id="empty"),
        pytest.param("é", id="non-ascii"),
        pytest.param("a\r\nX-Injected: 1", id="crlf"),
        pytest.param("{{id}}", id="braces"),
        pytest.param(True, id="bool"),
        pytest.param(1.5, id="float"),
        pytest.param(None, id="null"),
    ],
)
def test_invalid_ids_are_rejected_and_nothing_is_built(
    task: Task, minimal: dict[str, Any], value: Any
) -> None:
    """A path value outside the id rule is an error naming `id`."""
    assert "id" in _errors(task, {**minimal, "id": value})


def test_the_organization_is_validated_like_an_id(task: Task, minimal: dict[str, Any]) -> None:
    """The organization id is a path segment too and follows the same rule."""
    assert "organizationId" in _errors(task, {**minimal, "organizationId": "../other-org"})


def test_the_organization_comes_from_the_environment(task: Task, minimal: dict[str, Any]) -> None:
    """Without an organizationId input, REBILLY_ORGANIZATION_ID is used."""
    del minimal["organizationId"]
    request = task.prepare(minimal, environ={"REBILLY_ORGANIZATION_ID": "org-env"})
    assert "/organizations/org-env/" in request.url


def test_a_missing_organization_names_the_input_and_the_variable(
    task: Task, minimal: dict[str, Any]
) -> None:
    """With neither input nor environment, the error says both ways to give it."""
    del minimal["organizationId"]
    assert (
        _errors(task, minimal)["organizationId"] == "is required (or set REBILLY_ORGANIZATION_ID)"
    )


@pytest.mark.parametrize(
    ("environment", "prefix"),
    [
        pytest.param(
            "sandbox", "https://api-sandbox.rebilly.com/organizations/org-1", id="sandbox"
        ),
        pytest.param("live", "https://api.rebilly.com/organizations/org-1", id="live"),
        pytest.param("local", "http://127.0.0.1:8765/organizations/org-1", id="local"),
    ],
)
def test_environments_choose_the_base_url(
    task: Task, minimal: dict[str, Any], environment: str, prefix: str
) -> None:
    """Each environment's base URL carries the organization as a path segment."""
    request = task.prepare(minimal, environment=environment, environ={})
    assert request.url == f"{prefix}/payout-requests/po-1"


def test_sandbox_is_the_default_and_live_warns(task: Task, minimal: dict[str, Any]) -> None:
    """The default never moves real money; choosing live says that it does."""
    assert task.prepare(minimal, environ={}).url.startswith("https://api-sandbox.")
    warnings = task.prepare(minimal, environment="live", environ={}).warnings
    assert any("real money" in warning for warning in warnings)


def test_base_url_replaces_the_part_before_the_path(task: Task, minimal: dict[str, Any]) -> None:
    """--base-url points anywhere; the organization is then not needed."""
    del minimal["organizationId"]
    request = task.prepare(minimal, base_url="http://127.0.0.1:9/x/", environ={})
    assert request.url == "http://127.0.0.1:9/x/payout-requests/po-1"


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("ftp://files.example.test", id="ftp"),
        pytest.param("not a url", id="text"),
        pytest.param("/relative", id="relative"),
    ],
)
def test_a_base_url_that_is_not_http_is_refused(
    task: Task, minimal: dict[str, Any], base_url: str
) -> None:
    """Only absolute http(s) base URLs are accepted."""
    assert "url" in _errors(task, minimal, base_url=base_url)


def test_an_unknown_environment_is_a_usage_error(task: Task, minimal: dict[str, Any]) -> None:
    """Asking for an environment the template does not define fails before anything is built."""
    with pytest.raises(UsageError, match="unknown environment"):
        task.prepare(minimal, environment="staging", environ={})


def test_unknown_inputs_are_errors_with_a_suggestion(task: Task, minimal: dict[str, Any]) -> None:
    """A misspelt optional field is not silently dropped."""
    assert _errors(task, {**minimal, "descripton": "x"})["descripton"] == (
        "unknown input parameter (did you mean 'description'?)"
    )


def test_engine_keys_in_the_input_are_ignored(task: Task, minimal: dict[str, Any]) -> None:
    """Keys the engine adds (`swf:*`) are neither errors nor sent; other unknown keys are."""
    request = task.prepare({**minimal, "swf:workflowId": "w-1"}, environ={})
    plain = task.prepare(minimal, environ={})
    assert (request.url, request.content, request.warnings) == (
        plain.url,
        plain.content,
        plain.warnings,
    )
    assert "swx:workflowId" in _errors(task, {**minimal, "swx:workflowId": "w-1"})


def test_the_input_must_be_an_object(task: Task) -> None:
    """A JSON array or scalar as task input is one clear error."""
    with pytest.raises(InputError, match="invalid input"):
        task.prepare([1, 2], environ={})  # type: ignore[arg-type]


def test_every_problem_is_reported_at_once(task: Task) -> None:
    """Path, required-field and type problems come back together."""
    errors = _errors(task, {"id": "..", "amount": "ten", "currency": "usd"})
    assert set(errors) == {"id", "organizationId", "amount", "currency", "websiteId", "customerId"}


def test_the_api_key_is_sent_but_never_shown(task: Task, minimal: dict[str, Any]) -> None:
    """REBILLY_API_KEY goes into REB-APIKEY on the wire; every shown form is redacted."""
    request = task.prepare(minimal, environ={"REBILLY_API_KEY": KEY})
    assert next(request.flow()).headers["REB-APIKEY"] == KEY
    shown = request.public()
    assert shown["headers"]["REB-APIKEY"] == REDACTED
    assert KEY not in repr(request) + str(shown) + repr(request.auth)


def test_a_jwt_becomes_a_bearer_header(task: Task, minimal: dict[str, Any]) -> None:
    """REBILLY_JWT is sent as `Authorization: Bearer …` and shown as `Bearer <redacted>`."""
    request = task.prepare(minimal, environ={"REBILLY_JWT": "eyJhbGciOi.payload.sig"})
    assert next(request.flow()).headers["Authorization"] == "Bearer eyJhbGciOi.payload.sig"
    assert request.public()["headers"]["Authorization"] == f"Bearer {REDACTED}"


def test_a_secret_typed_into_an_input_is_masked_in_the_dry_run(
    task: Task, minimal: dict[str, Any]
) -> None:
    """Redaction is by value too: a key pasted into a field never shows in the dry run."""
    request = task.prepare(
        {**minimal, "description": f"key {KEY}"}, environ={"REBILLY_API_KEY": KEY}
    )
    assert request.body["description"] == f"key {KEY}"
    assert request.public()["body"]["description"] == f"key {REDACTED}"


def test_no_credentials_is_a_warning_not_an_error(task: Task, minimal: dict[str, Any]) -> None:
    """A dry run works without credentials and says which variables to set."""
    warnings = task.prepare(minimal, environ={}).warnings
    assert "no credentials configured: set REBILLY_API_KEY or REBILLY_JWT" in warnings


def test_the_body_is_serialised_once_as_compact_utf8(task: Task, minimal: dict[str, Any]) -> None:
    """The wire body is compact JSON in UTF-8, non-ASCII kept."""
    request = task.prepare({**minimal, "description": "Zahlung für Müller"}, environ={})
    assert request.content is not None
    assert "für Müller".encode() in request.content
    assert b": " not in request.content


def test_the_input_schema_marks_required_and_read_only_fields(task: Task) -> None:
    """The derived input schema has the four required body fields plus the id."""
    schema = task.input_schema()
    assert sorted(schema["required"]) == ["amount", "currency", "customerId", "id", "websiteId"]
    assert schema["properties"]["status"]["readOnly"] is True
    assert schema["properties"]["organizationId"]["pattern"] == r"^[@~\-\.\w]+$"


def test_a_body_field_colliding_with_a_parameter_is_the_input_body_dot_name() -> None:
    """A query `limit` and a body `limit` are two inputs: `limit` and `body.limit`."""
    template = parse_template(
        {
            "name": "collide",
            "title": "Collide",
            "servers": {"sandbox": "https://api.example.com"},
            "parameters": {"limit": {"in": "query"}},
            "httpRequest": {"url": "/x", "method": "POST", "body": {"limit": "<<body.limit>>"}},
            "bodySchema": {"type": "object", "properties": {"limit": {"type": "integer"}}},
        },
        source="test",
    )
    task = Task(template)
    request = task.prepare({"limit": 5, "body.limit": 7}, environ={})
    assert request.url == "https://api.example.com/x?limit=5"
    assert request.body == {"limit": 7}
    assert "body.limit" in task.input_schema()["properties"]
    assert task.input_schema()["properties"]["body.limit"] == {"type": "integer"}


def test_a_number_for_a_string_path_value_is_refused(task: Task, minimal: dict[str, Any]) -> None:
    """`"id": 123` is not silently sent as 123: the schema says string, the error says how."""
    assert _errors(task, {**minimal, "id": 123})["id"] == 'must be a string: write "123"'
