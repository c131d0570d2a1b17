"""The emulator against hostile callers and bodies: the control endpoints' Host and Origin
guard, chunked bodies past the cap or with a bad chunk size, lone surrogates in a body;
and the faults a client's retries are tested with."""

from __future__ import annotations

import base64
import contextlib
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from connector.emulator import Emulator

AUTH = {"REB-APIKEY": "sk_sandbox_hostile"}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as running:
        yield running


def raw(emu: Emulator, request: bytes) -> bytes:
    """Send bytes as they are; the whole answer (the server closes or answers once)."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as conn:
        with contextlib.suppress(OSError):  # the server may answer before it read it all
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- the control endpoints' guard -----------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8765",
        "evil.com@localhost",
        "localhost:evil",
        "127.0.0.1.nip.io",
    ],
)
def test_control_endpoints_refuse_other_hosts(emu: Emulator, host: str) -> None:
    """DNS rebinding: a Host that is not the emulator's gets a 400, and nothing is read."""
    for method, path in [("GET", "requests"), ("POST", "reset"), ("POST", "faults")]:
        response = requests.request(
            method,
            f"{emu.url}/_emulator/{path}",
            headers={"Host": host},
            json={"kind": "503"},
            timeout=5,
        )
        assert response.status_code == 400, (host, path)
    assert emu.faults == []


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://localhost:1"])
def test_control_endpoints_refuse_other_origins(emu: Emulator, origin: str) -> None:
    """CSRF: a web page elsewhere cannot queue faults, reset or read requests."""
    for method, path in [("GET", "requests"), ("POST", "reset"), ("POST", "faults")]:
        response = requests.request(
            method,
            f"{emu.url}/_emulator/{path}",
            headers={"Origin": origin},
            json={"kind": "503"},
            timeout=5,
        )
        assert response.status_code == 403, (origin, path)
    assert emu.faults == []


def test_control_endpoints_answer_the_emulator_itself(emu: Emulator) -> None:
    """Loopback names, and the emulator's own origin, are answered."""
    for host in (f"127.0.0.1:{emu.port}", f"localhost:{emu.port}", "localhost"):
        assert requests.get(f"{emu.url}/_emulator/faults", headers={"Host": host}, timeout=5).ok
    own = {"Origin": emu.url}
    assert (
        requests.post(
            f"{emu.url}/_emulator/faults", json={"kind": "503"}, headers=own, timeout=5
        ).status_code
        == 201
    )


# --- bodies -----------------------------------------------------------------------------------


def chunked(path: str, chunks: list[bytes], size: str | None = None) -> bytes:
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nREB-APIKEY: k\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    body = b"".join(f"{size or format(len(c), 'x')}\r\n".encode() + c + b"\r\n" for c in chunks)
    return head + body + b"0\r\n\r\n"


def test_a_chunked_body_over_the_cap_is_413(emu: Emulator) -> None:
    """Not cut at 1 MiB and answered 400: refused as too large."""
    answer = raw(emu, chunked("/organizations/o/payout-requests/p", [b"x" * 65536] * 17))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert emu.resource("o", "p") is None


