"""Parameter serialisation: OpenAPI's `style` and `explode`, byte for byte as its examples.

    path    simple  `blue`  `blue,black`   label `.blue`   matrix `;color=blue`
    query   form `color=blue`  spaceDelimited `color=a%20b`  pipeDelimited `color=a%7Cb`
            deepObject `color%5BR%5D=100`
    header  simple (never percent-encoded; a control character is refused)
    cookie  form (`name=value`, parameters joined with `; `); cookie (OpenAPI 3.2: as form,
            but never percent-encoded, exploded items joined with `; `)
    querystring  the whole query string, one input written by its media type (OpenAPI 3.2):
            form-urlencoded pairs, percent-encoded JSON text, or the text itself

Values are JSON: a scalar (`true`, `1.5` and strings as JSON writes them), an array or an
object. Every value is percent-encoded to RFC 3986's unreserved set; `allowReserved` keeps
the reserved characters that cannot end or split a query (`[ ] # & = +` are still encoded),
and existing `%XX` triples. Combinations the table marks n/a are written as form would write
them. Nested values in deepObject become `a%5Bb%5D%5B0%5D=x`, as the form-body walker does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from connector._errors import FieldError
from connector._paths import path_segment
from connector._render import MISSING
from connector._schema import BodyValidator, non_json_values
from connector._template import Parameter

RESERVED_SAFE: Final = ":/?@!$'()*,;"
"""Reserved characters `allowReserved` leaves as they are (never `[ ] # & = +`)."""

_TRIPLE = re.compile(r"(%[0-9A-Fa-f]{2})")
_DELIMITERS: Final = {"spaceDelimited": "%20", "pipeDelimited": "%7C"}


def scalar_text(value: Any) -> str:
    """A scalar as it is written in a URL, a header or a form: strings as they are, else JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value)


def encode(text: str, *, allow_reserved: bool = False, safe: str = "") -> str:
    """Percent-encode `text` (UTF-8) to the unreserved set, plus `safe`."""
    if not allow_reserved:
        return quote(text, safe=safe)
    parts = _TRIPLE.split(text)  # odd indexes are existing %XX triples, kept as written
    return "".join(
        part if index % 2 else quote(part, safe=safe + RESERVED_SAFE)
        for index, part in enumerate(parts)
    )


def serialise(
    style: str,
    explode: bool,
    name: str,
    value: Any,
    *,
    allow_reserved: bool = False,
    safe: str = "",
) -> str:
    """One parameter as its style writes it (`name` is the wire name, already chosen)."""

    def enc(text: Any) -> str:
        return encode(scalar_text(text), allow_reserved=allow_reserved, safe=safe)

    key = encode(name)
    if style in {"simple", "label", "matrix"}:
        return _path_style(style, explode, key, value, enc)
    if style == "deepObject" and isinstance(value, Mapping):
        pairs = bracket_pairs(value, brackets=("%5B", "%5D"), encode_key=encode)
        return "&".join(f"{key}{path}={enc(item)}" for path, item in pairs)
    if style in _DELIMITERS and not explode and isinstance(value, list | Mapping):
        return f"{key}=" + _DELIMITERS[style].join(_flat(value, enc))
    return _form(explode, key, value, enc)


def _path_style(style: str, explode: bool, key: str, value: Any, enc: Callable[[Any], str]) -> str:
    prefix = {"simple": "", "label": ".", "matrix": ";"}[style]
    if not isinstance(value, list | Mapping):
        text = enc(value)
        if style == "matrix":
            return f";{key}={text}" if text else f";{key}"
        return prefix + text
    if explode:
        separator = {"simple": ",", "label": ".", "matrix": ";"}[style]
        if isinstance(value, Mapping):
            items = [f"{enc(k)}={enc(v)}" for k, v in value.items()]
        else:
            items = [f"{key}={enc(v)}" if style == "matrix" else enc(v) for v in value]
        return prefix + separator.join(items)
    joined = ",".join(_flat(value, enc))
    return f";{key}={joined}" if style == "matrix" else prefix + joined


def _form(explode: bool, key: str, value: Any, enc: Callable[[Any], str]) -> str:
    if not isinstance(value, list | Mapping):
        return f"{key}={enc(value)}"
    if not explode:
        return f"{key}=" + ",".join(_flat(value, enc))
    if isinstance(value, Mapping):
        return "&".join(f"{enc(k)}={enc(v)}" for k, v in value.items())
    return "&".join(f"{key}={enc(v)}" for v in value)


def _flat(value: Any, enc: Callable[[Any], str]) -> Iterator[str]:
    """An array's items, or an object's keys and values in turn, each encoded."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield enc(k)
            yield enc(v)
    else:
        yield from (enc(v) for v in value)


def bracket_pairs(
    value: Any,
    *,
    brackets: tuple[str, str] = ("[", "]"),
    encode_key: Callable[[str], str] = str,
    index_arrays: bool = True,
) -> Iterator[tuple[str, Any]]:
    """`{"a": {"b": 1}, "c": ["x"]}` as `("[a][b]", 1), ("[c][0]", "x")`: nested form keys.

    Each key is written through `encode_key`; `index_arrays=False` writes array items as `[]`.
    An empty object or array writes nothing.
    """
    opening, closing = brackets
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for k, item in items:
        label = "" if isinstance(k, int) and not index_arrays else encode_key(str(k))
        path = f"{opening}{label}{closing}"
        if isinstance(item, Mapping | list):
            nested = bracket_pairs(
                item, brackets=brackets, encode_key=encode_key, index_arrays=index_arrays
            )
            for sub, leaf in nested:
                yield path + sub, leaf
        else:
            yield path, item


def cookie_text(explode: bool, name: str, value: Any) -> str:
    """A cookie in style `cookie`: form's shape, no escaping (RFC 6265 pairs joined by `; `)."""
    if not isinstance(value, list | Mapping):
        return f"{name}={scalar_text(value)}"
    if not explode:
        return f"{name}=" + ",".join(_flat(value, scalar_text))
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={scalar_text(v)}" for k, v in value.items())
    return "; ".join(f"{name}={scalar_text(v)}" for v in value)


