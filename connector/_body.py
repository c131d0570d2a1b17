"""Request bodies: one structured value, encoded by its media type, and its redacted view.

    media type                          content                         shown as
    application/json, */*+json          compact UTF-8 JSON text         the JSON value
    application/x-www-form-urlencoded   a=1&b[c]=2&d[0]=x               the encoded text
    multipart/form-data                 text, JSON and file parts       a list of parts
    anything else                       a string as UTF-8, or a file    the text, or its size

A file is `{"base64": "..."}` or `{"path": "..."}` (read only where the caller allows it),
with an optional `filename` and `contentType`. Form bodies write nested objects and arrays
as Stripe and Twilio read them (`a[b]=1`, `a[0]=x`); OpenAPI's `encoding` of a property
chooses another style (`form`: `a=x&a=y`; `deepObject` with `explode: false`: `a[]=x`) or a
content type (`application/json`: the value as JSON text).

Encoding and redacting live here together: the view of a body is built from the body with
its secrets masked, then encoded again, so a secret cannot pass in a form the redactor
did not look at (percent-encoded in a form, split across multipart parts).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Final, Literal
from urllib.parse import quote_plus

from urllib3.fields import RequestField
from urllib3.filepost import encode_multipart_formdata

from connector._credentials import REDACTED, Redactor
from connector._errors import FieldError
from connector._parameters import bracket_pairs, scalar_text, serialise
from connector._schema import non_json_values
from connector._template import Encoding, HttpRequest

BodyKind = Literal["json", "form", "multipart", "text", "bytes"]
FileReader = Callable[[str], bytes]
"""Reads a file part given as `{"path": ...}`; where none is given, paths are refused."""

FORM: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"
_ENCODED_REDACTED: Final = quote_plus(REDACTED)
_FILE_KEYS: Final = frozenset({"path", "base64", "filename", "contentType"})


def media_type(content_type: str) -> str:
    """`type/subtype` of a Content-Type value, lower case, parameters left out."""
    return content_type.partition(";")[0].strip().lower()


def body_kind(content_type: str) -> BodyKind:
    """Which encoding a content type selects."""
    media = media_type(content_type)
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if media == FORM:
        return "form"
    if media == MULTIPART:
        return "multipart"
    return "text"


def declared_content_type(request: HttpRequest) -> str:
    """`httpRequest.contentType`, else a Content-Type written in the headers, else JSON."""
    written = [v for k, v in request.headers.items() if k.lower() == "content-type"]
    return request.content_type or (written[0] if written else "application/json")


def set_content_type(headers: dict[str, str], value: str) -> None:
    """Set Content-Type in place, whatever the case it was written in (the order stays)."""
    for key in headers:
        if key.lower() == "content-type":
            headers[key] = value
            return
    headers["Content-Type"] = value


def is_file(value: Any) -> bool:
    """True for a file part: `{"base64": ...}` or `{"path": ...}`, with filename/contentType."""
    return (
        isinstance(value, Mapping)
        and _FILE_KEYS.issuperset(value)
        and ("base64" in value) != ("path" in value)
    )


def schema_view(value: Any) -> Any:
    """The body as its schema sees it: a file part is its base64 text or its path."""
    if is_file(value):
        return value.get("base64", value.get("path"))
    if isinstance(value, Mapping):
        return {key: schema_view(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart body, as it is shown (a file's bytes are never shown)."""

    name: str
    value: Any = None
    content_type: str | None = None
    filename: str | None = None
    size: int | None = None

    def public(self, redactor: Redactor) -> dict[str, Any]:
        """`{name, contentType?, filename?, value | size}`, secrets masked."""
        shown: dict[str, Any] = {"name": redactor.text(self.name)}
        if self.content_type:
            shown["contentType"] = self.content_type
        if self.filename is not None:
            shown["filename"] = redactor.text(self.filename)
        if self.size is not None:
            shown["size"] = self.size
        else:
            shown["value"] = redactor.json(self.value)
        return shown


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """A body as it goes on the wire (`content`, `content_type`), and how it is shown."""

    kind: BodyKind
    content_type: str
    content: bytes
    value: Any
    encoding: Mapping[str, Encoding] = field(default_factory=dict)
    parts: tuple[Part, ...] = ()

    def public(self, redactor: Redactor) -> Any:
        """The body as shown: the JSON value, the form text, the part list, the text."""
        if self.kind == "json":
            text = self.content.decode()
            if "\\" not in text and redactor.text(text) == text:
                return self.value  # every string of the value is a verbatim slice of the text
            return redactor.json(self.value)
        if self.kind == "form":
            return self._public_form(redactor)
        if self.kind == "multipart":
            return [part.public(redactor) for part in self.parts]
        if self.kind == "text":
            return redactor.text(self.content.decode())
        return f"<{len(self.content)} bytes>"

    def _public_form(self, redactor: Redactor) -> str:
        """The form encoded again from the masked value: a secret is never seen only encoded."""
        masked = redactor.json(self.value)
        if masked is self.value:  # the redactor holds no secret
            return self.content.decode()
        text = form_text(masked, self.encoding).replace(_ENCODED_REDACTED, REDACTED)
        return redactor.text(text)

    def shown_text(self, redactor: Redactor) -> str | None:
        """The body as one redacted text (a cURL `--data-raw`); None for parts and bytes."""
        shown = self.public(redactor)
        if self.kind == "json":
            return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
        return shown if self.kind in {"form", "text"} else None


