"""The emulator on the wire: a threaded werkzeug server with HTTP/1.1 keep-alive.

werkzeug's `WSGIRequestHandler` (on the stdlib's `http.server`) parses every request and
builds the WSGI environ; this module only changes how a response leaves:

- werkzeug's dev server closes every connection after one response (it drains unread input
  with a timed read that would swallow the next request on a kept-alive connection). Here
  the app always reads the whole body first (Content-Length or chunked, capped), so the
  connection can be kept alive safely; it is closed after a 413 or when asked.
- Status line, headers and body go out in one buffered write, with TCP_NODELAY: no
  Nagle/delayed-ACK stall (~40 ms per request when headers and body leave as separate
  small packets on a kept-alive connection; see benchmarks/emulator.py).
- `reset` closes the socket with SO_LINGER 0 (a TCP RST, no response); `stop()` ends stalls,
  wakes idle kept-alive connections and joins the serving thread.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Final, Self

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, select_address_family

from connector._clock import SYSTEM_CLOCK, Clock
from connector.emulator._api import Api
from connector.emulator._app import EmulatorApp
from connector.emulator._faults import Fault, make_fault
from connector.emulator._http import Reply, problem
from connector.emulator._records import ReceivedRequest

log = logging.getLogger("connector.emulator")

POLL_SECONDS: Final = 0.05
IDLE_TIMEOUT_SECONDS: Final = 120.0
DRAIN_SECONDS: Final = 0.5
DRAIN_BYTES: Final = 4 << 20


class _Handler(WSGIRequestHandler):
    """werkzeug's request handling, with keep-alive and a single buffered write."""

    server: _Server
    wbufsize = -1  # a buffered wfile: handle_one_request flushes once per response
    disable_nagle_algorithm = True  # TCP_NODELAY on every accepted connection
    timeout = IDLE_TIMEOUT_SECONDS  # an idle kept-alive connection is closed after this
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "connector-emulator"

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        environ = self.make_environ()
        self.environ = environ
        try:
            reply = self.server.app.respond(environ)
        except Exception:
            log.exception("emulator: error handling %s %s", self.command, environ["PATH_INFO"])
            reply = Reply(problem(500, "Internal Server Error", "emulator error"), close=True)
        if reply.drop is not None:
            self.close_connection = True
            if reply.drop == "reset":
                self.server.reset_on_close(self.connection)
            log.info('"%s %s" dropped (%s)', self.command, environ["PATH_INFO"], reply.drop)
            return
        response = reply.response
        body = response.get_data()
        self.send_response(response.status_code, _reason(response.status))
        for name, value in response.headers.items():
            if name.lower() not in {"content-length", "connection"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if reply.close or self.server.app.stopping.is_set():
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if reply.close:
            self._drain()

    def _drain(self) -> None:
        """After an answer that closes early (a body over the cap), read what the client is
        still sending (bounded), so closing does not reset the connection before the client
        reads the answer."""
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(DRAIN_SECONDS)
            left = DRAIN_BYTES
            while left > 0 and (chunk := self.connection.recv(min(left, 65536))):
                left -= len(chunk)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info('"%s %s" %s', self.command, self.path.split("?", 1)[0], code)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("emulator: " + format, *args)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("emulator: " + format, *args)


def _reason(status: str) -> str:
    return status.split(" ", 1)[1] if " " in status else ""


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server that knows its open connections, so stop() can end them."""

    app: EmulatorApp

    def __init__(self, listener: socket.socket, host: str, app: EmulatorApp) -> None:
        port = listener.getsockname()[1]
        super().__init__(host, port, app, handler=_Handler, fd=listener.fileno())
        self._connections: set[socket.socket] = set()
        self._resets: set[socket.socket] = set()
        self._guard = threading.Condition()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._guard:
            self._connections.add(request)
        super().process_request(request, client_address)

    def reset_on_close(self, connection: socket.socket) -> None:
        """Close `connection` with a TCP RST instead of an orderly FIN."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._guard:
            self._resets.add(connection)

    def shutdown_request(self, request: Any) -> None:
        with self._guard:
            reset = request in self._resets
            self._resets.discard(request)
        try:
            if reset:
                request.close()  # SO_LINGER 0: the kernel answers with RST, no FIN first
            else:
                super().shutdown_request(request)
        finally:
            with self._guard:
                self._connections.discard(request)
                self._guard.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("emulator: connection error", exc_info=True)

    def end_connections(self, timeout: float) -> None:
        """Wake every open connection (idle keep-alive reads end) and wait for them to go."""
        with self._guard:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._guard.wait_for(lambda: not self._connections, timeout=timeout)


class Emulator:
    """Rebilly's payout-request API on 127.0.0.1, for tests, demos and `test-request`.

    `api`: what is served (default: Rebilly's payout operations; `api_from_description`
    serves any API).
    `api_keys`: None accepts any non-empty key or token; a collection accepts only those.
    `rate_limit`: (non-GET requests, window seconds) per organization.
    `clock`: its epoch seconds (`time()`) stamp resources and drive the rate limit.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: Iterable[str] | None = None,
        rate_limit: tuple[int, float] = (3000, 600),
        clock: Clock = SYSTEM_CLOCK,
        *,
        api: Api | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be 0-65535, not {port!r}")
        self.host = host
        self._requested_port = port
        self.app = EmulatorApp(
            api_keys=api_keys,
            rate_limit=rate_limit,
            clock=clock,
            api=api,
            allowed_hosts=() if host in {"", "0.0.0.0", "::"} else (host,),  # noqa: S104
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    # --- life cycle -------------------------------------------------------------------

    def _bind(self) -> _Server:
        with self._lock:
            if self._server is not None:
                raise RuntimeError("the emulator is already running")
            family = select_address_family(self.host, self._requested_port)
            listener = socket.create_server(
                (self.host, self._requested_port), family=family, backlog=128
            )
            try:
                self._server = _Server(listener, self.host, self.app)
            finally:
                listener.close()  # the server holds its own duplicate
            self.app.stopping.clear()
            self._port = int(self._server.port)
            return self._server

    def start(self) -> Self:
        """Serve in a background thread; returns self. Port 0 picks a free port."""
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=f"connector-emulator:{server.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the emulator stops (or `timeout`); True when it is not serving."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def serve_forever(self) -> None:
        """Start if needed and block until `stop()` from another thread or Ctrl-C
        (KeyboardInterrupt propagates after a clean stop)."""
        if self._server is None:
            self.start()
        try:
            self.wait()
        finally:
            self.stop()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: stalls end, open connections close, the thread is joined."""
        with self._lock:
            server, self._server = self._server, None
            thread, self._thread = self._thread, None
        if server is None:
            return
        self.app.stopping.set()
        server.shutdown()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        server.end_connections(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- where it is --------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the real one when 0 was asked for)."""
        if self._port is None:
            raise RuntimeError("the emulator has not been started: call start()")
        return self._port

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def base_url(self, organization: str) -> str:
        """The Rebilly base URL for an organization: `<url>/organizations/<organization>`."""
        return f"{self.url}/organizations/{organization}"

    # --- driving it ---------------------------------------------------------------------

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        seconds: float | None = None,
        retry_after: float | None = None,
        style: str = "epoch",
        apply: bool = False,
    ) -> None:
        """Make the next `count` API requests misbehave; see `Fault` for the kinds."""
        fields = {"kind": kind, "seconds": seconds, "retry_after": retry_after}
        fault = make_fault({**fields, "style": style, "apply": apply})
        self.app.inject(fault, count)

    @property
    def faults(self) -> list[Fault]:
        """The faults not yet used."""
        return self.app.pending_faults()

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        self.app.clear_faults()

    def reset(self) -> None:
        """Forget stored payout requests, faults, rate-limit counts and received requests."""
        self.app.reset()

    @property
    def requests(self) -> list[ReceivedRequest]:
        """What the API received, oldest first, credentials redacted."""
        return self.app.requests

    def resource(self, organization: str, payout_request_id: str) -> dict[str, Any] | None:
        """The stored payout request, or None."""
        return self.app.resource(organization, payout_request_id)

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"Emulator({where})"
