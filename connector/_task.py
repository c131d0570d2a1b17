"""A loaded task: its template compiled once, and `prepare()` = render + validate.

`prepare()` turns task input parameters into a `PreparedRequest` or raises `InputError`
listing every problem at once. Nothing here touches the network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from connector._body import (
    EncodedBody,
    FileReader,
    body_kind,
    declared_content_type,
    encode_body,
    schema_view,
    set_content_type,
)
from connector._credentials import Redactor, looks_secret
from connector._environment import declaration_errors, read_variable
from connector._errors import FieldError, InputError, RenderError, TemplateError, UsageError
from connector._hosts import is_absolute
from connector._json import json_kind
from connector._json import problems as input_problems
from connector._parameters import ParameterPlan
from connector._render import MISSING, Leaf, compile_json, compile_leaf
from connector._request import PreparedRequest
from connector._schema import BodyValidator, input_schema, non_json_values
from connector._suggest import did_you_mean, shown
from connector._template import ServerVariable, TaskTemplate
from connector.auth import Credentials, HostPolicy

ENGINE_KEY_PREFIXES = ("swf:",)
"""Keys a workflow engine adds to every task input; they are not ours to check."""


class Task:
    """A task template, compiled: render and validate its request for given inputs."""

    def __init__(self, template: TaskTemplate, *, source: str = "") -> None:
        self.template = template
        self.name = template.name
        self._api = template.operation.api if template.operation else None
        self.source = source or template.name
        self._url = self._compile(template.http_request.url, "httpRequest.url")
        self._servers = {
            name: self._compile(url, f"servers.{name}") for name, url in template.base_urls.items()
        }
        self._headers = {
            name: self._compile(value, f"httpRequest.headers.{name}")
            for name, value in template.http_request.headers.items()
        }
        self._leaves: list[Leaf] = []
        try:
            self._body = compile_json(template.http_request.body, "", self._leaves)
        except RenderError as exc:
            raise TemplateError(
                f"{self.source}: {exc.message}", task=self.name, field_errors=exc.field_errors
            ) from None
        self._validator = BodyValidator(template.body_schema) if template.body_schema else None
        self._parameters = ParameterPlan(template.parameters)
        self.content_type = declared_content_type(template.http_request)
        self._kind = body_kind(self.content_type)
        self.variables = frozenset().union(
            self._url.variables,
            *(leaf.variables for leaf in self._servers.values()),
            *(leaf.variables for leaf in self._headers.values()),
            *(leaf.variables for leaf in self._leaves),
            template.parameters,
        )
        self._secret_parameters = [
            key
            for key, p in template.parameters.items()
            if p.location != "path" and looks_secret(p.name or key, p.description)
        ]
        self._secret_headers = [
            template.parameters[key].name or key
            for key in self._secret_parameters
            if template.parameters[key].location == "header"
        ]
        self._check_auth_not_written_in()
        self._check_environment()
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

    def _check_environment(self) -> None:
        errors = declaration_errors(self.template)
        if errors:
            raise TemplateError(
                f"{self.source}: a template reads only the environment variables it declares, "
                "and never a credential",
                task=self.name,
                field_errors=errors,
            )

    def _check_auth_not_written_in(self) -> None:
        declared = {name.lower() for name in self.template.auth.header_names()}
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
        allow_hosts: Iterable[str] = (),
        read_file: FileReader | None = None,
    ) -> PreparedRequest:
        """Render and validate the request for `inputs`; nothing is sent.

        Args:
            inputs: the task input parameters (what the engine's Test request takes).
            environment: a key of the template's `servers` (sandbox, live, local).
            base_url: replaces the environment's base URL (the part before the path).
            environ: where credentials and parameter defaults are read; `os.environ` if None.
            allow_hosts: hosts a credential may go to besides its bound hosts (as
                `--allow-host`; `CONNECTOR_ALLOWED_HOSTS` in `environ` adds more).
            read_file: reads a file part given as `{"path": ...}`; None refuses paths.

        Raises:
            InputError: with every field error, when anything is invalid.
            CredentialHostError: a credential would go to a host it is not bound to.
        """
        environ = os.environ if environ is None else environ
        errors = _shape_problems(inputs)
        if errors:  # nothing else can be checked
            raise InputError(
                f"invalid input ({_count(errors)})", task=self.name, field_errors=errors
            )
        policy = HostPolicy.from_environ(environ, allow_hosts)
        context = self._context(inputs, environ, errors, policy)
        wire = self._parameters.wire(context, errors)
        url = self._render_url(context, environment, base_url, wire.query, errors)
        headers = self._render_headers(context, errors)
        if wire.headers:
            headers.update(wire.headers)
        body, encoded = self.build_body(context, errors, read_file)
        if encoded is not None:
            set_content_type(headers, encoded.content_type)
        if errors:
            raise InputError(
                f"invalid input ({_count(errors)})", task=self.name, field_errors=errors
            )
        credentials = self.template.auth.resolve(environ)
        if credentials:
            policy.check(credentials, url, task=self.name, api=self._api)
        return PreparedRequest(
            task=self.name,
            method=self.template.http_request.method,
            url=url,
            headers=headers,
            body=body,
            content=encoded.content if encoded is not None else None,
            encoded=encoded,
            responses=self.template.responses,
            warnings=(
                *wire.warnings,
                *self._warnings(body, bool(credentials), environment, base_url),
            ),
            auth=credentials,
            redactor=self._redactor(credentials, context),
        )

    def _redactor(self, credentials: Credentials, context: Mapping[str, Any]) -> Redactor:
        """Masks the credentials, and the values of plain parameters that hold a secret (a
        hand-written template's `token` header: shown nowhere, though sent as written)."""
        redactor = Redactor.for_credentials(
            credentials, [*self.template.auth.header_names(), *self._secret_headers]
        )
        values = [context.get(key) for key in self._secret_parameters]
        redactor.add(*(str(v) for v in values if isinstance(v, str | int) and str(v)))
        return redactor

    def build_body(
        self,
        context: Mapping[str, Any],
        errors: list[FieldError],
        read_file: FileReader | None = None,
    ) -> tuple[Any, EncodedBody | None]:
        """Render the body, validate it, then encode it; problems go to `errors`."""
        before = len(errors)
        body = self._body(context, errors)
        body = None if body is MISSING else body
        if len(errors) > before:
            return body, None
        if body is None:
            errors.extend(self._schema_errors(None))
            return None, None
        encoding = self.template.http_request.encoding
        if self._kind == "json":  # encoding first: it finds NaN and Infinity fastest
            encoded = encode_body(body, self.content_type, encoding, errors)
            errors.extend(self._schema_errors(body) if encoded is not None else [])
        else:
            problems = list(non_json_values(body)) or self._schema_errors(schema_view(body))
            errors.extend(problems)
            encoded = None
            if not problems:
                encoded = encode_body(
                    body, self.content_type, encoding, errors, read_file=read_file
                )
        if encoded is not None and len(encoded.content) > self.template.max_body_bytes:
            message = (
                f"the encoded body is {len(encoded.content)} bytes, over the "
                f"{self.template.max_body_bytes} of maxBodyBytes"
            )
            errors.append(FieldError(field="body", message=message))
        return body, encoded

    def _schema_errors(self, body: Any) -> list[FieldError]:
        return self._validator.schema_errors(body) if self._validator is not None else []

    def _context(
        self,
        inputs: Mapping[str, Any],
        environ: Mapping[str, str],
        errors: list[FieldError],
        policy: HostPolicy,
    ) -> dict[str, Any]:
        context = dict(inputs)
        for name in context.keys() - self.variables:
            if str(name).startswith(ENGINE_KEY_PREFIXES):
                del context[name]
                continue
            hint = did_you_mean(str(name), sorted(self.variables))
            errors.append(
                FieldError(field=shown(str(name)), message=f"unknown input parameter{hint}")
            )
        for name, parameter in self.template.parameters.items():
            if name in context or not parameter.env:
                continue
            value = read_variable(
                name, parameter.env, environ, errors, is_credential=policy.is_credential
            )
            if value is not None:
                context[name] = value
        return context

    def _render_url(
        self,
        context: Mapping[str, Any],
        environment: str | None,
        base_url: str | None,
        query: str,
        errors: list[FieldError],
    ) -> str:
        leaves, names = self._url_plan(environment, base_url)
        server = self.template.server(environment or "") if base_url is None else None
        variables = server.variables if server is not None else {}
        path_context: dict[str, str] = {}
        known_errors = len(errors)
        for name in names:
            if name in variables and name not in self.template.parameters:
                value = _server_variable(name, variables[name], context.get(name), errors)
            else:
                value = self._parameters.value(name, context, errors)
            if value is not MISSING:
                path_context[name] = self._parameters.path(name, value, errors)
        if len(errors) > known_errors:
            return ""
        url = "".join(_render_text(leaf, path_context, errors) for leaf in leaves)
        if query:
            url += ("&" if "?" in url else "?") + query
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
            absolute = is_absolute(self.template.http_request.url)
            # An absolute URL needs no environment (an imported engine task has none).
            leaves = (
                [self._url] if absolute else [self._base_leaf(environment, base_url), self._url]
            )
            plan = leaves, sorted(frozenset().union(*(leaf.variables for leaf in leaves)))
            if len(self._plans) < 64:
                self._plans[key] = plan
        return plan

    def _base_leaf(self, environment: str | None, base_url: str | None) -> Leaf:
        if base_url is not None:
            return self._compile(base_url.rstrip("/"), "baseUrl")
        if environment not in self._servers:
            known = ", ".join(self._servers) or "none"
            raise UsageError(
                f"unknown environment {environment!r} (known: {known}); give a base URL instead",
                task=self.name,
            )
        return self._servers[environment]

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
        if not authenticated and self.template.auth.required:
            yield f"no credentials configured: set {self.template.auth.missing()}"
        if environment == "live" and base_url is None:
            yield "environment 'live': this request moves real money"

    # -- describe -----------------------------------------------------------------------

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the task input parameters, derived from the template."""
        return input_schema(self.template)

    def __repr__(self) -> str:
        request = self.template.http_request
        return f"<Task {self.name} {request.method} {request.url}>"


def _server_variable(
    name: str, variable: ServerVariable, value: Any, errors: list[FieldError]
) -> Any:
    """A server variable's value: the input, or its default; one of its `enum` if it has one."""
    if value is None:
        return variable.default
    if variable.enum is not None and value not in variable.enum:
        errors.append(FieldError(field=name, message=f"must be one of: {', '.join(variable.enum)}"))
    return value


def _shape_problems(inputs: object) -> list[FieldError]:
    """An input that is not a JSON object, or holds what no request can carry."""
    if not isinstance(inputs, Mapping):
        message = f"the task input must be a JSON object, not {json_kind(inputs)}"
        return [FieldError(field="", message=message)]
    return list(input_problems(inputs))


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


def _count(errors: list[FieldError]) -> str:
    return "1 problem" if len(errors) == 1 else f"{len(errors)} problems"
