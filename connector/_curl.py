"""A prepared request as a cURL command that a person can paste into a shell.

Each credential is written by its auth strategy as a reference to the environment variable it
comes from (`"REB-APIKEY: ${REBILLY_API_KEY}"`), never as its value; everything else is shown
as it would be sent, through the request's `Redactor`, each argument quoted for a POSIX shell.
"""

from __future__ import annotations

import shlex

from connector._request import PreparedRequest


def curl_command(request: PreparedRequest) -> str:
    """`curl -X METHOD URL -H … --data-raw BODY`, one argument a line, no secret in it."""
    redact = request.redactor.text
    plain = request.outgoing()
    referenced = request.auth.referenced(plain, lambda variable: "${" + variable + "}")
    url = _quoted(redact(plain.url)) + _quoted_rest(referenced.url, plain.url)
    parts = [f"curl -X {request.method} {url}"]
    for name, value in referenced.headers.items():
        if plain.headers.get(name) == value:
            parts.append(f"-H {shlex.quote(f'{name}: {redact(value)}')}")
        else:  # a credential: double quotes, so the shell expands the variable
            parts.append(f'-H "{name}: {value}"')
    if request.content is not None:
        body = redact(request.content.decode("utf-8", errors="replace"))
        parts.append(f"--data-raw {shlex.quote(body)}")
    return " \\\n  ".join(parts)


def _quoted(text: str) -> str:
    return shlex.quote(text)


def _quoted_rest(referenced: str, plain: str) -> str:
    """A query credential appended to the URL, in double quotes (the shell expands it)."""
    rest = referenced[len(plain) :] if referenced.startswith(plain) else ""
    return f'"{rest}"' if rest else ""
