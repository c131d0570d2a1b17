"""What every request passes before it reaches the API: size, host, origin and token.

One plain ASGI middleware, so the checks hold for every route, documented or not:

- a request body larger than the limit is refused with 413 before it is parsed;
- the `Host` header must be well formed and name the service (no DNS rebinding onto
  127.0.0.1), and a state-changing request from a browser must come from the page's own
  origin (scheme, host and port): both rules are `connector._host_guard`'s;
- when a token is set (the service is bound beyond loopback), every `/api/` request
  must carry it as `Authorization: Bearer <token>` or `X-Connector-Token`;
- every answer says that no other site may frame the page (`SECURITY_HEADERS`).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connector._host_guard import SECURITY_HEADERS, host_allowed, same_origin

MAX_BODY_BYTES = 1024 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """How strict the guard is; the defaults suit a service on 127.0.0.1."""

    token: str | None = None
    allowed_hosts: frozenset[str] | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    api_prefix: str = "/api/"


class Guard:
    """ASGI middleware enforcing `GuardSettings` on every HTTP request."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request, or pass it on with its body already read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        send = _with_security_headers(send)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        body = await _read_body(receive, self.settings.max_body_bytes)
        if body is None:
            limit = self.settings.max_body_bytes
            await _answer(send, 413, "too_large", f"the request body is over {limit} bytes")
            return
        await self.app(scope, _replay(body, receive), send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, str] | None:
        host = headers.get("host", "")
        if not host_allowed(host, self.settings.allowed_hosts):
            return 400, "host", f"this service does not answer for host {host[:100]!r}"
        origin = headers.get("origin")
        scheme = str(scope.get("scheme", "http"))
        unsafe = scope["method"] not in SAFE_METHODS
        if unsafe and origin is not None and not same_origin(origin, host, scheme):
            return 403, "origin", "cross-origin requests are not accepted"
        length = headers.get("content-length", "0")
        if length.isdigit() and int(length) > self.settings.max_body_bytes:
            limit = self.settings.max_body_bytes
            return 413, "too_large", f"the request body is over {limit} bytes"
        if self._needs_token(scope) and not self._has_token(headers):
            return 401, "unauthorized", "this service needs its token (Authorization: Bearer …)"
        return None

    def _needs_token(self, scope: Scope) -> bool:
        path: str = scope.get("path", "")
        return self.settings.token is not None and path.startswith(self.settings.api_prefix)

    def _has_token(self, headers: dict[str, str]) -> bool:
        expected = self.settings.token or ""
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            given = headers.get("x-connector-token", "")
        return hmac.compare_digest(given.strip().encode(), expected.encode())


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


def _with_security_headers(send: Send) -> Send:
    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {name.lower() for name, _ in message.get("headers", [])}
            extra = [
                (k.encode(), v.encode()) for k, v in SECURITY_HEADERS if k.encode() not in names
            ]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return secured


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit`."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, kind: str, message: str) -> None:
    error: dict[str, Any] = {"kind": kind, "message": message, "fieldErrors": []}
    payload = json.dumps({"error": error}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
