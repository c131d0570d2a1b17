"""A "foreign" host that never leaves the machine: a recording proxy and a TLS stand-in.

`HTTPS_PROXY`/`HTTP_PROXY` point at `RecordingProxy` (127.0.0.1, a random port). It records
every connection it gets (the request line: `CONNECT foreign.test:443`, or an absolute-form
`GET http://…`), and tunnels a CONNECT to `TlsStandIn`: an HTTPS server on 127.0.0.1 with a
certificate for the foreign name, issued by a throw-away trustme CA (trusted through
`REQUESTS_CA_BUNDLE`). So the client resolves nothing and connects only to loopback, while
the host it means is a name that is not loopback: exactly what the credential binding sees.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseRequestHandler, ThreadingTCPServer

import trustme

FOREIGN = "foreign.test"
"""The name the stand-in answers for: not loopback by name, never resolved."""


@dataclass
class Seen:
    """What a stand-in received: the request line and headers of each request."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


class TlsStandIn:
    """An HTTPS server on loopback with a certificate for `FOREIGN`; answers 200 JSON."""

    def __init__(self, ca: trustme.CA) -> None:
        self.seen = Seen()
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                seen.requests.append((self.command, self.path, dict(self.headers.items())))
                body = json.dumps({"ok": True}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = _handle  # noqa: N815

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(FOREIGN).configure_cert(context)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]

    def __enter__(self) -> TlsStandIn:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class RecordingProxy:
    """An HTTP proxy on loopback that records every connection and tunnels CONNECT."""

    def __init__(self, tunnel_port: int | None = None) -> None:
        self.lines: list[str] = []
        proxy = self

        class Handler(BaseRequestHandler):
            def handle(self) -> None:
                head = _read_head(self.request)
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                proxy.lines.append(line)
                if line.startswith("CONNECT ") and tunnel_port is not None:
                    self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    _pipe(self.request, socket.create_connection(("127.0.0.1", tunnel_port)))
                else:
                    self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

        ThreadingTCPServer.allow_reuse_address = True
        self._server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RecordingProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    def copy(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                target.sendall(chunk)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=copy, args=(upstream, client), daemon=True)
    other.start()
    copy(client, upstream)
    other.join(5)
    upstream.close()


@contextlib.contextmanager
def foreign_host(tmp_path: Path) -> Iterator[tuple[RecordingProxy, TlsStandIn, dict[str, str]]]:
    """The proxy, the stand-in, and the environment that routes every request through them."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with TlsStandIn(ca) as stand_in, RecordingProxy(stand_in.port) as proxy:
        environ = {
            "HTTPS_PROXY": proxy.url,
            "HTTP_PROXY": proxy.url,
            "https_proxy": proxy.url,
            "http_proxy": proxy.url,
            "NO_PROXY": "",
            "no_proxy": "",
            "REQUESTS_CA_BUNDLE": str(bundle),
        }
        yield proxy, stand_in, environ
