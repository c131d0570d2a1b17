"""Property-based checks over hostile inputs, templates and server responses: no crash, no
hang, nothing invalid sent.

Deterministic in CI: `derandomize=True` and a fixed example budget per property (see
`BUDGET`); each example also has a deadline, which is where a hang would show.
"""

from __future__ import annotations

import json
import string
from datetime import timedelta
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector import DefinitionError, Executor, RenderError, load_task
from connector._render import compile_leaf
from connector._template import MAX_REQUEST_BODY_BYTES
from tests._clock import FakeClock

BUDGET = {"inputs": 200, "templates": 200, "responses": 100}
"""Examples run per property (all three: 500)."""

TASK = "upsert-payout-request"
BASE = "http://127.0.0.1:9/organizations/org-1"
MINIMAL = {
    "id": "po-1",
    "websiteId": "web-1",
    "customerId": "cust-1",
    "currency": "USD",
    "amount": 10,
}


def _settings(name: str) -> Any:
    return settings(
        max_examples=BUDGET[name],
        derandomize=True,
        deadline=timedelta(seconds=5),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )


# -- inputs ------------------------------------------------------------------------------------

_text = st.text(max_size=30)
_hostile_text = st.one_of(
    _text,
    st.sampled_from(["abc\n", "po-1\r\n", "\ud800", "x\udc80", "..", ".", "a/b", "%2e", "?#"]),
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _hostile_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_hostile_text, children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from([*MINIMAL, "organizationId", "description", "amout"]) | _hostile_text


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


_inputs = st.one_of(
    st.dictionaries(_keys, _json, max_size=8).map(lambda extra: {**MINIMAL, **extra}),
    _json,
    st.integers(min_value=60, max_value=3000).map(lambda n: {**MINIMAL, "description": _deep(n)}),
)


@_settings("inputs")
@given(inputs=_inputs)
def test_any_input_is_prepared_or_refused_and_never_invalid(inputs: Any) -> None:
    """Any JSON-like input gives a valid request or a definition error, nothing else."""
    task = load_task(TASK)
    try:
        request = task.prepare(inputs, base_url=BASE, environ={})
    except DefinitionError as error:
        assert error.field_errors or error.message
        str(error).encode("utf-8")  # always printable
        return
    _assert_sendable(request.url, request.content)


def _assert_sendable(url: str, content: bytes | None) -> None:
    assert url.isascii()
    assert not any(char in url for char in " \r\n\t")
    if content is not None:
        assert len(content) <= MAX_REQUEST_BODY_BYTES
        json.loads(content.decode("utf-8"))


# -- templates ---------------------------------------------------------------------------------

_atoms = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["x", "y", "s", "items", "7", "10", "2.5", "'a'", "'ab'", "[1, 2]", "none"]),
)
_operators = st.sampled_from(["**", "*", "+", "-", "//", "%", "~", "/"])
_calls = st.sampled_from(
    [
        "|center({n})",
        "|indent({n})",
        "|replace('a', s * {n})",
        "|join(s)",
        "|wordwrap({n})",
        "|batch({n})|list",
        "|slice({n})|list",
        "|format({n})",
        "|sum",
        "|string",
        ".center({n})",
        ".zfill({n})",
        ".replace('', s)",
        "|round({n})",
    ]
)


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 3) -> str:
    left = draw(_atoms)
    for _ in range(draw(st.integers(min_value=0, max_value=depth))):
        if draw(st.booleans()):
            left = f"({left} {draw(_operators)} {draw(_atoms)})"
        else:
            number = draw(st.sampled_from(["3", "10**9", "x", "y", "999999999"]))
            left = f"({left}{draw(_calls).format(n=number)})"
    return left


@st.composite
def _leaves(draw: st.DrawFn) -> str:
    expression = draw(_expressions())
    shape = draw(
        st.sampled_from(["<< {e} >>", "a << {e} >> b", "<% for i in items %><< {e} >><% endfor %>"])
    )
    return shape.format(e=expression)


_contexts = st.fixed_dictionaries(
    {
        "x": st.integers(min_value=-(10**6), max_value=10**9),
        "y": st.integers(min_value=0, max_value=10**8),
        "s": st.text(alphabet=string.ascii_letters, max_size=50),
        "items": st.lists(st.integers(), max_size=50),
    }
)


@_settings("templates")
@given(leaf=_leaves(), context=_contexts)
def test_any_expression_compiles_and_renders_in_bounded_time(leaf: str, context: Any) -> None:
    """Arithmetic, filters, methods and loops over large numbers end in a value or a render
    error, within the example's deadline."""
    try:
        value = compile_leaf(leaf, "body.description").render(context)
    except RenderError as error:
        assert [e.field for e in error.field_errors] == ["body.description"]
        return
    assert len(str(value)) <= 1 << 20


# -- server responses --------------------------------------------------------------------------

_header_values = st.one_of(
    st.sampled_from(["-5", "0", "nan", "inf", "1e309", "Thu, 01 Jan 1970 00:00:00 GMT", "soon"]),
    st.floats(allow_nan=True).map(str),
    st.text(alphabet=string.printable.strip("\r\n\x0b\x0c"), max_size=30),
)
_bodies = st.one_of(
    st.binary(max_size=200),
    _json.map(lambda value: json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")),
    st.integers(min_value=100, max_value=5000).map(lambda n: b"[" * n + b"]" * n),
)
_responses = st.lists(
    st.tuples(
        st.sampled_from([200, 201, 204, 301, 400, 408, 422, 429, 500, 503, 599]),
        st.dictionaries(
            st.sampled_from(["Retry-After", "X-RateLimit-Retry-After", "Content-Type"]),
            _header_values | st.sampled_from(["application/json", "text/html; charset=latin-1"]),
            max_size=3,
        ),
        _bodies,
    ),
    min_size=1,
    max_size=3,
)


@_settings("responses")
@given(script=_responses)
def test_any_server_answer_is_a_result_and_never_shortens_the_backoff(script: Any) -> None:
    """Whatever the server answers, the executor returns a JSON result; waits are the
    template's backoff at least."""
    task = load_task(TASK)
    request = task.prepare({**MINIMAL, "organizationId": "org-1"}, base_url=BASE, environ={})
    clock = FakeClock()
    answers = iter(script * 3)

    def answer(sent: Any) -> tuple[int, dict[str, str], bytes]:
        _assert_sendable(sent.url, sent.body)
        return next(answers)

    executor = Executor(clock=clock, random=lambda: 0.0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback("PUT", f"{BASE}/payout-requests/po-1", callback=answer)
        result = executor.execute(request, task.template)
    json.dumps(result.to_json())
    policy = task.template.retry
    for number, wait in enumerate(clock.slept, start=1):
        backoff = min(policy.interval_seconds * policy.backoff_rate ** (number - 1), 30)
        assert wait >= min(backoff, policy.max_interval_seconds)


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_the_example_budget_is_fixed(name: str) -> None:
    """The budget is a constant, so CI runs the same examples every time."""
    assert BUDGET[name] > 0
