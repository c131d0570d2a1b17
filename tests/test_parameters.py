"""Parameter serialisation: OpenAPI 3.1.1's style examples byte for byte, and the wire rules."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses

from connector import Executor, InputError
from connector._parameters import bracket_pairs, encode, header_text, serialise
from connector._task import Task
from connector._template import parse_template

STRING = "blue"
ARRAY = ["blue", "black", "brown"]
OBJECT = {"R": 100, "G": 200, "B": 150}

# The "Style Examples" table of OpenAPI 3.1.1 (section 4.8.12.4), one row per style and
# explode. The query rows are written there with the `?` that starts a query string; the
# `undefined` column is what RFC 6570 writes for an empty value, so it is tested with "".
# Combinations the table marks n/a are left out here (and written as form would write them).
STYLE_TABLE = [
    pytest.param("matrix", False, ";color", ";color=blue", ";color=blue,black,brown",
                 ";color=R,100,G,200,B,150", id="matrix"),
    pytest.param("matrix", True, ";color", ";color=blue", ";color=blue;color=black;color=brown",
                 ";R=100;G=200;B=150", id="matrix-explode"),
    pytest.param("label", False, ".", ".blue", ".blue,black,brown", ".R,100,G,200,B,150",
                 id="label"),
    pytest.param("label", True, ".", ".blue", ".blue.black.brown", ".R=100.G=200.B=150",
                 id="label-explode"),
    pytest.param("simple", False, "", "blue", "blue,black,brown", "R,100,G,200,B,150",
                 id="simple"),
    pytest.param("simple", True, "", "blue", "blue,black,brown", "R=100,G=200,B=150",
                 id="simple-explode"),
    pytest.param("form", False, "?color=", "?color=blue", "?color=blue,black,brown",
                 "?color=R,100,G,200,B,150", id="form"),
    pytest.param("form", True, "?color=", "?color=blue", "?color=blue&color=black&color=brown",
                 "?R=100&G=200&B=150", id="form-explode"),
    pytest.param("spaceDelimited", False, None, None, "?color=blue%20black%20brown",
                 "?color=R%20100%20G%20200%20B%20150", id="spaceDelimited"),
    pytest.param("pipeDelimited", False, None, None, "?color=blue%7Cblack%7Cbrown",
                 "?color=R%7C100%7CG%7C200%7CB%7C150", id="pipeDelimited"),
    pytest.param("deepObject", True, None, None, None,
                 "?color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150", id="deepObject"),
]  # fmt: skip

QUERY_STYLES = {"form", "spaceDelimited", "pipeDelimited", "deepObject"}


@pytest.mark.parametrize(("style", "explode", "undefined", "string", "array", "obj"), STYLE_TABLE)
def test_the_openapi_style_examples_byte_for_byte(
    style: str,
    explode: bool,
    undefined: str | None,
    string: str | None,
    array: str | None,
    obj: str,
) -> None:
    """Each defined cell of the table is what `serialise` writes for `color`."""
    prefix = "?" if style in QUERY_STYLES else ""
    for value, expected in (("", undefined), (STRING, string), (ARRAY, array), (OBJECT, obj)):
        if expected is not None:
            assert prefix + serialise(style, explode, "color", value) == expected


@pytest.mark.parametrize(
    ("style", "where"),
    [
        pytest.param("simple", "path", id="path-simple"),
        pytest.param("label", "path", id="path-label"),
        pytest.param("matrix", "path", id="path-matrix"),
        pytest.param("form", "query", id="query-form"),
        pytest.param("spaceDelimited", "query", id="query-space"),
        pytest.param("pipeDelimited", "query", id="query-pipe"),
        pytest.param("deepObject", "query", id="query-deep"),
    ],
)
def test_the_table_holds_through_a_template(style: str, where: str) -> None:
    """A template parameter with the style puts the table's text in the URL sent."""
    explode = style == "deepObject"
    url = "/colors/<<color>>" if where == "path" else "/colors"
    task = _task({"color": {"in": where, "style": style, "explode": explode}}, url=url)
    request = task.prepare({"color": OBJECT}, environ={})
    expected = serialise(style, explode, "color", OBJECT)
    separator = "/" if where == "path" else "?"
    assert request.url == f"https://api.example.com/v1/colors{separator}{expected}"


@pytest.mark.parametrize(
    ("value", "allow_reserved", "expected"),
    [
        pytest.param(["a,b", "x&y", "100%", "สี"], False,
                     "color=a%2Cb,x%26y,100%25,%E0%B8%AA%E0%B8%B5", id="delimiters-in-items"),
        pytest.param("a/b?x=y#z", False, "color=a%2Fb%3Fx%3Dy%23z", id="reserved-encoded"),
        pytest.param("a/b?x:y@z", True, "color=a/b?x:y@z", id="allow-reserved"),
        pytest.param("a=b&c#d[e]+", True, "color=a%3Db%26c%23d%5Be%5D%2B",
                     id="allow-reserved-still-encodes-query-delimiters"),
        pytest.param("50%25 off", True, "color=50%25%20off", id="allow-reserved-keeps-triples"),
        pytest.param(True, False, "color=true", id="boolean-as-json"),
        pytest.param(0, False, "color=0", id="zero"),
        pytest.param(1.5, False, "color=1.5", id="number"),
    ],
)  # fmt: skip
def test_values_are_percent_encoded_and_allow_reserved_is_honoured(
    value: Any, allow_reserved: bool, expected: str
) -> None:
    """Delimiters inside values are encoded; allowReserved keeps only what cannot split."""
    explode = False
    assert serialise("form", explode, "color", value, allow_reserved=allow_reserved) == expected


