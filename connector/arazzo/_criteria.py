"""Criterion objects (simple, regex, JSONPath) and selector objects, checked and evaluated.

JSONPath is RFC 9535 by `jsonpath-rfc9535`, a library made to that RFC alone (a query a
lenient implementation accepts and the RFC does not is refused here, so a workflow does not
pass here and fail elsewhere). `xpath` and the pre-RFC JSONPath draft are refused when the
document is checked, with the reason, before anything is sent. Per the specification, a
criterion that cannot be evaluated at run time fails; `explain` says why.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

import jsonpath_rfc9535 as jsonpath
import regex

from connector.arazzo._conditions import ConditionError, compile_condition
from connector.arazzo._expressions import (
    ExpressionError,
    Scope,
    UnresolvedError,
    as_text,
    embedded,
    evaluate,
    parse,
    read_pointer,
)
from connector.arazzo._model import Criterion, ExpressionType

__all__ = ["CriterionError", "check_criterion", "criterion_kind", "holds", "select"]

MAX_PATTERN: Final = 1000
"""Characters in a regex or JSONPath condition (after `{$…}` is written in)."""
REGEX_SECONDS: Final = 1.0
"""How long one regex condition may search: a document's pattern is hostile input, and a
backtracking pattern must fail the criterion, not hang the run."""

XPATH_REFUSED: Final = (
    "xpath conditions are not supported: the connector sends and reads JSON (use jsonpath "
    "or a simple condition)"
)


class CriterionError(ValueError):
    """A criterion or selector that cannot be evaluated as written."""


def criterion_kind(kind: str | ExpressionType | None) -> str:
    """`simple`, `regex` or `jsonpath`; CriterionError for xpath or a draft JSONPath."""
    if isinstance(kind, ExpressionType):
        if kind.type == "jsonpath" and kind.version != "rfc9535":
            raise CriterionError(
                f"JSONPath version {kind.version!r} is not supported: only rfc9535 is"
            )
        kind = kind.type
    if kind == "xpath":
        raise CriterionError(XPATH_REFUSED)
    if kind == "jsonpointer":
        raise CriterionError("jsonpointer is a selector type, not a condition type")
    return kind or "simple"


def check_criterion(criterion: Criterion) -> list[str]:
    """The runtime expressions a criterion reads; CriterionError when it cannot be run."""
    kind = criterion_kind(criterion.type)
    if kind == "simple":
        try:
            condition = compile_condition(criterion.condition)
        except ConditionError as exc:
            raise CriterionError(str(exc)) from None
        found = [e.source for e in condition.expressions()]
        return found + _context(criterion)
    if criterion.context is None:
        raise CriterionError(f"a {kind} condition needs a context")
    inner = list(embedded(criterion.condition))
    for text in inner:
        _parse(text)
    if not inner:
        _compile_pattern(kind, criterion.condition)
    return inner + _context(criterion)


def _context(criterion: Criterion) -> list[str]:
    if criterion.context is None:
        return []
    _parse(criterion.context)
    return [criterion.context]


def _parse(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as exc:
        raise CriterionError(str(exc)) from None


def _compile_pattern(kind: str, text: str) -> Any:
    if len(text) > MAX_PATTERN:
        raise CriterionError(f"the {kind} condition is over {MAX_PATTERN} characters")
    try:
        return regex.compile(text) if kind == "regex" else jsonpath.compile(text)
    except (regex.error, jsonpath.JSONPathError) as exc:
        raise CriterionError(f"not a valid {kind}: {exc}") from None


def holds(criterion: Criterion, scope: Scope) -> tuple[bool, str]:
    """(whether it passes, why not when it does not)."""
    try:
        kind = criterion_kind(criterion.type)
        if kind == "simple":
            passed = compile_condition(criterion.condition).holds(scope)
            return passed, "" if passed else f"{criterion.condition} is false"
        context = evaluate(parse(criterion.context or ""), scope)
        condition = _written_in(criterion.condition, scope)
        passed = _matches(kind, condition, context)
    except (CriterionError, ConditionError, UnresolvedError, ExpressionError) as exc:
        return False, f"{criterion.condition}: {exc}"
    return passed, "" if passed else f"{criterion.condition} ({kind}) does not match"


def _written_in(condition: str, scope: Scope) -> str:
    for text in embedded(condition):
        condition = condition.replace("{" + text + "}", as_text(evaluate(parse(text), scope)))
    return condition


def _matches(kind: str, condition: str, context: Any) -> bool:
    if context is None:
        return False
    compiled = _compile_pattern(kind, condition)
    if kind == "regex":
        try:
            return compiled.search(as_text(context), timeout=REGEX_SECONDS) is not None
        except TimeoutError:
            raise CriterionError(f"the regex took over {REGEX_SECONDS:g} s") from None
    return bool(compiled.find(context))


def select(selector: Mapping[str, Any], scope: Scope) -> Any:
    """A Selector Object's value (jsonpath: the one node, or the list of nodes; jsonpointer)."""
    kind = selector["type"]
    kind = kind.get("type") if isinstance(kind, Mapping) else kind
    context = evaluate(parse(str(selector["context"])), scope)
    text = str(selector["selector"])
    if kind == "jsonpointer":
        return read_pointer(context, text.removeprefix("#"), text)
    if kind != "jsonpath":
        raise CriterionError(f"selector type {kind!r} is not supported (jsonpath, jsonpointer)")
    values = _compile_pattern("jsonpath", text).find(context).values()
    if not values:
        raise UnresolvedError(f"{text}: selects nothing")
    return values[0] if len(values) == 1 else values


def selector_expressions(selector: Mapping[str, Any]) -> Iterator[str]:
    """The runtime expression a selector reads (its context)."""
    yield str(selector.get("context", ""))
