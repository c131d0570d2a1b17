"""Arazzo simple conditions: literals, runtime expressions and `< <= > >= == != ! && || ()`.

    condition = compile_condition("$statusCode == 200 && $response.body#/ok != null")
    condition.holds(scope)

Parsed once into a small tree (so `_check` can refuse a bad one before anything is sent);
evaluated as the specification says: string comparisons ignore case, a numeric string is
compared as a number against a number, `null` equals only `null`, and anything that cannot
be evaluated (an unresolved expression, an order between unlike types) fails the condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from connector.arazzo._expressions import Expression, Scope, UnresolvedError, evaluate, parse

__all__ = ["Condition", "ConditionError", "compile_condition"]

_TOKEN: Final = re.compile(
    r"\s*(?:(?P<op>&&|\|\||==|!=|<=|>=|<|>|!|\(|\))"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.]))"
    r"|(?P<word>true|false|null)(?![\w.$])"
    r"|(?P<expr>\$[^\s()!=<>&|]+))"
)
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class ConditionError(ValueError):
    """A simple condition that does not follow the grammar."""


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value."""

    value: Any


@dataclass(frozen=True, slots=True)
class Read:
    """A runtime expression read when the condition is evaluated."""

    expression: Expression


@dataclass(frozen=True, slots=True)
class Not:
    """`!operand`."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """`left OP right`, OP a comparison or `&&` / `||`."""

    op: str
    left: Node
    right: Node


Node = Literal | Read | Not | Binary


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled simple condition."""

    source: str
    tree: Node

    def holds(self, scope: Scope) -> bool:
        """Whether it passes in `scope` (an evaluation error fails it)."""
        try:
            return _truthy(_value(self.tree, scope))
        except (UnresolvedError, TypeError):
            return False

    def expressions(self) -> list[Expression]:
        """The runtime expressions it reads."""
        found: list[Expression] = []
        _collect(self.tree, found)
        return found


def compile_condition(text: str) -> Condition:
    """Parse a simple condition; ConditionError says where it goes wrong."""
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    tree = parser.disjunction()
    if parser.index != len(tokens):
        raise ConditionError(f"unexpected {tokens[parser.index][1]!r} in {text!r}")
    return Condition(text, tree)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    index = 0
    while index < len(text.rstrip()):
        match = _TOKEN.match(text, index)
        if match is None or match.end() == index:
            raise ConditionError(f"cannot read {text[index:].strip()[:30]!r} in {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        index = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.index = tokens, text, 0

    def _peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise ConditionError(f"{self.text!r} ends too early")
        self.index += 1
        return self.tokens[self.index - 1]

    def disjunction(self) -> Node:
        node = self.conjunction()
        while self._peek() == "||":
            self._take()
            node = Binary("||", node, self.conjunction())
        return node

    def conjunction(self) -> Node:
        node = self.negation()
        while self._peek() == "&&":
            self._take()
            node = Binary("&&", node, self.negation())
        return node

    def negation(self) -> Node:
        if self._peek() == "!":
            self._take()
            return Not(self.negation())
        left = self.primary()
        if self._peek() in _COMPARE:
            op = self._take()[1]
            return Binary(op, left, self.primary())
        return left

    def primary(self) -> Node:
        kind, text = self._take()
        if text == "(":
            node = self.disjunction()
            if self._take()[1] != ")":
                raise ConditionError(f"a '(' is not closed in {self.text!r}")
            return node
        if kind == "str":
            return Literal(text[1:-1].replace("''", "'"))
        if kind == "num":
            return Literal(float(text) if any(c in text for c in ".eE") else int(text))
        if kind == "word":
            return Literal({"true": True, "false": False, "null": None}[text])
        if kind == "expr":
            try:
                return Read(parse(text))
            except ValueError as exc:
                raise ConditionError(str(exc)) from None
        raise ConditionError(f"unexpected {text!r} in {self.text!r}")


def _value(node: Node, scope: Scope) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Read):
        return evaluate(node.expression, scope)
    if isinstance(node, Not):
        return not _truthy(_value(node.operand, scope))
    if node.op == "&&":
        return _truthy(_value(node.left, scope)) and _truthy(_value(node.right, scope))
    if node.op == "||":
        return _truthy(_value(node.left, scope)) or _truthy(_value(node.right, scope))
    return _compare(node.op, _value(node.left, scope), _value(node.right, scope))


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return (left is None and right is None) == (op == "==") if op in {"==", "!="} else False
    left, right = _coerce(left, right)
    return _COMPARE[op](left, right)


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """Case-folded strings; a numeric string beside a number read as a number."""
    if _is_number(left) and isinstance(right, str):
        right = _number(right, right)
    elif _is_number(right) and isinstance(left, str):
        left = _number(left, left)
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    if isinstance(left, bool) != isinstance(right, bool) and "bool" in {
        type(left).__name__,
        type(right).__name__,
    }:
        return str(left), str(right)  # true is not 1
    return left, right


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(text: str, fallback: Any) -> Any:
    try:
        return float(text)
    except ValueError:
        return fallback


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and bool(value)


def _collect(node: Node, found: list[Expression]) -> None:
    if isinstance(node, Read):
        found.append(node.expression)
    elif isinstance(node, Not):
        _collect(node.operand, found)
    elif isinstance(node, Binary):
        _collect(node.left, found)
        _collect(node.right, found)