def test_a_bad_chunk_size_is_400_not_a_traceback(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A chunk size that is not hex is a bad request."""
    answer = raw(emu, chunked("/organizations/o/payout-requests/p", [b"{}"], size="zz"))
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"chunk" in answer
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "body",
    [
        b'{"websiteId": "w", "customerId": "c\\ud800", "currency": "USD", "amount": 1}',
        b'{"websiteId": "w", "customerId": "c", "currency": "USD", "amount": 1, "\\udfff": 1}',
    ],
    ids=["in-a-value", "in-a-key"],
)
def test_a_lone_surrogate_is_refused_before_it_is_stored(emu: Emulator, body: bytes) -> None:
    """A surrogate cannot be answered as UTF-8: 422 naming the field, nothing stored."""
    response = requests.put(
        f"{emu.base_url('o')}/payout-requests/p",
        data=body,
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 422
    assert "surrogate" in response.json()["invalidFields"][0]["message"]
    assert emu.resource("o", "p") is None
    assert (
        requests.get(f"{emu.base_url('o')}/payout-requests/p", headers=AUTH, timeout=5).status_code
        == 404
    )


# --- faults and records -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "504", "408", "503"])
def test_status_faults(emu: Emulator, kind: str) -> None:
    """Each status fault answers its status once, then the request is handled."""
    emu.inject(kind)
    url = f"{emu.base_url('o')}/payout-requests/p"
    first = requests.get(url, headers=AUTH, timeout=5)
    assert first.status_code == int(kind)
    assert first.json()["status"] == int(kind)
    assert requests.get(url, headers=AUTH, timeout=5).status_code == 404
    assert [r.status for r in emu.requests] == [int(kind), 404]


def test_a_custom_status_and_body(emu: Emulator) -> None:
    """Any status with any body, as a gateway's HTML error page would be."""
    fault = {"kind": "status", "status": 599, "body": "<h1>down</h1>", "contentType": "text/html"}
    assert requests.post(f"{emu.url}/_emulator/faults", json=fault, timeout=5).status_code == 201
    answer = requests.get(f"{emu.base_url('o')}/payout-requests/p", headers=AUTH, timeout=5)
    assert (answer.status_code, answer.text) == (599, "<h1>down</h1>")
    assert answer.headers["Content-Type"].startswith("text/html")
    listed = requests.get(f"{emu.url}/_emulator/requests", timeout=5).json()
    assert (listed[-1]["fault"], listed[-1]["status"]) == ("status", 599)


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        pytest.param({"kind": "status"}, "status: a status fault needs a status", id="no-status"),
        pytest.param(
            {"kind": "status", "status": 42},
            "status: input should be greater than or equal to 100, not 42",
            id="bad-status",
        ),
        pytest.param({"kind": "latency"}, "seconds: a latency fault needs seconds", id="latency"),
        pytest.param({"kind": "nope"}, "kind: input should be '503'", id="unknown"),
        pytest.param(
            {"kind": "503", "apply": "yes"}, "apply: input should be a valid boolean", id="apply"
        ),
        pytest.param(
            {"kind": "429", "retryAfter": True},
            "retryAfter: input should be a valid number",
            id="bool",
        ),
        pytest.param(
            {"kind": "503", "retryafter": 3},
            "retryafter: unknown key (did you mean 'retryAfter'?)",
            id="typo",
        ),
        pytest.param(
            {"kind": "reset", "body": 7}, "body: input should be a valid string", id="body"
        ),
    ],
)
def test_nonsense_faults_are_400(emu: Emulator, fault: dict[str, object], detail: str) -> None:
    """A fault that cannot be applied is refused in one line naming the field and what is wrong."""
    answer = requests.post(f"{emu.url}/_emulator/faults", json=fault, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith(detail)
    assert "\n" not in answer.json()["detail"]
    assert emu.faults == []


def test_a_status_kind_may_be_a_number(emu: Emulator) -> None:
    """`"kind": 503` is the 503 fault, as `"kind": "503"` is."""
    answer = requests.post(f"{emu.url}/_emulator/faults", json={"kind": 503}, timeout=5)
    assert answer.status_code == 201
    assert answer.json()["faults"][0]["kind"] == "503"


def test_latency_delays_then_handles(emu: Emulator) -> None:
    """Added latency: the answer comes, later."""
    emu.inject("latency", seconds=0.2)
    started = time.monotonic()
    answer = requests.get(f"{emu.base_url('o')}/payout-requests/p", headers=AUTH, timeout=5)
    assert answer.status_code == 404
    assert time.monotonic() - started >= 0.2


def test_the_records_mask_a_key_in_every_form_a_client_may_encode_it(emu: Emulator) -> None:
    """The records use the connector's own redactor: the key is masked raw, URL-encoded and
    base64-encoded, in the path, the query, the headers and the body."""
    key = "sk_sandbox_odd/key+chars=="
    encoded = "sk_sandbox_odd%2Fkey%2Bchars%3D%3D"
    b64 = base64.b64encode(key.encode()).decode()
    url = f"{emu.base_url('o')}/payout-requests/{encoded}?note={encoded}&b={b64}"
    requests.put(url, headers={"REB-APIKEY": key, "X-Echo": b64}, data=f"{key} {b64}", timeout=5)
    (record,) = emu.requests
    shown = repr((record.path, record.query, dict(record.headers.items()), record.body))
    for form in (key, encoded, b64):
        assert form not in shown
    assert record.headers["REB-APIKEY"] == "<redacted>"
    assert record.body == b"<redacted> <redacted>"
