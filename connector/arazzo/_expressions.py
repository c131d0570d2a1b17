"""Arazzo runtime expressions: parsed by the specification's grammar, evaluated in a scope.

    parse("$steps.upsert.outputs.id")        Expression(root="steps", parts=("upsert", ...))
    evaluate(parse("$response.body#/id"), scope)
    resolve_value({"id": "$inputs.id", "url": "https://x/{$inputs.id}"}, scope)

A whole string that is an expression gives the value itself (any JSON type); a string with
`{$…}` inside gives text with each expression written in (a string as is, anything else as
JSON). A name with dots (`$inputs.customer.name`, allowed by the grammar) is looked up
whole first, then walked key by key; `$response.body.count` walks the body the same way,
as conditions write it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "Exchange",
    "Expression",
    "ExpressionError",
    "Scope",
    "UnresolvedError",
    "embedded",
    "evaluate",
    "is_expression_like",
    "parse",
    "read_pointer",
    "resolve_value",
]

_STRICT = r"[A-Za-z0-9_\-]+"
_IDENT = r"[A-Za-z0-9.\-_]+"
_PTR = r"(?:#(?P<ptr>(?:/[^/{}]*)*))?"
_TAIL = r"(?P<tail>(?:\.[^.\[\]\s{}]+|\[\d+\])*)"
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_SIDE = r"\$(?P<side>request|response|message)\."
_GRAMMAR: Final = [
    ("url", re.compile(r"\$url")),
    ("method", re.compile(r"\$method")),
    ("statusCode", re.compile(r"\$statusCode")),
    ("self", re.compile(r"\$self")),
    ("exchange", re.compile(_SIDE + r"(?P<at>header)\.(?P<name>" + _TCHAR + ")")),
    ("exchange", re.compile(_SIDE + r"(?P<at>query|path)\.(?P<name>[^{}\s]+)")),
    ("exchange", re.compile(_SIDE + r"(?P<at>body|payload)" + _PTR + _TAIL)),
    ("inputs", re.compile(r"\$inputs\.(?P<name>" + _IDENT + ")" + _PTR)),
    ("outputs", re.compile(r"\$outputs\.(?P<name>" + _IDENT + ")" + _PTR)),
    (
        "steps",
        re.compile(r"\$steps\.(?P<id>" + _STRICT + r")\.outputs\.(?P<name>" + _IDENT + ")" + _PTR),
    ),
    (
        "workflows",
        re.compile(
            r"\$workflows\.(?P<id>" + _STRICT + r")\.(?P<at>inputs|outputs)"
            r"\.(?P<name>" + _IDENT + ")" + _PTR
        ),
    ),
    (
        "sourceDescriptions",
        re.compile(r"\$sourceDescriptions\.(?P<id>" + _STRICT + r")\.(?P<name>[^{}\s]+)"),
    ),
    (
        "components",
        re.compile(
            r"\$components\.(?P<at>parameters|successActions|failureActions|inputs)"
            r"\.(?P<name>" + _IDENT + ")"
        ),
    ),
]
_ROOTS: Final = tuple(
    "$" + root
    for root in (
        "url", "method", "statusCode", "self", "request.", "response.", "message.", "inputs.",
        "outputs.", "steps.", "workflows.", "sourceDescriptions.", "components.",
    )
)  # fmt: skip
_EMBEDDED: Final = re.compile(r"\{(\$[^{}]*)\}")


class ExpressionError(ValueError):
    """A string that starts like a runtime expression but does not follow its grammar."""


class UnresolvedError(LookupError):
    """An expression that names something the run does not (yet) have."""


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed runtime expression."""

    source: str
    root: str
    side: str = ""
    at: str = ""
    id: str = ""
    name: str = ""
    pointer: str | None = None
    tail: tuple[str, ...] = ()


