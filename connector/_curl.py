"""A prepared request as a cURL command that a person can paste into a shell.

Each credential is written by its auth strategy as a reference to the environment variable it
comes from (`"REB-APIKEY: ${REBILLY_API_KEY}"`), never as its value; everything else is shown
as it would be sent, through the request's `Redactor`, each argument quoted for a POSIX shell.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from connector._request import PreparedRequest


def curl_command(request: PreparedRequest) -> str:
    """`curl -X METHOD URL -H … --data-raw BODY`, one argument a line, no secret in it."""
    redact = request.redactor.text
    plain = request.outgoing()
    referenced = request.auth.referenced(plain, lambda variable: "${" + variable + "}")
    url = _quoted(redact(plain.url)) + _quoted_rest(referenced.url, plain.url)
    parts = [f"curl -X {request.method} {url}"]
    multipart = request.encoded is not None and request.encoded.kind == "multipart"
    for name, value in referenced.headers.items():
        if multipart and name.lower() == "content-type":
            continue  # curl -F writes its own, with its own boundary
        if plain.headers.get(name) == value:
            parts.append(f"-H {shlex.quote(f'{name}: {redact(value)}')}")
        else:  # a credential: double quotes, so the shell expands the variable
            parts.append(f'-H "{name}: {value}"')
    parts += _body_arguments(request)
    return " \\\n  ".join(parts)


def _body_arguments(request: PreparedRequest) -> list[str]:
    """`--data-raw TEXT`, one `-F` per multipart part, or `--data-binary @FILE` for bytes."""
    encoded = request.encoded
    if encoded is None:
        return []
    text = encoded.shown_text(request.redactor)
    if text is not None:
        return [f"--data-raw {shlex.quote(text)}"]
    if encoded.kind == "bytes":
        return ["--data-binary @FILE"]
    shown = [_form_part(part.public(request.redactor)) for part in encoded.parts]
    return [f"-F {shlex.quote(part)}" for part in shown]


def _form_part(part: dict[str, Any]) -> str:
    if "size" in part:
        value = f"@{part.get('filename') or 'FILE'}"
    else:
        shown = part["value"]
        value = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    content_type = f";type={part['contentType']}" if part.get("contentType") else ""
    return f"{part['name']}={value}{content_type}"


def _quoted(text: str) -> str:
    return shlex.quote(text)


def _quoted_rest(referenced: str, plain: str) -> str:
    """A query credential appended to the URL, in double quotes (the shell expands it)."""
    rest = referenced[len(plain) :] if referenced.startswith(plain) else ""
    return f'"{rest}"' if rest else ""
