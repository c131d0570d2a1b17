"""Runtime expressions, simple conditions and criteria, from the Arazzo specification's own
examples (1.1.0, "Runtime Expressions" and "Criterion Object"), written byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from connector.arazzo._conditions import ConditionError, compile_condition
from connector.arazzo._criteria import CriterionError, check_criterion, holds
from connector.arazzo._expressions import (
    Exchange,
    ExpressionError,
    Scope,
    UnresolvedError,
    evaluate,
    parse,
    resolve_value,
)
from connector.arazzo._model import Criterion

EXCHANGE = Exchange(
    url="https://petstore.example/pets/7",
    method="GET",
    status_code=200,
    request_headers={"Accept": "application/json"},
    path={"id": "7"},
    request_body={"user": {"uuid": "u-1"}},
    response_headers={"Server": "emulator", "X-Rate-Limit": "5"},
    response_body={
        "status": "available",
        "items": [{"id": 41}],
        "count": 3,
        "data": [1],
        "pets": [{"name": "doggie"}],
    },
)
SCOPE = Scope(
    inputs={"username": "ada", "threshold": 2, "expectedStatus": "available", "host": "h.example"},
    steps={"someStepId": {"pets": [{"id": 9}]}, "create": {"id": "c-1"}},
    workflows={
        "foo": {
            "inputs": {"username": "bob"},
            "outputs": {"bar": 1, "mappedResponse": {"name": "n"}},
        }
    },
    outputs={"bar": 2},
    exchange=EXCHANGE,
    sources={"petstore": {"url": "./petstore.yaml"}},
    components={"parameters": {"foo": {"name": "foo", "value": 1}}},
    self_uri="https://example.com/arazzo.yaml",
)

# the "Examples" table of the Runtime Expressions section, each with the value it reads here
EXPRESSIONS = [
    ("$method", "GET"),
    ("$request.header.accept", "application/json"),
    ("$request.path.id", "7"),
    ("$request.body#/user/uuid", "u-1"),
    ("$url", "https://petstore.example/pets/7"),
    ("$response.body#/status", "available"),
    ("$response.body#/items/0/id", 41),
    ("$response.header.Server", "emulator"),
    ("$self", "https://example.com/arazzo.yaml"),
    ("$inputs.username", "ada"),
    ("$workflows.foo.inputs.username", "bob"),
    ("$steps.someStepId.outputs.pets", [{"id": 9}]),
    ("$steps.someStepId.outputs.pets#/0/id", 9),
    ("$outputs.bar", 2),
    ("$workflows.foo.outputs.bar", 1),
    ("$workflows.foo.outputs.mappedResponse#/name", "n"),
    ("$sourceDescriptions.petstore.url", "./petstore.yaml"),
    ("$components.parameters.foo", {"name": "foo", "value": 1}),
    ("$statusCode", 200),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, v, id=t) for t, v in EXPRESSIONS])
def test_spec_expression_reads_its_value(text: str, expected: Any) -> None:
    """Each example expression of the specification parses and reads the value it names."""
    assert evaluate(parse(text), SCOPE) == expected


def test_embedded_expressions_are_written_into_the_string() -> None:
    """The specification's embedded example writes each `{$…}` into the text."""
    text = "https://{$inputs.host}/api/{$steps.create.outputs.id}/status"
    assert resolve_value(text, SCOPE) == "https://h.example/api/c-1/status"


def test_a_whole_expression_keeps_its_json_type() -> None:
    """A value that is one expression gives the value itself, not its text."""
    assert resolve_value({"n": "$response.body#/count", "l": ["$inputs.threshold"]}, SCOPE) == {
        "n": 3,
        "l": [2],
    }


@pytest.mark.parametrize(
    "text",
    [
        "$steps.a b.outputs.x",
        "$inputs.",
        "$response.bodyx",
        "$steps.a.output.x",
        "$components.other.x",
    ],
)
def test_malformed_expression_is_refused(text: str) -> None:
    """A string that starts like an expression but breaks the grammar is an ExpressionError."""
    with pytest.raises(ExpressionError):
        parse(text)


