"""Rendering `<<placeholders>>` in the string leaves of a parsed template.

The jinja2 environment is sandboxed, strict about undefined names, stripped of globals, and
uses other delimiters for all three of its syntaxes, so that text which is not ours travels
verbatim: Rebilly's `{{id}}`, `{# ... #}`, `{% ... %}` and engine expressions `${...}`.

Every string leaf is compiled once, when the template is loaded:
- a leaf without `<<` is a constant;
- a leaf that is exactly `<<name>>` is a lookup and keeps the input's JSON type;
- a leaf that is exactly one `<<expression>>` is a compiled jinja expression (native value);
- anything else is a compiled jinja template producing text.
Input values are data: they are inserted, never rendered again. The sandbox (`_sandbox`)
bounds what a leaf may cost: an excess is a render error naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError

from connector._errors import FieldError, RenderError
from connector._limits import LimitError, charged, with_budget
from connector._sandbox import BoundedSandbox, stream

MISSING: Final = object()
"""Returned for a leaf `<<name>>` whose input was not given: its body field is left out."""

_NAME = re.compile(r"^<<\s*((?:body\.)?[A-Za-z_][A-Za-z0-9_]*)\s*>>$")
"""`<<name>>`, or `<<body.name>>`: a body field whose name is also a parameter's, read from
the flat input key `body.name` (not an attribute of an input `body`)."""
_ONE_EXPRESSION = re.compile(r"^<<(?P<expr>(?:(?!<<|>>).)*)>>$", re.DOTALL)


def _make_environment() -> BoundedSandbox:
    env = BoundedSandbox(
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        line_statement_prefix=None,
        line_comment_prefix=None,
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        cache_size=0,
    )
    env.globals.clear()  # no range(), lipsum(), cycler(), dict(), namespace()
    return env


ENVIRONMENT: Final = _make_environment()

Context = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Leaf:
    """One compiled string leaf: `render(context)` returns its value, or MISSING."""

    path: str
    variables: frozenset[str]
    render: Callable[[Context], Any]
    simple: str | None = None
    """The input name when the leaf is exactly `<<name>>`."""
    constant: bool = False

    @property
    def is_constant(self) -> bool:
        return self.constant


def has_syntax(text: str) -> bool:
    """True when `text` holds any of our delimiters (`<<`, `<%`, `<#`)."""
    return "<<" in text or "<%" in text or "<#" in text


def compile_leaf(text: str, path: str) -> Leaf:
    """Compile one string leaf of a template; `path` names it in errors."""
    if not has_syntax(text):
        return Leaf(path, frozenset(), lambda _context: text, constant=True)
    simple = _NAME.match(text)
    if simple:
        name = simple.group(1)
        return Leaf(path, frozenset({name}), lambda context: context.get(name, MISSING), name)
    try:
        ast = ENVIRONMENT.parse(text)
        variables = frozenset(meta.find_undeclared_variables(ast))
        one = _ONE_EXPRESSION.match(text)
        if one:
            expression = ENVIRONMENT.compile_expression(one.group("expr"), undefined_to_none=False)
            return Leaf(path, variables, _native(expression, path, variables))
        parts = _substitution_parts(ast)
        if parts is not None:
            names = frozenset(text for is_name, text in parts if is_name)
            return Leaf(path, names, _substitute(parts, path))
        template = ENVIRONMENT.from_string(ast)
    except TemplateSyntaxError as exc:
        raise _compile_error(path, "template syntax error", exc.message or "") from None
    except LimitError as exc:
        raise _compile_error(path, "template not allowed", str(exc)) from None
    except (RecursionError, ValueError, OverflowError, MemoryError):
        # a number literal past Python's digit limit, or nesting past the parser's depth
        message = "the expression is too large or nested too deeply"
        raise _compile_error(path, "template syntax error", message) from None
    return Leaf(
        path, variables, _guarded(lambda ctx: stream(template.generate(ctx)), path, variables)
    )


def _compile_error(path: str, message: str, detail: str) -> RenderError:
    return RenderError(message, field_errors=[FieldError(field=path, message=detail)])


def _substitution_parts(ast: nodes.Template) -> list[tuple[bool, str]] | None:
    """`[(is_name, text)]` when the leaf is plain text and `<<name>>` only, else None."""
    parts: list[tuple[bool, str]] = []
    for output in ast.body:
        if not isinstance(output, nodes.Output):
            return None
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                parts.append((False, node.data))
            elif isinstance(node, nodes.Name):
                parts.append((True, node.name))
            elif _is_body_field(node):
                parts.append((True, f"body.{node.attr}"))  # type: ignore[attr-defined]
            else:
                return None
    return parts


def _is_body_field(node: nodes.Node) -> bool:
    """`body.name` in a leaf: the flat input key `body.name`."""
    return (
        isinstance(node, nodes.Getattr)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "body"
    )


def _substitute(parts: list[tuple[bool, str]], path: str) -> Callable[[Context], str]:
    """Plain substitution without the jinja runtime: same text, a fraction of the cost."""

    def render(context: Context) -> str:
        try:
            return stream([str(context[text]) if is_name else text for is_name, text in parts])
        except KeyError as exc:
            message = f"input '{exc.args[0]}' is not given"
        except LimitError as exc:
            message = str(exc)
        raise RenderError("cannot render", field_errors=[FieldError(field=path, message=message)])

    return render


def _native(expression: Callable[..., Any], path: str, variables: frozenset[str]) -> Any:
    def render(context: Context) -> Any:
        value = _guarded(lambda ctx: expression(**ctx), path, variables)(context)
        if isinstance(value, Undefined):
            message = "the expression is undefined (no such attribute, or refused by the sandbox)"
            error = FieldError(field=path, message=message)
            raise RenderError("cannot render", field_errors=[error])
        return value

    return render


def _guarded(
    function: Callable[[Context], Any], path: str, variables: frozenset[str]
) -> Callable[[Context], Any]:
    def render(context: Context) -> Any:
        try:
            return with_budget(lambda: charged(function(context)))
        except LimitError as exc:
            message = str(exc)
        except UndefinedError:
            missing = sorted(name for name in variables if name not in context)
            names = ", ".join(f"'{name}'" for name in missing) or "a variable"
            message = f"input {names} is not given"
        except SecurityError:
            message = "the expression is not allowed in the sandbox"
        except RecursionError:
            message = "the expression is nested too deeply"
        except Exception as exc:  # noqa: BLE001 - a filter's own failure, reported by field
            message = f"the expression failed ({type(exc).__name__})"
        raise RenderError("cannot render", field_errors=[FieldError(field=path, message=message)])

    return render


def is_placeholder_only(text: str) -> bool:
    """True when `text` is exactly one placeholder (its value keeps its JSON type)."""
    return bool(_ONE_EXPRESSION.match(text))


def has_logic(text: str) -> bool:
    """True when a leaf holds anything but plain `<<name>>` substitutions (filters, blocks)."""
    ast = ENVIRONMENT.parse(text)
    for output in ast.body:
        if not isinstance(output, nodes.Output):
            return True
        for node in output.nodes:
            if not isinstance(node, nodes.TemplateData | nodes.Name):
                return True
    return False


Node = Callable[[Context, list[FieldError]], Any]
"""A compiled part of a JSON template: `node(context, errors)` returns its value."""


def compile_json(value: Any, path: str, leaves: list[Leaf]) -> Node:
    """Compile every string leaf of a parsed JSON template once; `leaves` collects them.

    Raises:
        RenderError: a leaf does not compile, with its field path.
    """
    if isinstance(value, str):
        leaf = compile_leaf(value, path or "body")
        leaves.append(leaf)
        return _leaf_node(leaf)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            child = compile_json(item, _join(path, key), leaves)
            simple = leaves[-1].simple if isinstance(item, str) else None
            items.append((key, simple, child))
        return _object_node(items)
    if isinstance(value, list):
        children = [compile_json(item, _join(path, str(i)), leaves) for i, item in enumerate(value)]
        return _array_node(children, path)
    return lambda _context, _errors: value


def _leaf_node(leaf: Leaf) -> Node:
    if leaf.is_constant:
        constant = leaf.render({})
        return lambda _context, _errors: constant

    def node(context: Context, errors: list[FieldError]) -> Any:
        try:
            return leaf.render(context)
        except RenderError as exc:
            errors.extend(exc.field_errors)
            return MISSING

    return node


def _object_node(items: list[tuple[str, str | None, Node]]) -> Node:
    """An object whose `<<name>>` members are looked up inline (the common, hot case)."""

    def node(context: Context, errors: list[FieldError]) -> Any:
        result = {}
        get = context.get
        for key, name, child in items:
            value = get(name, MISSING) if name is not None else child(context, errors)
            if value is not MISSING:
                result[key] = value
        return result

    return node


def _array_node(nodes: list[Node], path: str) -> Node:
    def node(context: Context, errors: list[FieldError]) -> Any:
        result = []
        for index, child in enumerate(nodes):
            value = child(context, errors)
            if value is MISSING:
                errors.append(
                    FieldError(field=_join(path, str(index)), message="input is not given")
                )
            result.append(value)
        return result

    return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
