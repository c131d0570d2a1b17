"""Idempotency: the declaration in the template, the one retry rule, and the key per input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from connector import TemplateError
from connector._executor import Executor
from connector._idempotency import (
    derived_key,
    describe,
    kind,
    names_a_key,
    retry_allowed,
    with_key,
)
from connector._task import Task
from connector._template import TaskTemplate, parse_template
from tests._clock import FakeClock
from tests._scripted_server import Reply, ScriptedServer


def template(method: str = "POST", **extra: Any) -> TaskTemplate:
    """A small template; `keyed=True` adds an `Idempotency-Key` header input declared as key."""
    keyed = extra.pop("keyed", False)
    document: dict[str, Any] = {
        "name": "pay",
        "title": "pay",
        "servers": {"sandbox": "http://127.0.0.1:9/unused"},
        "httpRequest": {"url": "/payments", "method": method, "body": {"n": "<<n>>"}},
        "retry": {"intervalSeconds": 0, "maxAttempts": 3, "jitterSeconds": 0},
        **extra,
    }
    if keyed:
        header = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}
        document["parameters"] = {"key": header}
        document["idempotency"] = {"key": "key"}
    return parse_template(document, source="test")


@pytest.mark.parametrize(
    ("method", "extra", "allowed", "said"),
    [
        pytest.param("PUT", {}, True, "PUT is idempotent", id="put"),
        pytest.param("DELETE", {}, True, "DELETE is idempotent", id="delete"),
        pytest.param("GET", {}, True, "GET is idempotent", id="get"),
        pytest.param("POST", {}, False, "takes no idempotency key", id="post"),
        pytest.param("PATCH", {}, False, "PATCH is not idempotent", id="patch"),
        pytest.param("POST", {"keyed": True}, True, "keyed (header Idempotency-Key)", id="keyed"),
        pytest.param(
            "POST",
            {"retry": {"retryNonIdempotent": True}},
            True,
            "retryNonIdempotent",
            id="declared",
        ),
    ],
)
def test_retry_allowed_is_the_one_rule_with_its_reason(
    method: str, extra: dict[str, Any], allowed: bool, said: str
) -> None:
    """Idempotent methods and keyed steps may be repeated; an unkeyed POST/PATCH never is."""
    verdict = retry_allowed(template(method, **extra))
    assert verdict.allowed is allowed
    assert said in verdict.reason


def test_a_key_naming_no_input_is_a_template_error() -> None:
    """`idempotency.key` must name a parameter or a body placeholder of the template."""
    with pytest.raises(TemplateError) as raised:
        template(idempotency={"key": "nothing"})
    assert "idempotency.key" in str(raised.value)
    assert kind(template(idempotency={"key": "n"})) == "key"  # a body field


def test_the_format_schema_is_generated_with_idempotency() -> None:
    """The template format's JSON Schema carries the declaration (strict: unknown keys fail)."""
    schema = TaskTemplate.model_json_schema(by_alias=True)
    assert "idempotency" in schema["properties"]
    assert set(schema["$defs"]["Idempotency"]["properties"]) == {"key", "readBack"}
    with pytest.raises(TemplateError):
        template(idempotency={"key": "n", "retries": 2})


def test_with_key_fills_a_key_keeps_a_given_one_and_reuses_a_recorded_one() -> None:
    """A missing key is made (a UUID), an input's own key wins, a recorded key is reused."""
    keyed = template(keyed=True)
    made, key = with_key(keyed, {"n": 1}, None)
    assert made["key"] == key and uuid.UUID(str(key))
    assert with_key(keyed, {"n": 1}, "recorded") == ({"n": 1, "key": "recorded"}, "recorded")
    assert with_key(keyed, {"n": 1, "key": "mine"}, "recorded")[1] == "mine"
    assert with_key(template(), {"n": 1}, None) == ({"n": 1}, None)


def test_a_derived_key_is_the_same_for_the_same_parts_only() -> None:
    """An engine that replays its history makes the same key again."""
    assert derived_key("batch-1", "line 3") == derived_key("batch-1", "line 3")
    assert derived_key("batch-1", "line 3") != derived_key("batch-1", "line 4")


@pytest.mark.parametrize(
    ("name", "description", "found"),
    [
        pytest.param("Idempotency-Key", "", True, id="header"),
        pytest.param("X-Idempotency-Key", "", True, id="x-header"),
        pytest.param("idempotency_key", "", True, id="body-field"),
        pytest.param("requestToken", "Makes the request idempotent.", True, id="described"),
        pytest.param("X-Api-Key", "Your API key.", False, id="api-key"),
        pytest.param("reference", "Idempotent if repeated.", False, id="not-a-key-name"),
    ],
)
def test_the_importer_rule_recognises_key_fields(name: str, description: str, found: bool) -> None:
    """A field is a key by its name, or a `...Key`/`...Token` described as idempotency."""
    assert names_a_key(name, description) is found


def test_a_keyed_post_is_retried_with_the_same_key_which_is_not_redacted() -> None:
    """The executor makes one key and sends it on every attempt; a key is not a secret."""
    executor = Executor(clock=FakeClock(), environ={})
    with ScriptedServer(Reply(503), Reply(201, body={})) as server, executor:
        result = executor.run(Task(template(keyed=True)), {"n": 1}, base_url=server.url)
    keys = [received.headers["Idempotency-Key"] for received in server.received]
    assert result.status == "COMPLETED"
    assert len(keys) == 2 and keys[0] == keys[1]
    assert result.request is not None
    assert result.request.headers["Idempotency-Key"] == keys[0]


def test_describe_says_what_was_declared() -> None:
    """The importer prints this sentence per template."""
    read_back = {"readBack": {"url": "/payments/<<n>>"}}
    assert describe(template(keyed=True)) == "keyed by header Idempotency-Key"
    assert describe(template(idempotency=read_back)).endswith("read back by GET /payments/<<n>>")
    assert "never retried" in describe(template())


@pytest.mark.parametrize("name", ["Idempotency-Key", "X-Idempotency-Key", "idempotency_key"])
def test_a_key_field_is_never_taken_for_a_secret(name: str) -> None:
    """The importer's secret rule leaves key fields as inputs; the redactor leaves them shown."""
    from connector._credentials import Redactor, looks_secret

    assert names_a_key(name) and not looks_secret(name)
    assert Redactor().headers({name: "3f1c-key"}) == {name: "3f1c-key"}