def test_missing_value_is_unresolved_naming_it() -> None:
    """An expression naming what the run does not hold says which part is missing."""
    with pytest.raises(UnresolvedError, match="'nope'"):
        evaluate(parse("$steps.create.outputs.nope"), SCOPE)


# the Criterion Object section's examples (simple, regex, JSONPath), with the outcome here
CRITERIA = [
    ({"condition": "$statusCode == 200"}, True),
    ({"condition": "$response.body.count > $inputs.threshold"}, True),
    ({"condition": "$statusCode == 200 && $response.body.data != null"}, True),
    ({"context": "$statusCode", "condition": "^200$", "type": "regex"}, True),
    ({"context": "$statusCode", "condition": r"^2\d{2}$", "type": "regex"}, True),
    ({"context": "$response.body", "condition": "$.pets[*]", "type": "jsonpath"}, True),
    (
        {"context": "$response.body", "condition": "$[?count(@.pets) > 0]", "type": "jsonpath"},
        False,
    ),
    (
        {
            "context": "$response.body",
            "condition": '$[?(@.status == "{$inputs.expectedStatus}")]',
            "type": "jsonpath",
        },
        False,
    ),
    (
        {
            "context": "$response.body.status",
            "condition": "^({$inputs.expectedStatus})$",
            "type": "regex",
        },
        True,
    ),
    ({"condition": "$response.body#/status == 'AVAILABLE'"}, True),
    ({"condition": "$response.body#/count == '3'"}, True),
    ({"condition": "$response.body#/missing == null"}, False),
    ({"condition": "null == null"}, True),
    ({"condition": "!($statusCode == 404) || false"}, True),
    ({"condition": "'it''s' == 'IT''S'"}, True),
]


@pytest.mark.parametrize(
    ("criterion", "expected"), [pytest.param(c, e, id=c["condition"]) for c, e in CRITERIA]
)
def test_spec_criterion_passes_or_fails(criterion: dict[str, Any], expected: bool) -> None:
    """Each criterion evaluates as the specification's rules say (RFC 9535 for JSONPath: a
    filter at `$` tests the root's children, so `$[?count(@.pets) > 0]` on an object fails)."""
    assert holds(Criterion.model_validate(criterion), SCOPE)[0] is expected


def test_jsonpath_filter_on_an_array_body_matches_its_members() -> None:
    """`$[?count(@.pets) > 0]` passes on an array whose member has pets (RFC 9535)."""
    scope = Scope(exchange=Exchange(status_code=200, response_body=[{"pets": [1]}]))
    criterion = Criterion(
        context="$response.body", condition="$[?count(@.pets) > 0]", type="jsonpath"
    )
    assert holds(criterion, scope) == (True, "")


def test_xpath_is_refused_with_its_reason() -> None:
    """An xpath criterion is refused when the document is checked, saying why."""
    with pytest.raises(CriterionError, match="xpath conditions are not supported"):
        check_criterion(Criterion(context="$response.body", condition="/root", type="xpath"))


@pytest.mark.parametrize(
    "text", ["$statusCode ==", "($statusCode == 200", "$statusCode = 200", "a == b"]
)
def test_malformed_simple_condition_is_refused(text: str) -> None:
    """A simple condition outside the grammar is a ConditionError before anything runs."""
    with pytest.raises(ConditionError):
        compile_condition(text)


def test_unresolvable_condition_fails_and_says_why() -> None:
    """A criterion that cannot be evaluated fails (it never raises), with the reason."""
    passed, why = holds(
        Criterion(context="$steps.x.outputs.y", condition="^a$", type="regex"), SCOPE
    )
    assert not passed
    assert "'x' is not there" in why


def test_a_catastrophic_regex_fails_the_criterion_instead_of_hanging() -> None:
    """A backtracking pattern from a hostile document is bounded: it fails, saying why, or
    matches at once; it never hangs the run."""
    scope = Scope(exchange=Exchange(status_code=200, response_body="a" * 5000 + "!"))
    criterion = Criterion(context="$response.body", condition=r"^(\w+\s?)*$", type="regex")
    passed, why = holds(criterion, scope)
    assert not passed
    assert why
