"""Keep-alive PUTs against the emulator, against a naive `http.server` handler.

    python benchmarks/emulator.py [N]

Both servers run in this process on 127.0.0.1; each gets N sequential PUTs of the README's
kind of body through one `requests.Session` (one kept-alive connection):
  - emulator: `connector.emulator.Emulator` (auth, validation, store, rate-limit headers);
  - naive:    a `BaseHTTPRequestHandler` (HTTP/1.1, keep-alive) that parses the JSON body
              and answers with `send_response`/`send_header`/`end_headers` and then
              `wfile.write(body)`: headers and body leave as two small packets, and the
              second waits for the ACK of the first (Nagle), which the client delays
              (delayed ACK), ~40 ms per request on Linux loopback.
  - for reference, the same naive handler with TCP_NODELAY.
The last line is `ratio: X.XX` = emulator requests per second / naive requests per second
(higher is better: how much the single buffered write with TCP_NODELAY saves).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from connector.emulator import Emulator

BODY: dict[str, Any] = {
    "websiteId": "web-1",
    "customerId": "cust-1",
    "currency": "USD",
    "amount": 100.25,
    "description": "Benchmark payout",
}
HEADERS = {"REB-APIKEY": "sk_sandbox_BENCHMARKKEY"}


class NaiveHandler(BaseHTTPRequestHandler):
    """The plain stdlib way: headers flushed by end_headers(), then the body."""

    protocol_version = "HTTP/1.1"

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        payload = json.dumps({"id": self.path.rsplit("/", 1)[-1], **body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class NoDelayHandler(NaiveHandler):
    """The same handler with TCP_NODELAY on the accepted socket."""

    disable_nagle_algorithm = True


def naive_server(handler: type[BaseHTTPRequestHandler]) -> tuple[str, Callable[[], None]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return f"http://127.0.0.1:{server.server_address[1]}/organizations/org-1", stop


def rate(base_url: str, n: int) -> float:
    """Requests per second for n sequential keep-alive PUTs (after a short warm-up)."""
    with requests.Session() as session:
        for i in range(5):
            session.put(f"{base_url}/payout-requests/warm-{i}", json=BODY, headers=HEADERS)
        started = time.perf_counter()
        for i in range(n):
            response = session.put(f"{base_url}/payout-requests/po-{i}", json=BODY, headers=HEADERS)
            if response.status_code not in {200, 201}:
                raise SystemExit(f"unexpected {response.status_code}: {response.text}")
        return n / (time.perf_counter() - started)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with Emulator(rate_limit=(10**9, 600)) as emulator:
        emulator_rate = rate(emulator.base_url("org-1"), n)
    results = {}
    for name, handler in (("naive", NaiveHandler), ("nodelay", NoDelayHandler)):
        url, stop = naive_server(handler)
        try:
            results[name] = rate(url, n)
        finally:
            stop()
    print(f"N = {n} sequential PUTs, one kept-alive connection each, 127.0.0.1")
    print(f"emulator:                                  {emulator_rate:9.1f} req/s")
    print(f"naive http.server (headers, then body):    {results['naive']:9.1f} req/s")
    print(f"naive http.server + TCP_NODELAY (ref.):    {results['nodelay']:9.1f} req/s")
    print(f"ratio: {emulator_rate / results['naive']:.2f}")


if __name__ == "__main__":
    main()
