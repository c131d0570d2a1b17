"""A loaded task: its template compiled once, and `prepare()` = render + validate.

`prepare()` turns task input parameters into a `PreparedRequest` or raises `InputError`
listing every problem at once. Nothing here touches the network.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from connector._credentials import Redactor, resolve_credential
from connector._errors import FieldError, InputError, RenderError, TemplateError
from connector._render import MISSING, Leaf, compile_leaf
from connector._request import PreparedRequest
from connector._schema import BodyValidator, non_json_values
from connector._template import Parameter, TaskTemplate

ENGINE_KEY_PREFIXES = ("swf:",)
"""Keys a workflow engine adds to every task input; they are not ours to check."""

_Node = Callable[[Mapping[str, Any], list[FieldError]], Any]


class Task:
    """A task template, compiled: render and validate its request for given inputs."""

    def __init__(self, template: TaskTemplate, *, source: str = "") -> None:
        self.template = template
        self.name = template.name
        self.source = source or template.name
        self._url = self._compile(template.http_request.url, "httpRequest.url")
        self._servers = {
            name: self._compile(url, f"servers.{name}") for name, url in template.servers.items()
        }
        self._headers = {
            name: self._compile(value, f"httpRequest.headers.{name}")
            for name, value in template.http_request.headers.items()
        }
        self._leaves: list[Leaf] = []
        self._body = self._compile_json(template.http_request.body, "")
        self._validator = BodyValidator(template.body_schema) if template.body_schema else None
        self.variables = frozenset().union(
            self._url.variables,
            *(leaf.variables for leaf in self._servers.values()),
            *(leaf.variables for leaf in self._headers.values()),
            *(leaf.variables for leaf in self._leaves),
            template.parameters,
        )
        self._check_auth_not_written_in()
        self._constant_headers = (
            {name: leaf.render({}) for name, leaf in self._headers.items()}
            if all(leaf.is_constant for leaf in self._headers.values())
            else None
        )
        self._plans: dict[tuple[str | None, str | None], tuple[list[Leaf], list[str]]] = {}

    # -- compile ------------------------------------------------------------------------

    def _compile(self, text: str, path: str) -> Leaf:
        try:
            return compile_leaf(text, path)
        except RenderError as exc:
            raise TemplateError(
                f"{self.source}: {exc.message}", task=self.name, field_errors=exc.field_errors
            ) from None

    def _compile_json(self, value: Any, path: str) -> _Node:
        if isinstance(value, str):
            leaf = self._compile(value, path or "body")
            self._leaves.append(leaf)
            return _leaf_node(leaf)
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                child = self._compile_json(item, _join(path, key))
                items.append((key, self._leaves[-1].simple if _is_simple(item) else None, child))
            return _object_node(items)
        if isinstance(value, list):
            nodes = [self._compile_json(item, _join(path, str(i))) for i, item in enumerate(value)]
            return _array_node(nodes, path)
        return lambda _context, _errors: value

    def _check_auth_not_written_in(self) -> None:
        declared = {scheme.header.lower() for scheme in self.template.auth}
        for name in self.template.http_request.headers:
            if name.lower() in declared | {"authorization", "reb-apikey"}:
                raise TemplateError(
                    f"{self.source}: credentials are declared in 'auth', never written in",
                    task=self.name,
                    field_errors=[
                        FieldError(field=f"httpRequest.headers.{name}", message="remove it")
                    ],
                )

    # -- prepare ------------------------------------------------------------------------

    def prepare(
        self,
        inputs: Mapping[str, Any],
        *,
        environment: str | None = "sandbox",
        base_url: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> PreparedRequest:
        """Render and validate the request for `inputs`; nothing is sent.

        Args:
            inputs: the task input parameters (what the engine's Test request takes).
            environment: a key of the template's `servers` (sandbox, live, local).
            base_url: replaces the environment's base URL (the part before the path).
            environ: where credentials and parameter defaults are read; `os.environ` if None.

        Raises:
            InputError: with every field error, when anything is invalid.
        """
        environ = os.environ if environ is None else environ
        errors: list[FieldError] = []
        context = self._context(inputs, environ, errors)
        url = self._render_url(context, environment, base_url, errors)
        headers = self._render_headers(context, errors)
        body, content = self.build_body(context, errors)
        if errors:
            raise InputError(
                f"invalid input ({_count(errors)})", task=self.name, field_errors=errors
            )
        credential = resolve_credential(self.template.auth, environ)
        return PreparedRequest(
            task=self.name,
            method=self.template.http_request.method,
            url=url,
            headers=headers,
            body=body,
            content=content,
            warnings=tuple(self._warnings(body, credential is not None, environment, base_url)),
            credential=credential,
            redactor=Redactor.for_credential(credential, self.template.auth),
        )

    def build_body(
        self, context: Mapping[str, Any], errors: list[FieldError]
    ) -> tuple[Any, bytes | None]:
        """Render the body, validate it and serialise it; problems go to `errors`."""
        before = len(errors)
        body = self._body(context, errors)
        body = None if body is MISSING else body
        if len(errors) > before:
            return body, None
        content, problems = self._check_body(body)
        errors.extend(problems)
        return body, content

    def _check_body(self, body: Any) -> tuple[bytes | None, list[FieldError]]:
        """The serialised body, or the problems that stop it from being sent."""
        if body is None:
            content = None
        else:
            try:
                content = _serialise(body)
            except (TypeError, ValueError):  # NaN, Infinity or a non-JSON object: find where
                return None, list(non_json_values(body)) or [_NOT_JSON]
        problems = self._validator.schema_errors(body) if self._validator is not None else []
        return content, problems

    def _context(
        self, inputs: Mapping[str, Any], environ: Mapping[str, str], errors: list[FieldError]
    ) -> dict[str, Any]:
        if not isinstance(inputs, Mapping):
            errors.append(FieldError(field="", message="the task input must be a JSON object"))
            return {}
        context = dict(inputs)
        for name in context.keys() - self.variables:
            if str(name).startswith(ENGINE_KEY_PREFIXES):
                del context[name]
                continue
            hint = _did_you_mean(str(name), sorted(self.variables))
            errors.append(FieldError(field=str(name), message=f"unknown input parameter{hint}"))
        for name, parameter in self.template.parameters.items():
            if name not in context and parameter.env and environ.get(parameter.env):
                context[name] = environ[parameter.env]
        return context

    def _render_url(
        self,
        context: Mapping[str, Any],
        environment: str | None,
        base_url: str | None,
        errors: list[FieldError],
    ) -> str:
        leaves, names = self._url_plan(environment, base_url)
        path_context: dict[str, str] = {}
        known_errors = len(errors)
        for name in names:
            path_context[name] = self._path_segment(name, context.get(name, MISSING), errors)
        if len(errors) > known_errors:
            return ""
        url = "".join(_render_text(leaf, path_context, errors) for leaf in leaves)
        parts = urlsplit(url)
        if not errors and (parts.scheme not in {"http", "https"} or not parts.netloc):
            errors.append(FieldError(field="url", message=f"{url!r} is not an http(s) URL"))
        return url

    def _url_plan(
        self, environment: str | None, base_url: str | None
    ) -> tuple[list[Leaf], list[str]]:
        """The leaves that make the URL, and the path variables they read (cached)."""
        key = (environment, base_url)
        plan = self._plans.get(key)
        if plan is None:
            base = self._base_leaf(environment, base_url)
            absolute = _is_absolute(self.template.http_request.url)
            leaves = [self._url] if absolute else [base, self._url]
            plan = leaves, sorted(frozenset().union(*(leaf.variables for leaf in leaves)))
            if len(self._plans) < 64:
                self._plans[key] = plan
        return plan

    def _base_leaf(self, environment: str | None, base_url: str | None) -> Leaf:
        if base_url is not None:
            return self._compile(base_url.rstrip("/"), "baseUrl")
        if environment not in self._servers:
            known = ", ".join(self._servers) or "none"
            raise InputError(
                f"unknown environment {environment!r} (known: {known}); give a base URL instead",
                task=self.name,
            )
        return self._servers[environment]

    def _path_segment(self, name: str, value: Any, errors: list[FieldError]) -> str:
        parameter = self.template.parameters.get(name, _ANY_SEGMENT)
        if value is MISSING or value is None or value == "":
            env = f" (or set {parameter.env})" if parameter.env else ""
            errors.append(FieldError(field=name, message=f"is required{env}"))
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            errors.append(FieldError(field=name, message="must be a string"))
            return ""
        schema = parameter.json_schema
        encoded, problems = _segment(
            str(value),
            schema.get("maxLength", 2048),
            schema.get("minLength", 1),
            schema.get("pattern"),
        )
        errors.extend(FieldError(field=name, message=problem) for problem in problems)
        return encoded

    def _render_headers(
        self, context: Mapping[str, Any], errors: list[FieldError]
    ) -> dict[str, str]:
        if self._constant_headers is not None:
            return dict(self._constant_headers)
        headers = {}
        for name, leaf in self._headers.items():
            value = _render_text(leaf, context, errors)
            if "\r" in value or "\n" in value:
                errors.append(FieldError(field=f"headers.{name}", message="contains a line break"))
            headers[name] = value
        return headers

    def _warnings(
        self, body: Any, authenticated: bool, environment: str | None, base_url: str | None
    ) -> Iterator[str]:
        if self._validator is not None:
            yield from self._validator.warnings(body)
        if not authenticated and self.template.auth:
            names = " or ".join(scheme.env for scheme in self.template.auth)
            yield f"no credentials configured: set {names}"
        if environment == "live" and base_url is None:
            yield "environment 'live': this request moves real money"

    # -- describe -----------------------------------------------------------------------

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the task input parameters, derived from the template."""
        return input_schema(self.template)

    def __repr__(self) -> str:
        request = self.template.http_request
        return f"<Task {self.name} {request.method} {request.url}>"


_ANY_SEGMENT = Parameter.model_validate({"in": "path"})
_NOT_JSON = FieldError(field="", message="the body is not JSON")


def _leaf_node(leaf: Leaf) -> _Node:
    if leaf.is_constant:
        constant = leaf.render({})
        return lambda _context, _errors: constant

    def node(context: Mapping[str, Any], errors: list[FieldError]) -> Any:
        try:
            return leaf.render(context)
        except RenderError as exc:
            errors.extend(exc.field_errors)
            return MISSING

    return node


def _object_node(items: list[tuple[str, str | None, _Node]]) -> _Node:
    """An object whose `<<name>>` members are looked up inline (the common, hot case)."""

    def node(context: Mapping[str, Any], errors: list[FieldError]) -> Any:
        result = {}
        get = context.get
        for key, name, child in items:
            value = get(name, MISSING) if name is not None else child(context, errors)
            if value is not MISSING:
                result[key] = value
        return result

    return node


def _is_simple(value: Any) -> bool:
    return isinstance(value, str) and compile_leaf(value, "").simple is not None


def _array_node(nodes: list[_Node], path: str) -> _Node:
    def node(context: Mapping[str, Any], errors: list[FieldError]) -> Any:
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


def _render_text(leaf: Leaf, context: Mapping[str, Any], errors: list[FieldError]) -> str:
    try:
        value = leaf.render(context)
    except RenderError as exc:
        errors.extend(exc.field_errors)
        return ""
    if value is MISSING:
        errors.append(FieldError(field=leaf.simple or leaf.path, message="is required"))
        return ""
    return value if isinstance(value, str) else json.dumps(value)


@functools.lru_cache(maxsize=1024)
def _segment(
    text: str, max_length: int, min_length: int, pattern: str | None
) -> tuple[str, tuple[str, ...]]:
    """A path value percent-encoded as one segment, and what is wrong with it."""
    problems = tuple(_segment_problems(text, max_length, min_length, pattern))
    return quote(text, safe="@~"), problems


def _segment_problems(
    text: str, max_length: int, min_length: int, pattern: str | None
) -> Iterator[str]:
    if text in {".", ".."}:
        yield f"{text!r} is not a valid path segment"
    if len(text) > max_length:
        yield f"is longer than {max_length} characters"
    if len(text) < min_length:
        yield "is too short"
    if pattern and not _ascii_pattern(pattern).search(text):
        yield f"{text!r} does not match {pattern} (letters, digits and _ @ ~ - . only)"


@functools.lru_cache(maxsize=32)
def _ascii_pattern(pattern: str) -> re.Pattern[str]:
    """Path-segment patterns are read as ECMA-262 reads them: `\\w` is ASCII."""
    return re.compile(pattern, re.ASCII)


def _serialise(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _is_absolute(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _count(errors: list[FieldError]) -> str:
    return "1 problem" if len(errors) == 1 else f"{len(errors)} problems"


def _did_you_mean(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def input_schema(template: TaskTemplate) -> dict[str, Any]:
    """Each parameter's schema, and for each body leaf `<<name>>` the schema of its field."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, parameter in template.parameters.items():
        properties[name] = {**parameter.json_schema, "description": parameter.description}
        if parameter.required and not parameter.env:
            required.append(name)
    body_schema = template.body_schema or {}
    for path, name in _simple_leaves(template.http_request.body, ()):
        schema, is_required = _schema_at(body_schema, path)
        properties.setdefault(name, schema)
        if is_required and name not in required:
            required.append(name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": template.title,
        "type": "object",
        "properties": properties,
        "required": required,
    }


def _simple_leaves(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, str):
        leaf = compile_leaf(value, ".".join(path))
        if leaf.simple:
            yield path, leaf.simple
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _simple_leaves(item, (*path, key))


def _schema_at(schema: Mapping[str, Any], path: tuple[str, ...]) -> tuple[dict[str, Any], bool]:
    node, required = schema, True
    for key in path:
        required = required and key in node.get("required", [])
        node = node.get("properties", {}).get(key, {})
    return dict(node), required
