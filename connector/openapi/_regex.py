"""A string that matches a regular expression: deterministic, short, for schema examples.

The pattern is parsed by Python's own regex parser (`re._parser`, the same tree `re.compile`
uses) and walked once, taking the first alternative, the smallest repeat count that reaches
`min_length` and a plain character from each class. Lookarounds are skipped; the caller checks
the result against the schema and falls back when a pattern is beyond this. The text is
bounded: a repeat whose text would pass `limit` characters (`a{1000000000}`, or counted
repeats nested inside each other) is refused before it is built.
"""

from __future__ import annotations

import importlib
import string
from typing import Any

_parser: Any = importlib.import_module("re._parser")

_CATEGORY = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
}
_CANDIDATES = "a0A_-.x1Bz " + string.ascii_letters + string.digits + string.punctuation
_UNBOUNDED_CAP = 8


DEFAULT_LIMIT = 64 * 1024
"""The longest example text built."""


class RegexTooHardError(Exception):
    """The pattern uses something this generator does not produce."""


class RegexTooLongError(RegexTooHardError):
    """Every text the pattern matches is longer than the limit."""


def example_matching(pattern: str, *, min_length: int = 0, limit: int = DEFAULT_LIMIT) -> str:
    """A string matching `pattern` (searched, as JSON Schema does), about `min_length` long.

    Raises:
        RegexTooLongError: the text would be longer than `limit` characters.
        RegexTooHardError: the pattern cannot be parsed or walked.
    """
    try:
        tree = _parser.parse(pattern)
    except Exception as exc:  # noqa: BLE001 - any parser failure means "cannot generate"
        raise RegexTooHardError(str(exc)) from None
    text = _walk(list(tree), {}, 0, limit)
    for extra in (1, 2, 4, 8, 16, 32, 64):
        if len(text) >= min_length:
            break
        try:
            text = _walk(list(tree), {}, extra, limit)
        except RegexTooLongError:
            break  # the shortest text stands
    return text


def _walk(items: list[tuple[Any, Any]], groups: dict[int, str], extra: int, limit: int) -> str:
    text = "".join(_item(op, arg, groups, extra, limit) for op, arg in items)
    if len(text) > limit:
        raise RegexTooLongError(f"matches only texts over {limit:,} characters")
    return text


def _item(op: Any, arg: Any, groups: dict[int, str], extra: int, limit: int) -> str:  # noqa: PLR0911
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "NOT_LITERAL":
        return next(c for c in _CANDIDATES if ord(c) != arg)
    if name == "ANY":
        return "a"
    if name == "IN":
        return _in(arg)
    if name == "BRANCH":
        return _walk(list(arg[1][0]), groups, extra, limit)
    if name == "SUBPATTERN":
        text = _walk(list(arg[-1]), groups, extra, limit)
        if arg[0] is not None:
            groups[arg[0]] = text
        return text
    if name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
        return _repeat(arg, groups, extra, limit)
    if name == "GROUPREF":
        return groups.get(arg, "")
    if name in {"AT", "ASSERT", "ASSERT_NOT"}:
        return ""
    if name == "ATOMIC_GROUP":
        return _walk(list(arg), groups, extra, limit)
    raise RegexTooHardError(name)


def _repeat(arg: Any, groups: dict[int, str], extra: int, limit: int) -> str:
    """The smallest repeat count that reaches the wanted length, refused past `limit`."""
    low, high, sub = arg
    count = min(low + extra, high if high != _parser.MAXREPEAT else low + _UNBOUNDED_CAP)
    count = max(count, low)
    if count == 0:
        return ""
    once = _walk(list(sub), groups, extra, limit)
    if len(once) * count > limit:
        raise RegexTooLongError(f"matches only texts over {limit:,} characters")
    return once + "".join(_walk(list(sub), groups, extra, limit) for _ in range(count - 1))


def _in(items: list[tuple[Any, Any]]) -> str:
    negate = bool(items) and str(items[0][0]) == "NEGATE"
    members = items[1:] if negate else items
    for candidate in _CANDIDATES:
        if any(_contains(str(op), arg, candidate) for op, arg in members) != negate:
            return candidate
    if negate or not members:
        raise RegexTooHardError("character class")
    op, arg = members[0]
    return _member(str(op), arg)


def _member(name: str, arg: Any) -> str:
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        low, high = arg
        for candidate in _CANDIDATES:
            if low <= ord(candidate) <= high:
                return candidate
        return chr(low)
    if name == "CATEGORY":
        return _CATEGORY.get(str(arg), "a")
    raise RegexTooHardError(name)


def _contains(name: str, arg: Any, char: str) -> bool:
    if name == "LITERAL":
        return bool(ord(char) == arg)
    if name == "RANGE":
        return bool(arg[0] <= ord(char) <= arg[1])
    if name == "CATEGORY":
        category = str(arg)
        checks = {
            "CATEGORY_DIGIT": char.isdigit(),
            "CATEGORY_NOT_DIGIT": not char.isdigit(),
            "CATEGORY_WORD": char.isalnum() or char == "_",
            "CATEGORY_NOT_WORD": not (char.isalnum() or char == "_"),
            "CATEGORY_SPACE": char.isspace(),
            "CATEGORY_NOT_SPACE": not char.isspace(),
        }
        return bool(checks.get(category, False))
    return False
