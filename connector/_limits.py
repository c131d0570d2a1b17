"""What a template may cost: the limits, the render's budget, and the checks made before a
value is built.

Each check runs before the operator, method or filter it guards, from the sizes of its
arguments alone, so that a refused value is never allocated; `charged` then counts what was
built against the `Budget` of the render under way. An excess raises `LimitError`.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

MAX_VALUE: Final = 1 << 20
"""The most characters (or items) in any one value a template builds."""

MAX_INT_BITS: Final = 4096
"""The largest integer a template computes (about 1,233 decimal digits)."""

MAX_TOTAL: Final = 4 << 20
"""Characters (or items) all the values built while rendering one field may add up to."""

MAX_ITERATIONS: Final = 100_000
"""Loop iterations rendering one field may take, all loops together."""


class LimitError(Exception):
    """A template asked for more than the sandbox allows; the message says what."""


@dataclass(slots=True)
class Budget:
    """What one render may still build and iterate."""

    total: int = MAX_TOTAL
    iterations: int = MAX_ITERATIONS

    def charge(self, size: int) -> None:
        """Count `size` characters (or items) built; refuse past a limit."""
        if size > MAX_VALUE:
            raise LimitError(f"a value of {size:,} characters is over the limit of {MAX_VALUE:,}")
        self.total -= size
        if self.total < 0:
            raise LimitError(f"the values built add up to more than {MAX_TOTAL:,} characters")

    def iterate(self) -> None:
        """Count one loop iteration."""
        self.iterations -= 1
        if self.iterations < 0:
            raise LimitError(f"the loops take more than {MAX_ITERATIONS:,} iterations")


_BUDGET: contextvars.ContextVar[Budget] = contextvars.ContextVar("connector_render_budget")


def budget() -> Budget:
    """The budget of the render under way (a fresh one outside a render)."""
    current = _BUDGET.get(None)
    return Budget() if current is None else current


def with_budget(function: Callable[[], Any]) -> Any:
    """Call `function` as one render, with a fresh budget."""
    token = _BUDGET.set(Budget())
    try:
        return function()
    finally:
        _BUDGET.reset(token)


def size_of(value: Any) -> int:
    """What building `value` costs: its length, or the bytes of an integer."""
    if isinstance(value, str | bytes | list | tuple | dict):
        return len(value)
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise LimitError(f"an integer of over {MAX_INT_BITS} bits is over the limit")
        return value.bit_length() // 8
    return 1


def charged(value: Any) -> Any:
    """`value`, after charging it to the budget."""
    budget().charge(size_of(value))
    return value


def expect(size: int) -> None:
    """Refuse, before it is built, a value that would be `size` long."""
    if size > MAX_VALUE:
        raise LimitError(f"a value of {size:,} characters is over the limit of {MAX_VALUE:,}")


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


# -- operators -----------------------------------------------------------------------------


def _check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)):
        return
    if exponent > 0 and abs(base) > 1 and base.bit_length() * exponent > MAX_INT_BITS:
        raise LimitError(f"the power is over the limit of {MAX_INT_BITS} bits")


def _check_product(left: Any, right: Any) -> None:
    for sequence, count in ((left, right), (right, left)):
        length = _sized(sequence)
        if length is not None and isinstance(count, int):
            expect(length * max(count, 0))
    both_ints = isinstance(left, int) and isinstance(right, int)
    if both_ints and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
        raise LimitError(f"the product is over the limit of {MAX_INT_BITS} bits")


def _check_sum(left: Any, right: Any) -> None:
    lengths = (_sized(left), _sized(right))
    if lengths[0] is not None and lengths[1] is not None:
        expect(lengths[0] + lengths[1])


_SPEC_NUMBER = re.compile(r"\d+")


def _check_printf(text: Any, arguments: Any) -> None:
    """`'%999999999d' % x` and `'%*d' % (10**9, x)` would allocate before any check."""
    if not isinstance(text, str):
        return
    if any(len(number) > 6 for number in _SPEC_NUMBER.findall(text)):
        raise LimitError("a width or precision in the format is over the limit")
    values = arguments if isinstance(arguments, tuple) else (arguments,)
    if "*" in text and any(isinstance(v, int) and v > MAX_VALUE for v in values):
        raise LimitError("a width or precision in the format is over the limit")


OPERATOR_CHECKS: Final[dict[str, Callable[[Any, Any], None]]] = {
    "**": _check_power,
    "*": _check_product,
    "+": _check_sum,
    "%": _check_printf,
}


# -- methods -------------------------------------------------------------------------------

_SAME_SIZE_METHODS: Final = frozenset(
    {
        "capitalize",
        "casefold",
        "count",
        "endswith",
        "find",
        "get",
        "index",
        "isalnum",
        "isalpha",
        "isascii",
        "isdecimal",
        "isdigit",
        "isidentifier",
        "islower",
        "isnumeric",
        "isspace",
        "istitle",
        "isupper",
        "items",
        "keys",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "rfind",
        "rindex",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "swapcase",
        "title",
        "upper",
        "values",
    }
)
"""Methods whose result is no bigger than the object they are called on."""

_WIDTH_METHODS: Final = frozenset({"center", "ljust", "rjust", "zfill"})


def check_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    name = getattr(method, "__name__", "")
    if name in _SAME_SIZE_METHODS:
        return
    if name in _WIDTH_METHODS:
        expect(args[0] if args and isinstance(args[0], int) else 0)
    elif name == "replace":
        _check_replace(method.__self__, *args[:2])
    elif name == "join":
        return
    else:
        raise LimitError(f"the method {name!r} is not available in a template")


def _check_replace(text: Any, old: Any = "", new: Any = "", *_rest: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        expect(len(text) + count * max(len(new) - len(old), 0))


def joined(method: Any, items: Any) -> Any:
    """`sep.join(items)`, its size known before it is built."""
    values = list(_limited(items))
    separator = method.__self__
    if all(isinstance(value, str) for value in values) and isinstance(separator, str):
        expect(sum(map(len, values)) + len(separator) * max(len(values) - 1, 0))
    return method(values)


def _limited(items: Iterable[Any]) -> Iterator[Any]:
    """`items`, refused past `MAX_VALUE` of them."""
    for count, item in enumerate(items):
        if count >= MAX_VALUE:
            raise LimitError(f"more than {MAX_VALUE:,} items")
        yield item


# -- filters -------------------------------------------------------------------------------


def _lines(text: Any) -> int:
    return str(text).count("\n") + 1


def _filter_indent(value: Any, width: Any = 4, *_args: Any, **_kwargs: Any) -> None:
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    expect(len(str(value)) + _lines(value) * max(pad, 0))


def _filter_wordwrap(value: Any, width: Any = 79, *args: Any, **kwargs: Any) -> None:
    wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else None) or "\n"
    lines = len(str(value)) // max(width if isinstance(width, int) else 1, 1) + _lines(value)
    expect(len(str(value)) + lines * len(str(wrap)))


def _filter_center(value: Any, width: Any = 80) -> None:
    expect(max(len(str(value)), width if isinstance(width, int) else 0))


def _filter_replace(value: Any, old: Any = "", new: Any = "", *_rest: Any) -> None:
    _check_replace(str(value), str(old), str(new))


def _filter_join(value: Any, separator: Any = "", *_rest: Any) -> None:
    if isinstance(value, list | tuple):
        items = sum(len(str(item)) for item in value)
        expect(items + len(str(separator)) * len(value))


def _filter_format(value: Any, *args: Any, **_kwargs: Any) -> None:
    _check_printf(value, args)


def _filter_sum(_value: Any, attribute: Any = None, start: Any = 0) -> None:
    if not isinstance(start, int | float):
        raise LimitError("sum adds numbers only (start must be a number)")


def _filter_parts(count: int) -> Callable[..., None]:
    def check(_value: Any, parts: Any = 1, *_rest: Any) -> None:
        if isinstance(parts, int) and parts > count:
            raise LimitError(f"more than {count:,} parts")

    return check


FILTER_CHECKS: Final[dict[str, Callable[..., None]]] = {
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "center": _filter_center,
    "replace": _filter_replace,
    "join": _filter_join,
    "format": _filter_format,
    "sum": _filter_sum,
    "slice": _filter_parts(1000),
    "batch": _filter_parts(MAX_VALUE),
}
