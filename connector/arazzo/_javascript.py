"""Criteria, outputs and action chains of a step written as the JavaScript an engine's INLINE
task evaluates (Conductor's `graaljs`), with the same semantics as `_conditions`.

The script sees `$.response` (the HTTP task's `response`: statusCode, headers, body),
`$.inputs` (the workflow input), `$.steps` (the workflow variables: each finished step's
outputs), `$.tries` (this step's retries so far) and `$.jp0…` (JSONPath criteria, given to
the engine's own JSONPath in the task's inputs). What it cannot say exactly is refused with
the field named (`unsupported`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Final

from connector._errors import FieldError, TemplateError
from connector.arazzo._conditions import Binary, Literal, Node, Not, Read, compile_condition
from connector.arazzo._criteria import criterion_kind
from connector.arazzo._expressions import Expression, embedded, parse
from connector.arazzo._model import Criterion

__all__ = ["HELPERS", "JsonPaths", "accessor", "criteria_js", "literal", "unsupported"]

HELPERS: Final = (
    "function get(v,p){for(var i=0;i<p.length;i++){if(v===null||v===undefined)return null;"
    "v=v[p[i]];}return v===undefined?null:v;}"
    "function truthy(v){return v!==null&&v!==undefined&&v!==false&&v!==''&&v!==0;}"
    "function num(v){return typeof v==='string'&&v.trim()!==''&&!isNaN(Number(v))?Number(v):v;}"
    "function cmp(a,op,b){var an=a===null||a===undefined,bn=b===null||b===undefined;"
    "if(an||bn){return op==='=='?(an&&bn):op==='!='?!(an&&bn):false;}"
    "if(typeof a==='number'||typeof b==='number'){a=num(a);b=num(b);}"
    "if(typeof a==='string'&&typeof b==='string'){a=a.toLowerCase();b=b.toLowerCase();}"
    "if(typeof a==='object')a=JSON.stringify(a);if(typeof b==='object')b=JSON.stringify(b);"
    "switch(op){case '==':return a===b;case '!=':return a!==b;case '<':return a<b;"
    "case '<=':return a<=b;case '>':return a>b;case '>=':return a>=b;}return false;}"
    "function hdr(n){var h=($.response||{}).headers||{};for(var k in h){if(k.toLowerCase()===n)"
    "{var v=h[k];return Array.isArray(v)?v[0]:v;}}return null;}"
    "function some(v){return v!==null&&v!==undefined&&!(Array.isArray(v)&&v.length===0);}"
)
_FUNCTIONS: Final = re.compile(r"\b(count|length|match|search|value)\s*\(")


def unsupported(field: str, message: str) -> TemplateError:
    """What the engine cannot express, named by its field."""
    return TemplateError(
        "the workflow cannot be exported", field_errors=[FieldError(field=field, message=message)]
    )


def literal(value: object) -> str:
    """A JSON value as a JavaScript literal."""
    return json.dumps(value)


def accessor(expression: Expression, field: str) -> str:
    """The JavaScript that reads a runtime expression in the decide script."""
    pointer = [
        p.replace("~1", "/").replace("~0", "~") for p in (expression.pointer or "").split("/")[1:]
    ]
    path = [*pointer, *expression.tail]
    if expression.root == "statusCode":
        return "get($.response,['statusCode'])"
    if expression.root == "exchange" and expression.side == "response":
        if expression.at == "header":
            return f"hdr({literal(expression.name.lower())})"
        if expression.at == "body":
            return f"get($.response,{literal(['body', *path])})"
    if expression.root == "inputs":
        return f"get($.inputs,{literal([expression.name, *path])})"
    if expression.root == "outputs":
        return f"get($.outputs,{literal([expression.name, *path])})"
    if expression.root == "steps":
        return f"get($.steps,{literal([expression.id, expression.name, *path])})"
    raise unsupported(field, f"{expression.source}: not readable by the engine's script")


class JsonPaths:
    """JSONPath criteria handed to the engine's own JSONPath, one task input each."""

    def __init__(self, body: Callable[[str], str]) -> None:
        self._body = body
        self.inputs: dict[str, str] = {}
        self.used = False

    def add(self, criterion: Criterion, field: str) -> str:
        """The input name the criterion's result is read from."""
        query = criterion.condition.strip()
        if criterion.context != "$response.body" or list(embedded(query)):
            raise unsupported(
                field,
                "a jsonpath criterion is exported only on $response.body, without {$…} inside",
            )
        if _FUNCTIONS.search(query):
            raise unsupported(
                field,
                "RFC 9535 functions (count, length, match, search, value) "
                "have no equivalent in the engine's JSONPath",
            )
        name = f"jp{len(self.inputs)}"
        self.inputs[name] = self._body(_engine_path(query))
        self.used = True
        return f"some($.{name})"


def _engine_path(query: str) -> str:
    """An RFC 9535 query's tail in the engine's JSONPath (`?expr` written as `?(expr)`)."""
    tail = query.removeprefix("$")
    return re.sub(r"\[\?(?!\()(.*)\]$", r"[?(\1)]", tail)


def criteria_js(criteria: list[Criterion], field: str, paths: JsonPaths) -> str:
    """All criteria as one JavaScript boolean expression (`true` when there are none)."""
    parts = [_criterion(c, f"{field}/{i}", paths) for i, c in enumerate(criteria)]
    return " && ".join(f"({part})" for part in parts) or "true"


def _criterion(criterion: Criterion, field: str, paths: JsonPaths) -> str:
    try:
        kind = criterion_kind(criterion.type)
    except ValueError as exc:
        raise unsupported(field, str(exc)) from None
    if kind == "simple":
        return _node(compile_condition(criterion.condition).tree, field)
    if kind == "jsonpath":
        return paths.add(criterion, field)
    context = accessor(parse(criterion.context or ""), field)
    pattern = _pattern(criterion.condition, field)
    test = "typeof c==='string'?c:JSON.stringify(c)"
    return f"(function(c){{return c!==null&&new RegExp({pattern}).test({test});}})({context})"


def _pattern(condition: str, field: str) -> str:
    pieces, rest = [], condition
    for text in embedded(condition):
        before, _, rest = rest.partition("{" + text + "}")
        pieces += [literal(before), f"String({accessor(parse(text), field)})"]
    pieces.append(literal(rest))
    return "+".join(pieces)


def _node(node: Node, field: str) -> str:
    if isinstance(node, Literal):
        return literal(node.value)
    if isinstance(node, Read):
        return accessor(node.expression, field)
    if isinstance(node, Not):
        return f"!truthy({_node(node.operand, field)})"
    if isinstance(node, Binary) and node.op in {"&&", "||"}:
        return f"(truthy({_node(node.left, field)}) {node.op} truthy({_node(node.right, field)}))"
    assert isinstance(node, Binary)
    return f"cmp({_node(node.left, field)},{literal(node.op)},{_node(node.right, field)})"
