"""Converting string leaves between our `<<name>>` placeholders and engine `${…}` expressions.

Both directions go through one token list: literal text and input references. A template
leaf is tokenised with the renderer's own jinja environment (so a leaf with a filter, an
arithmetic expression or a block is refused, never guessed at); an engine string is scanned
for `${…}` expressions, `$${` being an escaped literal `${`. Every conversion is checked by
converting back: what the other side cannot say exactly is an error naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from connector._errors import FieldError, TemplateError
from connector._render import ENVIRONMENT, has_logic

_DELIMITERS = ("<<", "<%", "<#")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text."""

    value: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to one task input parameter."""

    name: str


@dataclass(frozen=True, slots=True)
class Expr:
    """An engine expression that is not a task input reference (kept raw, without `${}`)."""

    source: str


Token = Text | Ref | Expr
Reference = Callable[[str], str]
"""Writes the engine expression body for an input name (`amount` -> `workflow.input.amount`)."""
Resolve = Callable[[str], str | None]
"""Reads an engine expression body back to an input name, or None when it is something else."""


def unsupported(field: str, message: str) -> TemplateError:
    """The error for a value one side cannot express."""
    return TemplateError(
        "cannot be expressed in the other format",
        field_errors=[FieldError(field=field, message=message)],
    )


# -- template side -------------------------------------------------------------------------


def template_tokens(text: str, field: str) -> list[Token]:
    """Our leaf as tokens; a filter, arithmetic or block is refused with the field named."""
    if not any(delimiter in text for delimiter in _DELIMITERS):
        return _merge([Text(text)])
    try:
        if has_logic(text):
            raise unsupported(field, "uses a filter, an expression or a block; only <<name>>")
        ast = ENVIRONMENT.parse(text)
    except TemplateSyntaxError as exc:
        raise unsupported(field, f"template syntax error: {exc.message}") from None
    tokens: list[Token] = []
    for output in ast.body:
        assert isinstance(output, nodes.Output)  # has_logic allows nothing else
        tokens.extend(_token(node) for node in output.nodes)
    return _merge(tokens)


def _token(node: nodes.Node) -> Token:
    if isinstance(node, nodes.Name):
        return Ref(node.name)
    assert isinstance(node, nodes.TemplateData)
    return Text(node.data)


def template_text(tokens: list[Token]) -> str:
    """Tokens written as our leaf text."""
    return "".join(f"<<{t.name}>>" if isinstance(t, Ref) else _text_of(t) for t in tokens)


def _text_of(token: Token) -> str:
    assert isinstance(token, Text)
    return token.value


# -- engine side ---------------------------------------------------------------------------


def engine_tokens(text: str, resolve: Resolve) -> list[Token]:
    """An engine string as tokens: `$${` is a literal `${`, `${…}` an expression."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        if text.startswith("$${", index):
            tokens.append(Text("${"))
            index += 3
        elif text.startswith("${", index) and (end := _closing_brace(text, index + 2)) > 0:
            source = text[index + 2 : end]
            name = resolve(source)
            tokens.append(Expr(source) if name is None else Ref(name))
            index = end + 1
        else:
            tokens.append(Text(text[index]))
            index += 1
    return _merge(tokens)


def engine_text(tokens: list[Token], reference: Reference) -> str:
    """Tokens written as an engine string, literal `${` escaped."""
    parts = []
    for token in tokens:
        if isinstance(token, Ref):
            parts.append("${" + reference(token.name) + "}")
        elif isinstance(token, Expr):
            parts.append("${" + token.source + "}")
        else:
            parts.append(token.value.replace("${", "$${"))
    return "".join(parts)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    return -1


def _merge(tokens: list[Token]) -> list[Token]:
    merged: list[Token] = []
    for token in tokens:
        if isinstance(token, Text) and merged and isinstance(merged[-1], Text):
            merged[-1] = Text(merged[-1].value + token.value)
        elif not (isinstance(token, Text) and not token.value):
            merged.append(token)
    return merged


# -- one leaf, both ways -------------------------------------------------------------------


def to_engine(text: str, field: str, reference: Reference, resolve: Resolve) -> str:
    """Our leaf as an engine string; refused when the engine would read it differently."""
    tokens = template_tokens(text, field)
    result = engine_text(tokens, reference)
    if engine_tokens(result, resolve) != tokens:
        raise unsupported(field, "a literal '$' right before a placeholder cannot be escaped")
    return result


def from_engine(text: str, field: str, resolve: Resolve) -> str:
    """An engine string as our leaf; refused for other expressions or our own delimiters."""
    tokens = engine_tokens(text, resolve)
    for token in tokens:
        if isinstance(token, Expr):
            raise unsupported(field, f"'${{{token.source}}}' is not a task input reference")
    result = template_text(tokens)
    try:
        same = template_tokens(result, field) == tokens
    except TemplateError:
        same = False
    if not same:
        raise unsupported(field, "the text holds '<<', '<%' or '<#', which templates reserve")
    return result


def is_identifier(name: str) -> bool:
    """True for a name that can be a template input (`<<name>>`)."""
    return bool(_IDENTIFIER.match(name))


# -- whole JSON values ---------------------------------------------------------------------


def map_strings(value: Any, field: str, convert: Callable[[str, str], str]) -> Any:
    """Apply `convert(text, field)` to every string leaf of a JSON value (keys untouched)."""
    if isinstance(value, str):
        return convert(value, field)
    if isinstance(value, dict):
        return {key: map_strings(item, _join(field, key), convert) for key, item in value.items()}
    if isinstance(value, list):
        return [map_strings(item, _join(field, str(i)), convert) for i, item in enumerate(value)]
    return value


def escape_literal(value: Any) -> Any:
    """A JSON value made inert for the engine: every `${` in strings and keys escaped."""
    return _replace_text(value, "${", "$${")


def unescape_literal(value: Any) -> Any:
    """The inverse of `escape_literal`."""
    return _replace_text(value, "$${", "${")


def _replace_text(value: Any, old: str, new: str) -> Any:
    """`value` with `old` replaced by `new` in every string, keys included."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {
            _replace_text(key, old, new): _replace_text(item, old, new)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_replace_text(item, old, new) for item in value]
    return value


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key
