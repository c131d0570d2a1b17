"""Rendering placeholders: the sandbox, the delimiters, types kept, text that is not ours."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector import InputError, Task, TemplateError
from connector._render import ENVIRONMENT, MISSING, compile_leaf, has_logic
from connector._template import parse_template


def _task(body: Any, schema: dict[str, Any] | None = None) -> Task:
    """A small template whose body is `body`, sent to a fixed base URL."""
    return Task(
        parse_template(
            {
                "name": "t",
                "title": "T",
                "servers": {"sandbox": "https://api.example.test/v1"},
                "httpRequest": {"url": "/things", "method": "PUT", "body": body},
                "bodySchema": schema,
            },
            source="t.json",
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{{id}}", id="rebilly-placeholder"),
        pytest.param("https://x.test/done/{{id}}?a=1", id="rebilly-in-url"),
        pytest.param("{# not a comment #}", id="jinja-comment"),
        pytest.param("{% raw %}x{% endraw %}", id="jinja-block"),
        pytest.param("${workflow.input.amount}", id="engine-expression"),
        pytest.param("$${literal}", id="engine-escape"),
        pytest.param("line\n", id="trailing-newline"),
        pytest.param("{{ 7*7 }}", id="ssti-curly"),
    ],
)
def test_text_that_is_not_ours_travels_verbatim_in_templates(text: str) -> None:
    """Template text outside `<< >>` is sent byte for byte, with or without a placeholder."""
    body = _task({"a": text, "b": text + "<<x>>"}).prepare({"x": "!"}, environ={}).body
    assert body == {"a": text, "b": text + "!"}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("<<x>>", id="our-placeholder"),
        pytest.param("{{7*7}}", id="curly"),
        pytest.param("{% for a in b %}", id="block"),
        pytest.param("<% if 1 %>", id="our-block"),
        pytest.param("<# c #>", id="our-comment"),
        pytest.param("${workflow.secrets.KEY}", id="engine"),
        pytest.param('"quoted" \\ back\nslash', id="json-specials"),
    ],
)
def test_input_values_are_data_never_rendered_again(value: str) -> None:
    """An input value that looks like a template is sent as typed, alone or inside text."""
    body = _task({"a": "<<x>>", "b": "pre <<x>> post"}).prepare({"x": value}, environ={}).body
    assert body == {"a": value, "b": f"pre {value} post"}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(12.5, id="number"),
        pytest.param(0, id="zero"),
        pytest.param(True, id="bool"),
        pytest.param(None, id="null"),
        pytest.param("478", id="numeric-string-stays-string"),
        pytest.param({"nested": [1, {"k": "v"}]}, id="object"),
        pytest.param([1, "two"], id="array"),
    ],
)
def test_a_leaf_that_is_one_placeholder_keeps_the_json_type(value: Any) -> None:
    """`"<<x>>"` becomes the input value itself, not its text."""
    assert _task({"a": "<<x>>"}).prepare({"x": value}, environ={}).body == {"a": value}


def test_an_expression_leaf_keeps_its_native_type() -> None:
    """A single expression with a filter returns a native value too."""
    task = _task({"a": "<< x | round(1) >>", "b": "<< x | default(3) >>"})
    assert task.prepare({"x": 2.26}, environ={}).body == {"a": 2.3, "b": 2.26}


def test_a_missing_input_leaves_its_field_out_instead_of_null() -> None:
    """Inputs not given are not sent as null: the body field is absent."""
    assert _task({"a": "<<a>>", "b": "<<b>>"}).prepare({"a": 1}, environ={}).body == {"a": 1}


def test_a_missing_input_inside_text_is_an_error_naming_field_and_variable() -> None:
    """Text needing an input that is not given fails with the field path and the variable."""
    with pytest.raises(InputError) as caught:
        _task({"outer": {"note": "id <<ref>>"}}).prepare({}, environ={})
    error = caught.value.field_errors[0]
    assert (error.field, error.message) == ("outer.note", "input 'ref' is not given")


def test_the_sandbox_has_no_globals() -> None:
    """range(), lipsum(), cycler() and friends are not available to templates."""
    assert ENVIRONMENT.globals == {}
    with pytest.raises(InputError) as caught:
        _task({"a": "<< range(10**9) | list >>"}).prepare({}, environ={})
    assert caught.value.field_errors[0].field == "a"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("<< x.__class__ >>", id="native"),
        pytest.param("a << x.__class__ >>", id="text"),
        pytest.param("<< x.upper.__globals__ >>", id="globals"),
        pytest.param("<< x.__class__.__mro__ >>", id="mro"),
    ],
)
def test_the_sandbox_blocks_attribute_escapes(text: str) -> None:
    """Dunder access is refused by the sandbox and reported at its field, never dropped."""
    with pytest.raises(InputError) as caught:
        _task({"a": text}).prepare({"x": "s"}, environ={})
    error = caught.value.field_errors[0]
    assert (error.field, "sandbox" in error.message) == ("a", True)


def test_all_three_delimiter_pairs_are_changed() -> None:
    """Variables are << >>, blocks <% %>, comments <# #>; jinja's defaults are plain text."""
    assert (ENVIRONMENT.variable_start_string, ENVIRONMENT.variable_end_string) == ("<<", ">>")
    assert (ENVIRONMENT.block_start_string, ENVIRONMENT.block_end_string) == ("<%", "%>")
    assert (ENVIRONMENT.comment_start_string, ENVIRONMENT.comment_end_string) == ("<#", "#>")
    leaf = compile_leaf("<% if x %>yes<% endif %><# hidden #>{# shown #}", "p")
    assert leaf.render({"x": True}) == "yes{# shown #}"