def cookie_problem(text: str) -> str | None:
    """Why `text` cannot be sent unescaped as cookies (RFC 6265 cookie-octets, `; ` between)."""
    if any(ord(c) <= 32 or ord(c) >= 127 or c in '"\\' for c in text.replace("; ", "")):
        return "style cookie sends values unescaped: no space, quote, backslash or control"
    return None


def querystring_text(content_type: str | None, value: Any) -> str:
    """A `querystring` input as the whole query string, written as its media type says."""
    media = (content_type or "application/x-www-form-urlencoded").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded" and isinstance(value, Mapping):
        return "&".join(
            _form(True, encode(str(k)), v, lambda t: encode(scalar_text(t)))
            for k, v in value.items()
        )
    if media == "application/json" or media.endswith("+json"):
        return encode(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
    return encode(scalar_text(value), allow_reserved=True, safe="&=")


def header_text(explode: bool, value: Any) -> str:
    """A header parameter (style simple): joined as simple does, but not percent-encoded."""
    return _path_style("simple", explode, "", value, scalar_text)


def header_problem(text: str) -> str | None:
    """Why `text` cannot be a header value (a line break, a control or a non-ASCII character)."""
    if any((ord(char) < 32 and char != "\t") or ord(char) >= 127 for char in text):
        return "must be printable ASCII (no line break or control character)"
    return None


# -- a template's parameters, compiled ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WireParameters:
    """What the query, header and cookie parameters add to one request."""

    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


class ParameterPlan:
    """A template's parameters compiled once: `path()` for `<<name>>`, `wire()` for the rest."""

    def __init__(self, parameters: Mapping[str, Parameter]) -> None:
        self._parameters = dict(parameters)
        self._validators = {
            key: BodyValidator(parameter.json_schema)
            for key, parameter in parameters.items()
            if parameter.json_schema
        }
        self._wire = [(k, p) for k, p in parameters.items() if p.location != "path"]

    def value(self, key: str, context: Mapping[str, Any], errors: list[FieldError]) -> Any:
        """The input `key`, its default, or MISSING; a missing required input is an error."""
        parameter = self._parameters.get(key, _ANY_PATH)
        value = context.get(key)
        if value is None and parameter.has_default:
            value = parameter.default
        if value is None or (value == "" and parameter.location == "path"):
            if parameter.required or parameter.location == "path":
                env = f" (or set {parameter.env})" if parameter.env else ""
                errors.append(FieldError(field=key, message=f"is required{env}"))
            return MISSING
        return value

    def path(self, key: str, value: Any, errors: list[FieldError]) -> str:
        """A path parameter's text for its `<<name>>`: checked as one segment, then styled."""
        parameter = self._parameters.get(key, _ANY_PATH)
        if parameter.wire_style == "simple" and isinstance(value, str | int):
            schema = parameter.json_schema
            if isinstance(value, bool) or (
                not isinstance(value, str) and schema.get("type") == "string"
            ):  # a number where the API takes text is refused, never silently converted
                shown = f': write "{value}"' if not isinstance(value, bool) else ""
                errors.append(FieldError(field=key, message=f"must be a string{shown}"))
                return ""
            encoded, problems = path_segment(
                str(value),
                schema.get("maxLength", 2048),
                schema.get("minLength", 1),
                schema.get("pattern"),
            )
            errors.extend(FieldError(field=key, message=problem) for problem in problems)
            return encoded
        if not self._valid(key, value, errors):
            return ""
        name = parameter.name or key
        return serialise(parameter.wire_style, parameter.wire_explode, name, value, safe="@~")

    def wire(self, context: Mapping[str, Any], errors: list[FieldError]) -> WireParameters:
        """The query string, headers and `Cookie` header of the given inputs."""
        if not self._wire:
            return _NO_PARAMETERS
        query: list[str] = []
        cookies: list[str] = []
        headers: dict[str, str] = {}
        warnings: list[str] = []
        for key, parameter in self._wire:
            value = self.value(key, context, errors)
            if value is MISSING or not self._valid(key, value, errors):
                continue
            if parameter.deprecated and key in context:
                warnings.append(f"{key}: deprecated parameter")
            name = parameter.name or key
            style, explode = parameter.wire_style, parameter.wire_explode
            if parameter.location == "header":
                text = header_text(explode, value)
                problem = header_problem(text)
                if problem:
                    errors.append(FieldError(field=key, message=problem))
                headers[name] = text
            elif parameter.location == "cookie" and style == "cookie":
                cookies.append(cookie_text(explode, name, value))
                problem = cookie_problem(cookies[-1])
                if problem:
                    errors.append(FieldError(field=key, message=problem))
            elif parameter.location == "cookie":
                cookies.append(serialise(style, explode, name, value))
            elif parameter.location == "querystring":
                query.append(querystring_text(parameter.content_type, value))
            else:
                allow = parameter.allow_reserved
                query.append(serialise(style, explode, name, value, allow_reserved=allow))
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        return WireParameters("&".join(filter(None, query)), headers, tuple(warnings))

    def _valid(self, key: str, value: Any, errors: list[FieldError]) -> bool:
        validator = self._validators.get(key)
        problems = validator.errors(value, key) if validator else list(non_json_values(value, key))
        errors.extend(problems)
        return not problems


_ANY_PATH = Parameter.model_validate({"in": "path"})
_NO_PARAMETERS = WireParameters()