def encode_body(
    value: Any,
    content_type: str,
    encoding: Mapping[str, Encoding],
    errors: list[FieldError],
    *,
    read_file: FileReader | None = None,
    boundary: str | None = None,
) -> EncodedBody | None:
    """`value` encoded as `content_type` says; None (and `errors`) when it cannot be."""
    kind = body_kind(content_type)
    if kind == "json":
        return _json(value, content_type, errors)
    before = len(errors)
    errors.extend(non_json_values(value))
    if len(errors) > before:
        return None
    if kind == "text":
        return _raw(value, content_type, errors, read_file)
    if not isinstance(value, Mapping):
        message = f"a {media_type(content_type)} body is an object"
        errors.append(FieldError(field="body", message=message))
        return None
    if kind == "form":
        return EncodedBody(kind, content_type, form_text(value, encoding).encode(), value, encoding)
    return _multipart(value, encoding, errors, read_file, boundary)


def local_file_reader(limit: int) -> FileReader:
    """Reads a local file part, at most `limit` + 1 bytes (the size check then refuses it)."""

    def read(path: str) -> bytes:
        with Path(path).open("rb") as file:
            return file.read(limit + 1)

    return read


def _json(value: Any, content_type: str, errors: list[FieldError]) -> EncodedBody | None:
    try:
        content = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # NaN, Infinity or a non-JSON object: find where
        errors.extend(list(non_json_values(value)) or [_NOT_JSON])
        return None
    return EncodedBody("json", content_type, content.encode(), value)


def form_text(value: Mapping[str, Any], encoding: Mapping[str, Encoding]) -> str:
    """An object as `application/x-www-form-urlencoded` text."""
    return "&".join(
        pair for key, item in value.items() for pair in _form_pairs(key, item, encoding.get(key))
    )


def _form_pairs(key: str, item: Any, encoding: Encoding | None) -> Iterator[str]:
    name = quote_plus(key, safe="")
    if (
        encoding is not None
        and encoding.content_type
        and body_kind(encoding.content_type) == "json"
    ):
        yield f"{name}={quote_plus(json.dumps(item, ensure_ascii=False), safe='')}"
        return
    if not isinstance(item, Mapping | list):
        yield f"{name}={quote_plus(scalar_text(item), safe='')}"
        return
    style = encoding.style if encoding is not None else None
    explode = encoding.explode if encoding is not None else None
    if style in {"form", "spaceDelimited", "pipeDelimited"}:
        text = serialise(style or "form", explode is not False, key, item)
        yield text.replace("%20", "+") if style != "spaceDelimited" else text
        return
    pairs = bracket_pairs(item, encode_key=_plus, index_arrays=not (style and explode is False))
    for path, leaf in pairs:
        yield f"{name}{path}={quote_plus(scalar_text(leaf), safe='')}"


def _plus(text: str) -> str:
    return quote_plus(text, safe="")


def _multipart(
    value: Mapping[str, Any],
    encoding: Mapping[str, Encoding],
    errors: list[FieldError],
    read_file: FileReader | None,
    boundary: str | None,
) -> EncodedBody | None:
    fields: list[RequestField] = []
    parts: list[Part] = []
    before = len(errors)
    for key, item in value.items():
        declared = encoding[key].content_type if key in encoding else None
        for index, one in enumerate(item if isinstance(item, list) else [item]):
            where = f"{key}.{index}" if isinstance(item, list) else key
            part = _part(key, one, declared, where, errors=errors, read_file=read_file)
            if part is not None:
                fields.append(part[0])
                parts.append(part[1])
    if len(errors) > before:
        return None
    content, content_type = encode_multipart_formdata(fields, boundary=boundary)
    return EncodedBody("multipart", content_type, content, value, encoding, tuple(parts))


def _part(
    name: str,
    value: Any,
    declared: str | None,
    where: str,
    *,
    errors: list[FieldError],
    read_file: FileReader | None,
) -> tuple[RequestField, Part] | None:
    if is_file(value):
        data = _file_bytes(value, where, errors, read_file)
        if data is None:
            return None
        filename = value.get("filename") or PurePath(value.get("path", name)).name
        content_type = value.get("contentType") or declared or "application/octet-stream"
        request_field = RequestField(name=name, data=data, filename=filename)
        request_field.make_multipart(content_type=content_type)
        return request_field, Part(name, None, content_type, filename, len(data))
    if isinstance(value, Mapping) or (declared and body_kind(declared) == "json"):
        content_type = declared or "application/json"
        text = json.dumps(value, ensure_ascii=False)
    else:
        content_type, text = declared, scalar_text(value)
    request_field = RequestField(name=name, data=text.encode())
    request_field.make_multipart(content_type=content_type)
    return request_field, Part(name, value, content_type)


def _raw(
    value: Any, content_type: str, errors: list[FieldError], read_file: FileReader | None
) -> EncodedBody | None:
    if isinstance(value, str):
        return EncodedBody("text", content_type, value.encode(), value)
    if is_file(value):
        data = _file_bytes(value, "body", errors, read_file)
        return None if data is None else EncodedBody("bytes", content_type, data, value)
    message = f'a {media_type(content_type)} body is text, or a file ({{"base64": ...}})'
    errors.append(FieldError(field="body", message=message))
    return None


def _file_bytes(
    value: Mapping[str, Any], where: str, errors: list[FieldError], read_file: FileReader | None
) -> bytes | None:
    if "base64" in value:
        try:
            return base64.b64decode(str(value["base64"]), validate=True)
        except (binascii.Error, ValueError):
            errors.append(FieldError(field=where, message="is not valid base64"))
            return None
    if read_file is None:
        message = "a file path is read only from the command line or Python; give base64"
        errors.append(FieldError(field=where, message=message))
        return None
    try:
        return read_file(str(value["path"]))
    except OSError as exc:
        errors.append(FieldError(field=where, message=f"cannot read the file: {exc.strerror}"))
        return None


_NOT_JSON = FieldError(field="", message="the body is not JSON")