def test_errors_never_print_the_render_context() -> None:
    """A failing leaf names its field and variable but not the other inputs' values."""
    with pytest.raises(InputError) as caught:
        _task({"a": "<< secret_holder >> <<missing>>"}).prepare(
            {"secret_holder": "sk_live_DO_NOT_PRINT"}, environ={}
        )
    assert "sk_live_DO_NOT_PRINT" not in str(caught.value)
    assert "missing" in str(caught.value)


def test_a_plain_leaf_is_a_constant_and_a_simple_leaf_a_lookup() -> None:
    """Compilation picks the cheapest form for each leaf."""
    assert compile_leaf("plain", "p").is_constant
    simple = compile_leaf("<< name >>", "p")
    assert simple.simple == "name"
    assert simple.render({}) is MISSING


@pytest.mark.parametrize(
    ("text", "logic"),
    [
        pytest.param("<<a>>/<<b>>", False, id="names"),
        pytest.param("<<a|upper>>", True, id="filter"),
        pytest.param("<<a + 1>>", True, id="arithmetic"),
        pytest.param("<% if a %>x<% endif %>", True, id="block"),
    ],
)
def test_has_logic_tells_plain_substitution_from_expressions(text: str, logic: bool) -> None:
    """Engines can express plain substitutions only; has_logic finds the rest."""
    assert has_logic(text) is logic


def test_an_unparseable_placeholder_fails_at_load() -> None:
    """Syntax errors surface when the template is compiled, not when a request is made."""
    with pytest.raises(TemplateError):
        _task({"a": "<< 1 + >>"})


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_strings_come_out_byte_identical(value: str) -> None:
    """Any string input is sent unchanged, alone or inside template text."""
    task = _task({"a": "<<x>>", "b": "[<<x>>]"})
    request = task.prepare({"x": value}, environ={})
    assert request.body == {"a": value, "b": f"[{value}]"}
    assert json.loads(request.content or b"") == {"a": value, "b": f"[{value}]"}


@settings(max_examples=200, deadline=None)
@given(st.text().filter(lambda s: "<<" not in s and "<%" not in s and "<#" not in s))
def test_arbitrary_template_text_without_our_delimiters_is_verbatim(text: str) -> None:
    """Template text that has none of our delimiters is never changed."""
    assert _task({"a": text}).prepare({}, environ={}).body == {"a": text}


def test_a_body_field_named_like_a_parameter_reads_the_flat_key_body_dot_name() -> None:
    """`<<body.NAME>>` reads the input key "body.NAME" whole or inside text, never `body`."""
    whole = compile_leaf("<<body.amount>>", "amount")
    assert (whole.simple, whole.variables) == ("body.amount", frozenset({"body.amount"}))
    assert whole.render({"body.amount": 12.5, "amount": 1}) == 12.5
    text = compile_leaf("pay <<body.amount>> to <<id>>", "note")
    assert text.variables == frozenset({"body.amount", "id"})
    assert text.render({"body.amount": 3, "id": "x"}) == "pay 3 to x"
