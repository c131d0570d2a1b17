"""Request bodies: JSON, forms, multipart and raw, validated first and redacted in every form."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from connector import Executor, InputError
from connector._body import body_kind, encode_body, form_text, local_file_reader
from connector._credentials import Redactor
from connector._errors import FieldError
from connector._task import Task
from connector._template import Encoding, parse_template
from tests._scripted_server import ScriptedServer

SECRET = "sk_test+key/with=chars&more"


def _task(
    content_type: str,
    body: Any,
    *,
    schema: dict[str, Any] | None = None,
    encoding: dict[str, Any] | None = None,
    max_body_bytes: int | None = None,
) -> Task:
    document: dict[str, Any] = {
        "name": "things",
        "title": "Things",
        "servers": {"sandbox": "https://api.example.com/v1"},
        "httpRequest": {
            "url": "/things",
            "method": "POST",
            "contentType": content_type,
            "body": body,
            "encoding": encoding or {},
        },
    }
    if schema is not None:
        document["bodySchema"] = schema
    if max_body_bytes is not None:
        document["maxBodyBytes"] = max_body_bytes
    return Task(parse_template(document, source="test"))


def _encode(value: Any, content_type: str, encoding: dict[str, Encoding] | None = None) -> Any:
    errors: list[FieldError] = []
    encoded = encode_body(value, content_type, encoding or {}, errors)
    assert not errors, errors
    assert encoded is not None
    return encoded


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        pytest.param("application/json", "json", id="json"),
        pytest.param("application/merge-patch+json; charset=utf-8", "json", id="plus-json"),
        pytest.param("application/x-www-form-urlencoded", "form", id="form"),
        pytest.param("multipart/form-data", "multipart", id="multipart"),
        pytest.param("text/plain", "text", id="text"),
        pytest.param("application/octet-stream", "text", id="raw"),
    ],
)
def test_the_content_type_selects_the_encoding(content_type: str, kind: str) -> None:
    """JSON and +json, forms, multipart; anything else is raw text or bytes."""
    assert body_kind(content_type) == kind


@pytest.mark.parametrize(
    ("value", "encoding", "expected"),
    [
        pytest.param({"amount": 100, "currency": "usd"}, {}, "amount=100&currency=usd",
                     id="flat"),
        pytest.param({"metadata": {"order_id": "6735"}}, {}, "metadata[order_id]=6735",
                     id="nested-object"),
        pytest.param({"items": [{"price": "p_1", "quantity": 2}]}, {},
                     "items[0][price]=p_1&items[0][quantity]=2", id="array-of-objects"),
        pytest.param({"expand": ["customer", "invoice"]}, {},
                     "expand[0]=customer&expand[1]=invoice", id="array-indexed"),
        pytest.param({"expand": ["a", "b"]}, {"expand": {"style": "deepObject", "explode": False}},
                     "expand[]=a&expand[]=b", id="array-brackets"),
        pytest.param({"To": "+1 555", "StatusCallbackEvent": ["initiated", "ringing"]},
                     {"StatusCallbackEvent": {"style": "form", "explode": True}},
                     "To=%2B1+555&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing",
                     id="twilio-repeated"),
        pytest.param({"tags": ["a b", "c"]}, {"tags": {"style": "form", "explode": False}},
                     "tags=a+b,c", id="form-comma"),
        pytest.param({"meta": {"a": [1]}}, {"meta": {"contentType": "application/json"}},
                     "meta=%7B%22a%22%3A+%5B1%5D%7D", id="json-property"),
        pytest.param({"flag": True, "none": None, "n": 1.5}, {}, "flag=true&none=&n=1.5",
                     id="scalars"),
        pytest.param({"a&b": "c=d", "é": "ü"}, {}, "a%26b=c%3Dd&%C3%A9=%C3%BC", id="escaped"),
        pytest.param({"m": {"k]": "v"}}, {}, "m[k%5D]=v", id="bracket-in-key"),
    ],
)  # fmt: skip
def test_form_bodies_nest_as_stripe_and_twilio_read_them(
    value: dict[str, Any], encoding: dict[str, Any], expected: str
) -> None:
    """Nested objects as `a[b]`, arrays as `a[0]`; OpenAPI `encoding` chooses other forms."""
    models = {key: Encoding.model_validate(item) for key, item in encoding.items()}
    assert form_text(value, models) == expected
    assert _encode(value, "application/x-www-form-urlencoded", models).content == expected.encode()


def test_a_json_body_is_compact_utf8_and_shown_as_its_value() -> None:
    """JSON bodies are sent compact and as UTF-8; the view is the JSON value."""
    encoded = _encode({"name": "Müller", "n": [1]}, "application/json")
    assert encoded.content == '{"name":"Müller","n":[1]}'.encode()
    assert encoded.public(Redactor()) == {"name": "Müller", "n": [1]}


def test_multipart_sends_fields_json_and_files_from_base64_and_paths(tmp_path: Path) -> None:
    """Text fields, a JSON part, a base64 file and a file read from a path, each one part."""
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    value = {
        "purpose": "dispute_evidence",
        "meta": {"k": "v"},
        "file": {"base64": base64.b64encode(b"\x89PNG\x00").decode(), "filename": "x.png",
                 "contentType": "image/png"},
        "attachment": {"path": str(path)},
    }  # fmt: skip
    errors: list[FieldError] = []
    encoded = encode_body(
        value, "multipart/form-data", {}, errors, read_file=local_file_reader(1000)
    )
    assert not errors and encoded is not None
    parts = _parts(encoded.content, encoded.content_type)
    assert parts == [
        ("purpose", None, None, b"dispute_evidence"),
        ("meta", None, "application/json", b'{"k": "v"}'),
        ("file", "x.png", "image/png", b"\x89PNG\x00"),
        ("attachment", "report.csv", "application/octet-stream", b"a,b\n1,2\n"),
    ]
    assert encoded.public(Redactor()) == [
        {"name": "purpose", "value": "dispute_evidence"},
        {"name": "meta", "contentType": "application/json", "value": {"k": "v"}},
        {"name": "file", "contentType": "image/png", "filename": "x.png", "size": 5},
        {"name": "attachment", "contentType": "application/octet-stream",
         "filename": "report.csv", "size": 8},
    ]  # fmt: skip


def _parts(content: bytes, content_type: str) -> list[tuple[str, str | None, str | None, bytes]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + content
    )
    result = []
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition", "")
        name = disposition.split('name="')[1].split('"')[0]
        filename = part.get_filename()
        result.append((name, filename, part.get("Content-Type"), part.get_payload(decode=True)))
    return result


@pytest.mark.parametrize(
    ("value", "reader", "message"),
    [
        pytest.param({"f": {"path": "/etc/hostname"}}, None, "read only from the command line",
                     id="path-without-reader"),
        pytest.param({"f": {"base64": "not base64!"}}, None, "is not valid base64", id="bad-b64"),
        pytest.param({"f": {"path": "/nonexistent/x"}}, local_file_reader(10), "cannot read",
                     id="missing-file"),
        pytest.param(["x"], None, "body is an object", id="not-an-object"),
    ],
)  # fmt: skip
def test_a_file_part_that_cannot_be_read_is_a_field_error(
    value: Any, reader: Any, message: str
) -> None:
    """A path is read only where the caller allows it; bad base64 and missing files are named."""
    errors: list[FieldError] = []
    assert encode_body(value, "multipart/form-data", {}, errors, read_file=reader) is None
    assert len(errors) == 1 and message in errors[0].message


def test_raw_text_and_bytes_are_sent_as_given() -> None:
    """A string is sent as UTF-8 text; a base64 file as its bytes (shown as a size)."""
    text = _encode("hello\nwörld", "text/csv")
    assert (text.content, text.public(Redactor())) == ("hello\nwörld".encode(), "hello\nwörld")
    raw = _encode({"base64": base64.b64encode(b"\x00\x01\x02").decode()}, "application/pdf")
    assert (raw.content, raw.public(Redactor())) == (b"\x00\x01\x02", "<3 bytes>")


def test_validation_runs_on_the_structured_body_before_encoding() -> None:
    """A form body that breaks its schema is refused by field, and nothing is encoded."""
    schema = {
        "type": "object",
        "properties": {"amount": {"type": "integer"}, "meta": {"type": "object"}},
        "required": ["amount"],
        "additionalProperties": False,
    }
    task = _task(
        "application/x-www-form-urlencoded",
        {"amount": "<<amount>>", "meta": "<<meta>>"},
        schema=schema,
    )
    with pytest.raises(InputError) as caught:
        task.prepare({"amount": "ten", "meta": {"a": 1}}, environ={})
    assert [(e.field, e.message) for e in caught.value.field_errors] == [
        ("amount", "must be an integer, not a string")
    ]
    request = task.prepare({"amount": 10, "meta": {"a": 1}}, environ={})
    assert request.content == b"amount=10&meta[a]=1"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_a_file_part_is_validated_as_its_base64_text() -> None:
    """The schema sees a base64 file part as a string (OpenAPI's contentEncoding: base64)."""
    schema = {"type": "object", "properties": {"f": {"type": "string", "maxLength": 8}}}
    task = _task("multipart/form-data", {"f": "<<f>>"}, schema=schema)
    assert task.prepare({"f": {"base64": "AAEC"}}, environ={}).content
    with pytest.raises(InputError) as caught:
        task.prepare({"f": {"base64": "AAECAAECAAEC"}}, environ={})
    assert [e.field for e in caught.value.field_errors] == ["f"]


def test_a_body_over_max_body_bytes_is_refused_before_sending() -> None:
    """The encoded body is capped at the template's `maxBodyBytes`, naming the field."""
    task = _task("text/plain", "<<text>>", max_body_bytes=10)
    assert task.prepare({"text": "x" * 10}, environ={}).content == b"x" * 10
    with pytest.raises(InputError) as caught:
        task.prepare({"text": "x" * 11}, environ={})
    assert [(e.field, "maxBodyBytes" in e.message) for e in caught.value.field_errors] == [
        ("body", True)
    ]


def test_the_multipart_content_type_carries_its_boundary() -> None:
    """The Content-Type header sent is the encoder's, with the boundary of the content."""
    request = _task("multipart/form-data", {"a": "<<a>>"}).prepare({"a": "1"}, environ={})
    assert request.content_type is not None
    boundary = request.content_type.split("boundary=")[1]
    assert request.headers["Content-Type"] == request.content_type
    assert request.content is not None and request.content.startswith(f"--{boundary}".encode())


REDACTION_CASES = [
    pytest.param("application/json", {"note": "<<note>>"}, id="json"),
    pytest.param("application/x-www-form-urlencoded", {"note": "<<note>>"}, id="form"),
    pytest.param("application/x-www-form-urlencoded", {"m": {"k": "<<note>>"}}, id="form-nested"),
    pytest.param("multipart/form-data", {"note": "<<note>>"}, id="multipart"),
    pytest.param("multipart/form-data", {"m": {"k": "<<note>>"}}, id="multipart-json"),
    pytest.param("text/plain", "<<note>>", id="text"),
]


@pytest.mark.parametrize(("content_type", "body"), REDACTION_CASES)
def test_a_secret_in_the_body_is_masked_in_every_encoding(content_type: str, body: Any) -> None:
    """The view never holds the credential, raw or in the form the encoding wrote it."""
    task = _task(content_type, body)
    prepared = task.prepare({"note": f"key {SECRET} end"}, environ={})
    redactor = Redactor([SECRET])
    request = _with_redactor(prepared, redactor)
    assert request.content is not None
    wire = request.content.decode()
    assert SECRET in wire or form_text({"x": SECRET}, {}).split("=", 1)[1] in wire
    shown = json.dumps(request.public())
    assert SECRET not in shown
    assert "sk_test%2Bkey" not in shown and "sk_test+key%2F" not in shown
    assert "<redacted>" in shown


def _with_redactor(request: Any, redactor: Redactor) -> Any:
    fields = {name: getattr(request, name) for name in request.__dataclass_fields__}
    return type(request)(**{**fields, "redactor": redactor})


def test_a_body_sent_to_a_loopback_server_is_the_encoded_bytes() -> None:
    """What arrives is exactly `content`, with the Content-Type the request carries."""
    task = _task("application/x-www-form-urlencoded", {"amount": "<<a>>", "m": {"k": "<<k>>"}})
    with ScriptedServer() as server, Executor(requests.Session(), environ={}) as executor:
        result = executor.run(task, {"a": 5, "k": "a b"}, base_url=server.url)
    assert result.status == "COMPLETED", result.error
    received = server.received[0]
    assert received.body == b"amount=5&m[k]=a+b"
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(received.body.decode())) == {"amount": "5", "m[k]": "a b"}
    assert result.request is not None and result.request.body == "amount=5&m[k]=a+b"
    assert result.request.content_type == "application/x-www-form-urlencoded"