def test_deep_object_nests_with_encoded_brackets() -> None:
    """Nested objects and arrays in deepObject become `a%5Bb%5D%5B0%5D`."""
    value = {"a]&b": "x=y#z", "n": {"k": ["v"]}}
    assert serialise("deepObject", True, "f", value) == (
        "f%5Ba%5D%26b%5D=x%3Dy%23z&f%5Bn%5D%5Bk%5D%5B0%5D=v"
    )
    pairs = bracket_pairs({"a": [1, 2], "e": {}}, index_arrays=False)
    assert list(pairs) == [("[a][]", 1), ("[a][]", 2)]


def test_header_values_are_joined_as_simple_but_not_encoded() -> None:
    """A header parameter keeps its text; arrays and objects are joined as style simple."""
    assert header_text(False, ARRAY) == "blue,black,brown"
    assert header_text(True, OBJECT) == "R=100,G=200,B=150"
    assert header_text(False, "a b/c") == "a b/c"
    assert encode("a b/c") == "a%20b%2Fc"


PARAMETERS: dict[str, Any] = {
    "id": {"in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z]+$"}},
    "expand": {"in": "query", "explode": False, "schema": {"type": "array"}},
    "limit": {"in": "query", "schema": {"type": "integer", "maximum": 100}, "default": 10},
    "search": {"in": "query", "name": "q"},
    "requestId": {"in": "header", "name": "X-Request-Id"},
    "session": {"in": "cookie", "name": "sid", "required": True},
    "theme": {"in": "cookie"},
    "old": {"in": "query", "deprecated": True},
}


def _task(parameters: dict[str, Any], *, url: str = "/things/<<id>>") -> Task:
    return Task(
        parse_template(
            {
                "name": "things",
                "title": "Things",
                "servers": {"sandbox": "https://api.example.com/v1"},
                "parameters": parameters,
                "env": sorted({p["env"] for p in parameters.values() if "env" in p}),
                "httpRequest": {"url": url, "method": "GET"},
            },
            source="test",
        )
    )


def test_query_header_and_cookie_parameters_go_where_in_says() -> None:
    """Query parameters join the URL, header ones the headers, cookies one Cookie header."""
    request = _task(PARAMETERS).prepare(
        {"id": "abc", "expand": ["a", "b"], "search": "x y", "requestId": "r-1",
         "session": "s1", "theme": "dark"},
        environ={},
    )  # fmt: skip
    assert request.url == "https://api.example.com/v1/things/abc?expand=a,b&limit=10&q=x%20y"
    assert request.headers["X-Request-Id"] == "r-1"
    assert request.headers["Cookie"] == "sid=s1; theme=dark"


def test_absent_optional_parameters_are_left_out_never_sent_empty() -> None:
    """Only given, defaulted or required parameters are sent; nothing is sent as `name=`."""
    request = _task(PARAMETERS).prepare({"id": "abc", "session": "s", "search": None}, environ={})
    assert request.url == "https://api.example.com/v1/things/abc?limit=10"
    assert "X-Request-Id" not in request.headers
    assert request.headers["Cookie"] == "sid=s"


def test_every_parameter_problem_is_reported_at_once_by_name() -> None:
    """A missing required cookie, a bad query value and a bad path id are all named."""
    with pytest.raises(InputError) as caught:
        _task(PARAMETERS).prepare({"id": "ABC", "limit": 500, "requestId": "a\nb"}, environ={})
    fields = sorted(error.field for error in caught.value.field_errors)
    assert fields == ["id", "limit", "requestId", "session"]


def test_a_parameter_reads_its_environment_variable_when_not_given() -> None:
    """A parameter's `env` fills it in when the input leaves it out."""
    task = _task({**PARAMETERS, "session": {"in": "cookie", "name": "sid", "env": "SID"}})
    request = task.prepare({"id": "abc"}, environ={"SID": "from-env"})
    assert request.headers["Cookie"] == "sid=from-env"


def test_a_deprecated_parameter_that_is_given_is_a_warning() -> None:
    """Using a deprecated parameter works and says so."""
    request = _task(PARAMETERS).prepare({"id": "abc", "session": "s", "old": 1}, environ={})
    assert "old: deprecated parameter" in request.warnings


def test_a_label_path_parameter_is_checked_by_its_schema() -> None:
    """A non-simple path value is validated against its schema before it is styled."""
    task = _task(
        {"id": {"in": "path", "style": "label", "schema": {"type": "array", "maxItems": 2}}}
    )
    assert task.prepare({"id": ["a", "b"]}, environ={}).url.endswith("/things/.a,b")
    with pytest.raises(InputError) as caught:
        task.prepare({"id": ["a", "b", "c"]}, environ={})
    assert [error.field for error in caught.value.field_errors] == ["id"]


@responses.activate
def test_the_query_string_and_headers_are_what_is_sent() -> None:
    """The executor sends the URL and headers the parameters built."""
    responses.get("https://api.example.com/v1/things/abc", json={}, status=200)
    with Executor(requests.Session(), environ={}) as executor:
        result = executor.run(
            _task(PARAMETERS), {"id": "abc", "session": "s", "requestId": "r"},
            environment="sandbox",
        )  # fmt: skip
    assert result.status == "COMPLETED", result.error
    sent = responses.calls[0].request
    assert sent.url == "https://api.example.com/v1/things/abc?limit=10"
    assert sent.headers["X-Request-Id"] == "r"
    assert sent.headers["Cookie"] == "sid=s"
