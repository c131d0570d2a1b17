"""A loopback HTTP server that answers each request with the next step of a script.

For the cases a well-behaved server never produces: a reset connection, a stalled answer,
an endless body, any status with any headers. It records what it received (credentials
included: it is the server, and tests check that a key did or did not arrive).
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """Answer with this status, headers and body (a dict is sent as JSON)."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The body bytes and the headers to send with them."""
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        return (self.body or "").encode(), headers


@dataclass(frozen=True)
class Reset:
    """Drop the connection with a TCP reset, sending nothing."""


@dataclass(frozen=True)
class Stall:
    """Answer nothing until the test lets go (`server.release`) or the server stops; then
    answer `then`, or close the connection without an answer."""

    then: Reply | None = None


@dataclass(frozen=True)
class Endless:
    """Answer 200 with a chunked body that never ends."""

    content_type: str = "application/json"


Step = Reply | Reset | Stall | Endless


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """`with ScriptedServer(Reply(503), Reply(201)) as server: server.url`."""

    def __init__(self, *steps: Step, default: Step | None = None) -> None:
        self.steps: deque[Step] = deque(steps)
        self.default = default or Reply(200, {"ok": True})
        self.received: list[Received] = []
        self.stopping = threading.Event()
        self.stalled = threading.Event()
        """Set when a `Stall` step holds a request (the server has it, and says nothing)."""
        self.release = threading.Event()
        """Set to let a held request go."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda *_args: None  # type: ignore[method-assign]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def next_step(self) -> Step:
        """The step for the request being handled."""
        return self.steps.popleft() if self.steps else self.default

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _handler_for(script: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.received.append(
                Received(self.command, self.path, dict(self.headers.items()), body)
            )
            step = script.next_step()
            if isinstance(step, Reset):
                _reset(self.connection)
                self.close_connection = True
            elif isinstance(step, Stall):
                script.stalled.set()
                script.release.wait(10)
                if step.then is None or script.stopping.is_set():
                    self.close_connection = True
                else:
                    self._reply(step.then)
            elif isinstance(step, Endless):
                self._endless(step)
            else:
                self._reply(step)

        do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = _handle  # noqa: N815

        def _reply(self, step: Reply) -> None:
            content, headers = step.encoded()
            reason = step.reason or _reason(step.status)
            lines = [f"HTTP/1.1 {step.status} {reason}", f"Content-Length: {len(content)}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + content)

        def _endless(self, step: Endless) -> None:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {step.content_type}\r\n"
            self.wfile.write((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            chunk = b"x" * 16384
            try:
                for _ in _until(script.stopping):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            self.close_connection = True

        def finish(self) -> None:
            with contextlib.suppress(OSError, ValueError):  # reset on purpose
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    return Handler


def _until(event: threading.Event) -> Iterator[None]:
    while not event.is_set():
        yield None


def _reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def free_port(host: str = "127.0.0.1") -> int:
    """A port on `host` with nothing listening on it (connections are refused)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port
