"""The Host and Origin rules of the local servers, and the service that applies them."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from connector._host_guard import allowed_hosts_for, host_allowed, parse_host, same_origin
from tests._scripted_server import free_port

pytest.importorskip("fastapi")


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        pytest.param("localhost", ("localhost", None), id="name"),
        pytest.param("localhost:8780", ("localhost", 8780), id="name-and-port"),
        pytest.param("[::1]:8780", ("::1", 8780), id="ipv6"),
        pytest.param("LOCALHOST.", ("localhost", None), id="case-and-final-dot"),
        pytest.param("evil.com@localhost", None, id="userinfo"),
        pytest.param("localhost:evil", None, id="port-not-a-number"),
        pytest.param("localhost:99999", None, id="port-out-of-range"),
        pytest.param("::1", None, id="ipv6-without-brackets"),
        pytest.param("[zz]:1", None, id="not-ipv6"),
        pytest.param("a b", None, id="space"),
        pytest.param("", None, id="empty"),
    ],
)
def test_host_headers_are_parsed_strictly(header: str, parsed: object) -> None:
    """A Host header is a name, IPv4 or bracketed IPv6 and a numeric port, nothing else."""
    assert parse_host(header) == parsed


def test_the_allowed_hosts_follow_the_bound_address() -> None:
    """Bound to 127.0.0.2 a server answers for it; beyond loopback any host (a token guards)."""
    assert host_allowed("127.0.0.2:8780", allowed_hosts_for("127.0.0.2"))
    assert host_allowed("localhost:8780", allowed_hosts_for("127.0.0.2"))
    assert not host_allowed("evil.example", allowed_hosts_for("127.0.0.1"))
    assert allowed_hosts_for("0.0.0.0") is None


@pytest.mark.parametrize(
    ("origin", "host", "expected"),
    [
        pytest.param("http://localhost:8780", "localhost:8780", True, id="same"),
        pytest.param("http://localhost", "localhost:80", True, id="default-port"),
        pytest.param("https://localhost:8780", "localhost:8780", False, id="other-scheme"),
        pytest.param("http://localhost:8781", "localhost:8780", False, id="other-port"),
        pytest.param("http://evil.example", "localhost", False, id="other-host"),
        pytest.param("null", "localhost", False, id="null"),
    ],
)
def test_same_origin_compares_scheme_host_and_port(origin: str, host: str, expected: bool) -> None:
    """An Origin is this server's only with the same scheme, host and port."""
    assert same_origin(origin, host, "http") is expected


@pytest.fixture
def client() -> Iterator[object]:
    from starlette.testclient import TestClient

    from connector.service import create_app

    app = create_app(environ={}, allowed_hosts=allowed_hosts_for("127.0.0.1"))
    with TestClient(app, base_url="http://127.0.0.1:8780") as test_client:
        yield test_client


@pytest.mark.parametrize("host", ["evil.com@localhost", "localhost:evil", "127.0.0.1:x"])
def test_the_service_refuses_a_malformed_host(client: object, host: str) -> None:
    """Hosts that a lax parse reads as localhost are answered 400."""
    assert client.get("/api/tasks", headers={"Host": host}).status_code == 400  # type: ignore[attr-defined]


def test_the_service_refuses_an_origin_of_another_scheme(client: object) -> None:
    """`https://127.0.0.1:8780` posting to `http://127.0.0.1:8780` is another origin: 403."""
    answer = client.post(  # type: ignore[attr-defined]
        "/api/tasks/upsert-payout-request/render",
        json={"inputs": {}},
        headers={"Origin": "https://127.0.0.1:8780"},
    )
    assert answer.status_code == 403


def test_every_answer_forbids_framing(client: object) -> None:
    """The page and the API answers carry `frame-ancestors 'none'` (and X-Frame-Options)."""
    for path in ["/", "/api/tasks", "/nowhere"]:
        answer = client.get(path)  # type: ignore[attr-defined]
        assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert answer.headers["x-frame-options"] == "DENY"


def _wait_for(url: str, host_header: str) -> requests.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return requests.get(url, headers={"Host": host_header}, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_on_127_0_0_2_answers_its_own_url() -> None:
    """`connector serve --host 127.0.0.2` answers the URL it prints (it was 400 for all)."""
    port = free_port("127.0.0.2")
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "serve", "--host", "127.0.0.2", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = _wait_for(f"http://127.0.0.2:{port}/api/tasks", f"127.0.0.2:{port}")
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == "frame-ancestors 'none'"
    finally:
        process.terminate()
        process.wait(10)


def test_a_client_sending_headers_too_slowly_is_disconnected() -> None:
    """A connection whose request headers are not complete in time is closed by the server."""
    import uvicorn

    from connector.service import create_app
    from connector.service._http import HeaderTimeoutProtocol

    class Quick(HeaderTimeoutProtocol):
        header_timeout = 0.3

    listener = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(environ={}), log_level="warning", http=Quick)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with socket.create_connection(listener.getsockname(), timeout=10) as slow:
            slow.sendall(b"GET /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            assert slow.recv(1024) == b""  # closed, never answered
            assert time.monotonic() - started < 9
        with socket.create_connection(listener.getsockname(), timeout=10) as quick:
            quick.sendall(b"GET /api/tasks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert quick.recv(12).startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()