def parse(text: str) -> Expression:
    """The expression `text` (the whole string).

    Raises:
        ExpressionError: `text` is not a runtime expression.
    """
    for root, pattern in _GRAMMAR:
        match = pattern.fullmatch(text)
        if match:
            found = {k: v for k, v in match.groupdict().items() if v is not None}
            tail = tuple(re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", found.pop("tail", "")))
            parts = tuple(a or b for a, b in tail)
            return Expression(source=text, root=root, **{"tail": parts, **_named(found)})
    raise ExpressionError(f"{text!r} is not a runtime expression")


def _named(found: dict[str, str]) -> dict[str, Any]:
    return {("pointer" if k == "ptr" else k): v for k, v in found.items()}


def is_expression_like(value: object) -> bool:
    """Whether a string claims to be a runtime expression (starts with one of its roots)."""
    return isinstance(value, str) and value.startswith(_ROOTS)


def embedded(text: str) -> Iterator[str]:
    """The `{$…}` expressions inside `text`, in order."""
    yield from _EMBEDDED.findall(text)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response, as `$url`, `$request.*`, `$response.*` read them."""

    url: str = ""
    method: str = ""
    status_code: int | None = None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    path: Mapping[str, Any] = field(default_factory=dict)
    request_body: Any = None
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: Any = None


@dataclass(slots=True)
class Scope:
    """What expressions can read at one point of a run."""

    inputs: Mapping[str, Any] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    exchange: Exchange | None = None
    sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    self_uri: str | None = None


def evaluate(expression: Expression, scope: Scope) -> Any:
    """The value of `expression` in `scope`.

    Raises:
        UnresolvedError: it names what the scope does not hold.
    """
    value = _ROOT_READERS[expression.root](expression, scope)
    if expression.pointer is not None:
        value = read_pointer(value, expression.pointer, expression.source)
    for key in expression.tail:
        value = _step_into(value, key, expression.source)
    return value


def _exchange(scope: Scope, source: str) -> Exchange:
    if scope.exchange is None:
        raise UnresolvedError(f"{source}: no request has been sent at this point")
    return scope.exchange


def _read_simple(expression: Expression, scope: Scope) -> Any:
    if expression.root == "self":
        if scope.self_uri is None:
            raise UnresolvedError("$self: the document has no $self")
        return scope.self_uri
    exchange = _exchange(scope, expression.source)
    value = {"url": exchange.url, "method": exchange.method, "statusCode": exchange.status_code}
    return value[expression.root]


def _read_exchange(expression: Expression, scope: Scope) -> Any:
    exchange = _exchange(scope, expression.source)
    request = expression.side == "request"
    if expression.at == "header":
        headers = exchange.request_headers if request else exchange.response_headers
        lowered = {k.lower(): v for k, v in headers.items()}
        return _key(lowered, expression.name.lower(), expression.source)
    if expression.at in {"query", "path"}:
        table = exchange.query if expression.at == "query" else exchange.path
        return _key(table, expression.name, expression.source)
    return exchange.request_body if request else exchange.response_body


def _read_named(table: Mapping[str, Any], name: str, source: str) -> Any:
    """`name` whole, else walked by its dots."""
    if name in table:
        return table[name]
    head, *rest = name.split(".")
    value = _key(table, head, source)
    for key in rest:
        value = _step_into(value, key, source)
    return value


def _read_steps(expression: Expression, scope: Scope) -> Any:
    outputs = _key(scope.steps, expression.id, expression.source)
    return _read_named(outputs, expression.name, expression.source)


def _read_workflows(expression: Expression, scope: Scope) -> Any:
    known = _key(scope.workflows, expression.id, expression.source)
    return _read_named(known.get(expression.at, {}), expression.name, expression.source)


def _read_source(expression: Expression, scope: Scope) -> Any:
    source = _key(scope.sources, expression.id, expression.source)
    return _read_named(source, expression.name, expression.source)


def _read_component(expression: Expression, scope: Scope) -> Any:
    table = scope.components.get(expression.at, {})
    return _key(table, expression.name, expression.source)


_ROOT_READERS: Final = {
    "url": _read_simple,
    "method": _read_simple,
    "statusCode": _read_simple,
    "self": _read_simple,
    "exchange": _read_exchange,
    "inputs": lambda e, s: _read_named(s.inputs, e.name, e.source),
    "outputs": lambda e, s: _read_named(s.outputs, e.name, e.source),
    "steps": _read_steps,
    "workflows": _read_workflows,
    "sourceDescriptions": _read_source,
    "components": _read_component,
}


def _key(table: Mapping[str, Any], key: str, source: str) -> Any:
    if not isinstance(table, Mapping) or key not in table:
        raise UnresolvedError(f"{source}: {key!r} is not there")
    return table[key]


def _step_into(value: Any, key: str, source: str) -> Any:
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        return value[int(key)]
    if isinstance(value, dict) and key in value:
        return value[key]
    raise UnresolvedError(f"{source}: {key!r} is not there")


def read_pointer(value: Any, pointer: str, source: str = "") -> Any:
    """The node at a JSON pointer (RFC 6901) in `value`; UnresolvedError when it leads nowhere."""
    if pointer == "":
        return value
    for raw in pointer.split("/")[1:]:
        value = _step_into(value, raw.replace("~1", "/").replace("~0", "~"), source or pointer)
    return value


def resolve_value(value: Any, scope: Scope) -> Any:
    """A parameter value, payload or output with every expression replaced by its value.

    Raises:
        UnresolvedError: an expression names what the scope does not hold.
        ExpressionError: a string claims to be an expression and is not one.
    """
    if isinstance(value, str):
        return _resolve_text(value, scope)
    if isinstance(value, dict):
        if is_selector(value):
            from connector.arazzo._criteria import select  # noqa: PLC0415 - a cycle

            return select(value, scope)
        return {key: resolve_value(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_value(item, scope) for item in value]
    return value


def is_selector(value: Mapping[str, Any]) -> bool:
    """Whether a mapping is an Arazzo 1.1 Selector Object."""
    return {"context", "selector", "type"} <= set(value) and len(value) <= 4


def _resolve_text(text: str, scope: Scope) -> Any:
    if is_expression_like(text):
        return evaluate(parse(text), scope)
    if "{$" not in text:
        return text
    return _EMBEDDED.sub(lambda m: as_text(evaluate(parse(m[1]), scope)), text)


def as_text(value: Any) -> str:
    """A value written into a string: a string as is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
