"""Templates that cost too much: each one compiles and renders in bounded time and memory, and
an excess is a render error naming the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connector import InputError, RenderError, Task, TaskTemplate
from connector._render import compile_leaf

FIELD = "body.description"

COSTLY = [
    pytest.param("<< 7**10000000000 >>", {}, "power", id="power-folded-at-compile-time"),
    pytest.param("<< 'a' * 10**9 >>", {}, "1,000,000,000 characters", id="string-times-huge"),
    pytest.param("<< x ** y >>", {"x": 9, "y": 100_000_000}, "power", id="power-of-inputs"),
    pytest.param("<< 10**4301 >>", {}, "power", id="past-the-int-digit-limit"),
    pytest.param("<< [1] * 10**9 >>", {}, "characters", id="list-times-huge"),
    pytest.param("<< x * x >>", {"x": 2**4000}, "product", id="huge-product"),
    pytest.param("<< 'a'.center(10**9) >>", {}, "characters", id="str-center-method"),
    pytest.param("<< 'a'|center(1000000000) >>", {}, "characters", id="center-filter"),
    pytest.param("<< x|indent(1000000) >>", {"x": "\n" * 1000}, "characters", id="indent"),
    pytest.param("<< x|replace('', y) >>", {"x": "a" * 999, "y": "b" * 9999}, "chara", id="repl"),
    pytest.param("<< '{:>999999999}'.format(1) >>", {}, "str.format", id="str-format"),
    pytest.param("<< '%999999999d' % 1 >>", {}, "width", id="printf-width"),
    pytest.param("<< '%*d' % (999999999, 1) >>", {}, "width", id="printf-star-width"),
    pytest.param("<< (1).to_bytes(10**9, 'big') >>", {}, "to_bytes", id="int-to-bytes"),
    pytest.param("<< x ~ x ~ x >>", {"x": "a" * 500_000}, "characters", id="concat"),
    pytest.param("<< [[1]]|sum(start=[]) >>", {}, "numbers", id="sum-of-lists"),
    pytest.param("<< (7|slice(y))|list >>", {"y": 136_555}, "parts", id="slice-found"),
    pytest.param(
        "<% for a in x %><% for b in x %><% endfor %><% endfor %>",
        {"x": list(range(10_000))},
        "iterations",
        id="nested-loops",
    ),
    pytest.param("<< x >>" * 3, {"x": "a" * 400_000}, "characters", id="text-output"),
    pytest.param(
        "<% for a in x %><< y >><% endfor %>",
        {"x": list(range(1000)), "y": "a" * 10_000},
        "characters",
        id="loop-output",
    ),
]


@pytest.mark.parametrize(("text", "context", "says"), COSTLY)
def test_a_costly_leaf_is_a_render_error_naming_the_field(
    text: str, context: dict[str, Any], says: str
) -> None:
    """The leaf compiles at once, and rendering it is refused before the value is built."""
    leaf = compile_leaf(text, FIELD)
    with pytest.raises(RenderError) as caught:
        leaf.render(context)
    [error] = caught.value.field_errors
    assert error.field == FIELD
    assert says in error.message


REFUSED_AT_COMPILE_TIME = [
    pytest.param("<% macro f() %><< f() >><< f() >><% endmacro %><< f() >>", id="macro"),
    pytest.param("<% block b %><< self.b() >><< self.b() >><% endblock %>", id="block"),
    pytest.param("<< " + "(" * 5000 + "1" + ")" * 5000 + " >>", id="deep-nesting"),
    pytest.param("<< " + "9" * 5000 + " >>", id="number-past-the-digit-limit"),
]


@pytest.mark.parametrize("text", REFUSED_AT_COMPILE_TIME)
def test_a_leaf_that_cannot_be_bounded_is_refused_when_compiled(text: str) -> None:
    """Recursion without a loop, and source past the parser's limits, fail to compile."""
    with pytest.raises(RenderError) as caught:
        compile_leaf(text, FIELD)
    assert [error.field for error in caught.value.field_errors] == [FIELD]


ALLOWED = [
    pytest.param("<< 2**10 * 3 + 1 >>", {}, 3073, id="small-arithmetic"),
    pytest.param("<< amount|round(2) >>", {"amount": 1.234}, 1.23, id="round"),
    pytest.param("<< a|upper >> and << b >>", {"a": "x", "b": 2}, "X and 2", id="text"),
    pytest.param("<% for a in x %><< a >><% endfor %>", {"x": [1, 2, 3]}, "123", id="loop"),
    pytest.param("<< ', '.join(x) >>", {"x": ["a", "b"]}, "a, b", id="join-method"),
    pytest.param("<< x|join('-') >>", {"x": ["a", "b"]}, "a-b", id="join-filter"),
    pytest.param("<< 'ab' * 3 ~ '!' >>", {}, "ababab!", id="repeat-and-concat"),
    pytest.param("<< x.strip().lower() >>", {"x": " AB "}, "ab", id="string-methods"),
    pytest.param("<< (1 / 4) ** 2 >>", {}, 0.0625, id="float-power"),
]


@pytest.mark.parametrize(("text", "context", "expected"), ALLOWED)
def test_ordinary_expressions_still_render(
    text: str, context: dict[str, Any], expected: Any
) -> None:
    """The bounds leave everyday arithmetic, filters, methods and loops alone."""
    assert compile_leaf(text, FIELD).render(context) == expected


def _template(description: str) -> TaskTemplate:
    return TaskTemplate.model_validate(
        {
            "name": "costly",
            "title": "Costly",
            "servers": {"local": "http://127.0.0.1:9"},
            "httpRequest": {"url": "/x", "method": "PUT", "body": {"description": description}},
        }
    )


def test_prepare_reports_the_costly_field_and_sends_nothing() -> None:
    """Through `Task.prepare` the excess is one field error on the body field."""
    task = Task(_template("<< 'a' * 10**9 >>"))
    with pytest.raises(InputError) as caught:
        task.prepare({}, environment="local")
    assert [error.field for error in caught.value.field_errors] == ["description"]


def test_validate_returns_at_once_for_a_power_folded_at_compile_time(tmp_path: Path) -> None:
    """`connector validate` compiles `<< 7**10000000000 >>` without evaluating it."""
    path = tmp_path / "costly.json"
    path.write_text(json.dumps(_template("<< 7**10000000000 >>").to_json()))
    done = subprocess.run(
        [sys.executable, "-m", "connector", "validate", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "VALID"
