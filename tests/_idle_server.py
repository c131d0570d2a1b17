"""A loopback HTTP/1.1 server that closes a kept-alive connection once it has been idle.

Its idle timer runs on an injected clock: a request that arrives on a connection idle for
`idle_seconds` or more is not answered, the connection is closed instead (as when a server's
idle timeout fires just as the client reuses the connection). Every other request is answered
200 with a small JSON body, and the connection is kept alive.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from connector import Clock


class IdleClosingServer:
    """`with IdleClosingServer(clock, idle_seconds=0.2) as server: server.url`."""

    def __init__(self, clock: Clock, idle_seconds: float = 0.2) -> None:
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.answered = 0
        self.closed_unanswered = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> IdleClosingServer:
        accepting = threading.Thread(target=self._accept, daemon=True)
        accepting.start()
        self._threads.append(accepting)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            last_answer: float | None = None
            pending = b""
            while True:
                request, pending = _read_request(connection, pending)
                if request is None:
                    return
                if (
                    last_answer is not None
                    and self.clock.monotonic() - last_answer >= self.idle_seconds
                ):
                    self.closed_unanswered += 1
                    return
                body = b'{"ok": true}'
                head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                head += f"Content-Length: {len(body)}\r\n\r\n"
                self.answered += 1
                last_answer = (
                    self.clock.monotonic()
                )  # before sending: the client moves the clock next
                connection.sendall(head.encode() + body)


def _read_request(connection: socket.socket, pending: bytes) -> tuple[Any, bytes]:
    """One request's bytes (head and Content-Length body), or None when the client left."""
    while b"\r\n\r\n" not in pending:
        chunk = connection.recv(65536)
        if not chunk:
            return None, b""
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head, rest[length:]
