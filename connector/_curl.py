"""A prepared request as a cURL command that a person can paste into a shell.

The credential is written as a reference to the environment variable it comes from
(`"REB-APIKEY: $REBILLY_API_KEY"`), never as its value; everything else is shown as it would
be sent, through the request's `Redactor`, each argument quoted for a POSIX shell.
"""

from __future__ import annotations

import shlex

from connector._credentials import Credential
from connector._request import PreparedRequest


def curl_command(request: PreparedRequest) -> str:
    """`curl -X METHOD URL -H … --data-raw BODY`, one argument a line, no secret in it."""
    redact = request.redactor.text
    parts = [f"curl -X {request.method} {shlex.quote(redact(request.url))}"]
    headers = request.headers.items()
    parts += [f"-H {shlex.quote(f'{name}: {redact(value)}')}" for name, value in headers]
    if request.credential is not None:
        parts.append(f"-H {_credential_header(request.credential)}")
    if request.content is not None:
        body = redact(request.content.decode("utf-8", errors="replace"))
        parts.append(f"--data-raw {shlex.quote(body)}")
    return " \\\n  ".join(parts)


def _credential_header(credential: Credential) -> str:
    """The credential header in double quotes, so the shell expands the variable."""
    scheme = f"{credential.scheme} " if credential.scheme else ""
    variable = credential.source or "CREDENTIAL"
    return f'"{credential.header}: {scheme}${{{variable}}}"'
