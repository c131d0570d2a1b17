"""The jinja sandbox of the renderer, bounded so that every template costs little.

jinja's `ImmutableSandboxedEnvironment` keeps a template away from Python's internals, but
not from costing too much: `7**10000000000` is folded while the template compiles and holds
the interpreter for ever; `'a' * 10**9`, `'a'.center(10**9)` or `x|indent(10**9)` allocate
gigabytes; nested loops and recursive macros run for ever. Here:

- every arithmetic operator is intercepted, which also keeps jinja from folding it at compile
  time, and is refused before it runs when its result would pass a size: `MAX_INT_BITS` for
  an integer, `MAX_VALUE` characters (or items) for a string or a list;
- filters and method calls are a chosen set (methods of strings, lists and objects whose
  result is no bigger than their input, or whose size argument is checked first); every
  filter runs at render time only, never folded at compile time;
- every value an operator, a filter, a method or a `~` builds is charged to the render's
  `Budget`, and every loop iteration too; macros (recursion without a loop) are refused;
- text output is streamed and cut at `MAX_VALUE`.

An excess raises `LimitError`; the renderer reports it as a render error naming the field.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from jinja2 import nodes, pass_context
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

from connector._limits import (
    FILTER_CHECKS,
    OPERATOR_CHECKS,
    LimitError,
    budget,
    charged,
    check_method,
    expect,
    joined,
)

_FILTER_NAMES: Final = frozenset(FILTERS) - {"pprint", "xmlattr", "urlize", "random"}
"""Every built-in filter but the ones for HTML pages and the nondeterministic `random`."""


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` with its size checked first and its result charged; never folded early."""
    pass_arg = _PassArg.from_obj(function)
    check = FILTER_CHECKS.get(name)

    @pass_context
    def bounded(context: Context, value: Any, *args: Any, **kwargs: Any) -> Any:
        first: tuple[Any, ...] = ()
        if pass_arg is _PassArg.context:
            first = (context,)
        elif pass_arg is _PassArg.eval_context:
            first = (context.eval_ctx,)
        elif pass_arg is _PassArg.environment:
            first = (context.environment,)
        if check is not None:
            check(value, *args, **kwargs)
        return charged(function(*first, value, *args, **kwargs))

    return bounded


@pass_context
def _loop_items(_context: Context, items: Any) -> Iterator[Any]:
    """A loop's items, one iteration charged at a time."""
    current = budget()
    for item in items:
        current.iterate()
        yield item


@pass_context
def _concat(_context: Context, parts: list[Any]) -> str:
    """The `~` operator: its size known before it is built."""
    texts = [str(part) for part in parts]
    expect(sum(map(len, texts)))
    return charged("".join(texts))  # type: ignore[no-any-return]


# -- the environment -----------------------------------------------------------------------


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with arithmetic, calls, loops and output bounded."""

    intercepted_binops = frozenset({"**", "*", "+", "-", "/", "//", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(optimized=False, **options)
        self.filters = {name: _bounded_filter(name, FILTERS[name]) for name in _FILTER_NAMES}
        self.filters["connector_loop"] = _loop_items
        self.filters["connector_concat"] = _concat

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        """The operator, refused before it runs when its result would be too large."""
        check = OPERATOR_CHECKS.get(operator_)
        if check is not None:
            check(left, right)
        return charged(self.binop_table[operator_](left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """A method call: only a chosen set, its size checked first, its result charged."""
        if isinstance(__obj, types.BuiltinMethodType) and not isinstance(
            __obj.__self__, types.ModuleType
        ):
            check_method(__obj, args, kwargs)
            if __obj.__name__ == "join" and args:
                return charged(joined(__obj, args[0]))
        return charged(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`str.format` builds text of any width: it is not offered."""
        if isinstance(value, types.BuiltinMethodType) and value.__name__ in {
            "format",
            "format_map",
        }:
            return _refuse_format
        return None

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        """Every compiled tree, templates and expressions alike, passes `bound_tree` first."""
        return super()._generate(bound_tree(source), name, filename, defer_init)


def _refuse_format(*_args: Any, **_kwargs: Any) -> str:
    raise LimitError("str.format is not available in a template (use ~ or the format filter)")


_REFUSED_NODES: Final = (
    nodes.Macro,
    nodes.CallBlock,
    nodes.Block,
    nodes.Extends,
    nodes.Include,
    nodes.Import,
    nodes.FromImport,
)
"""Recursion without a loop (a macro or block calling itself), and other templates."""


def bound_tree(tree: nodes.Template) -> nodes.Template:
    """Route loops and `~` through the budget; refuse macros and call blocks.

    Raises:
        LimitError: the template defines a macro or a block, or includes another template.
    """
    if any(True for _ in tree.find_all(_REFUSED_NODES)):
        raise LimitError("macros, blocks and includes are not available in a template")
    for loop in list(tree.find_all(nodes.For)):
        loop.iter = nodes.Filter(loop.iter, "connector_loop", [], [], None, None)
    for concat in list(tree.find_all(nodes.Concat)):
        concat.nodes = [
            nodes.Filter(nodes.List(concat.nodes), "connector_concat", [], [], None, None)
        ]
    return tree


def stream(chunks: Iterable[str]) -> str:
    """Join a template's output, refused as soon as it passes `MAX_VALUE`."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        expect(size)
        parts.append(chunk)
    return "".join(parts)
