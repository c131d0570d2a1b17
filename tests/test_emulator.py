"""The local Rebilly emulator, over real loopback sockets."""

from __future__ import annotations

import http.client
import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
import requests

from connector.emulator import Emulator
from tests._clock import EPOCH, START, FakeClock

KEY = "sk_sandbox_s3cr3t-emulator-key-42"
AUTH = {"REB-APIKEY": KEY}
BODY: dict[str, Any] = {
    "websiteId": "web-1",
    "customerId": "cust-1",
    "currency": "USD",
    "amount": 10.5,
}


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    with Emulator(clock=clock) as running:
        yield running


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def url(emu: Emulator, rid: str = "po-1", org: str = "org-1") -> str:
    return f"{emu.base_url(org)}/payout-requests/{rid}"


def put(
    session: requests.Session, emu: Emulator, body: Any = BODY, rid: str = "po-1", **kw: Any
) -> requests.Response:
    kw.setdefault("headers", AUTH)
    kw.setdefault("timeout", 5)
    return session.put(url(emu, rid), json=body, **kw)


def assert_problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail"} <= problem.keys()
    return problem


# --- the resource ---------------------------------------------------------------------------


def test_put_creates_then_updates_one_resource(
    emu: Emulator, session: requests.Session, clock: FakeClock
) -> None:
    first = put(session, emu)
    assert first.status_code == 201
    assert first.headers["Location"] == url(emu)
    created = first.json()
    assert created["id"] == "po-1"
    assert created["status"] == "pending"
    assert created["availableAmount"] == 10.5
    assert created["createdTime"] == created["updatedTime"] == "2027-01-15T08:00:00Z"
    assert created["_links"] == [{"href": url(emu), "rel": "self"}]
    assert {k: created[k] for k in BODY} == BODY
    assert first.headers["X-RateLimit-Limit"] == "3000"
    assert first.headers["X-RateLimit-Remaining"] == "2999"

    clock.now += 60
    second = put(session, emu, {**BODY, "amount": 12})
    assert second.status_code == 200
    assert "Location" not in second.headers
    updated = second.json()
    assert updated["createdTime"] == created["createdTime"]
    assert updated["updatedTime"] == "2027-01-15T08:01:00Z"
    assert updated["amount"] == updated["availableAmount"] == 12

    third = put(session, emu, {**BODY, "amount": 12})
    assert third.status_code == 200
    assert emu.resource("org-1", "po-1") == third.json()
    fetched = session.get(url(emu), headers=AUTH, timeout=5)
    assert fetched.status_code == 200
    assert fetched.json() == third.json()
    assert fetched.headers["X-RateLimit-Remaining"] == "2997"  # GET uses none up


def test_get_unknown_is_404_and_orgs_are_separate(emu: Emulator, session: requests.Session) -> None:
    assert put(session, emu).status_code == 201
    other = f"{emu.base_url('org-2')}/payout-requests/po-1"
    assert_problem(session.get(other, headers=AUTH, timeout=5), 404)
    assert_problem(session.get(url(emu, "po-2"), headers=AUTH, timeout=5), 404)


def test_read_only_and_unknown_fields_are_ignored(emu: Emulator, session: requests.Session) -> None:
    body = {
        **BODY,
        "id": "ignored",
        "status": "fulfilled",
        "availableAmount": 1,
        "allocations": [{"currency": "usdd", "amount": "x"}],
        "createdTime": "yesterday",
        "notAField": 1,
        "paymentInstrumentId": "pi-1",
        "selectedPaymentInstrumentRedirectUrl": "https://example.com/r/{{id}}",
    }
    response = put(session, emu, body)
    assert response.status_code == 201, response.text
    stored = response.json()
    assert stored["id"] == "po-1"
    assert stored["status"] == "pending"
    assert stored["availableAmount"] == 10.5
    assert stored["allocations"] == []
    assert "notAField" not in stored
    assert stored["selectedPaymentInstrumentRedirectUrl"] == "https://example.com/r/{{id}}"
    assert stored["_links"][1] == {
        "href": f"{emu.base_url('org-1')}/payment-instruments/pi-1",
        "rel": "paymentInstrument",
    }


def test_bearer_token_is_accepted(emu: Emulator, session: requests.Session) -> None:
    response = put(session, emu, headers={"Authorization": "Bearer a.jwt.token"})
    assert response.status_code == 201
    assert emu.requests[-1].credential == "Bearer"
    assert emu.requests[-1].authorized


# --- credentials ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"REB-APIKEY": ""}, {"Authorization": "Bearer "}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["none", "empty", "empty-bearer", "basic"],
)
def test_missing_credentials_are_401(
    emu: Emulator, session: requests.Session, headers: dict[str, str]
) -> None:
    assert_problem(put(session, emu, headers=headers), 401)
    assert_problem(session.get(url(emu), headers=headers, timeout=5), 401)
    assert emu.resource("org-1", "po-1") is None


def test_only_configured_keys_are_accepted(session: requests.Session) -> None:
    with Emulator(api_keys=[KEY]) as emu:
        assert_problem(put(session, emu, headers={"REB-APIKEY": "sk_sandbox_wrong"}), 401)
        assert_problem(put(session, emu, headers={"Authorization": "Bearer wrong"}), 401)
        assert put(session, emu, headers={"Authorization": f"Bearer {KEY}"}).status_code == 201
        assert put(session, emu).status_code == 200
        assert [r.authorized for r in emu.requests] == [False, False, True, True]


def test_keys_never_appear_in_records_or_logs(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], session: requests.Session
) -> None:
    caplog.set_level(logging.DEBUG)
    with Emulator(api_keys=[KEY]) as emu:
        put(session, emu)
        put(session, emu, headers={"Authorization": f"Bearer {KEY}", "X-Echo": KEY})
        put(session, emu, {**BODY, "description": f"oops {KEY}"})
        put(session, emu, headers={"REB-APIKEY": KEY + "-wrong"})
        session.get(url(emu), headers={"REB-APIKEY": KEY + "x"}, timeout=5)
        session.post(f"{emu.url}/nowhere", data=f"x {KEY}", headers={"X-Key": KEY}, timeout=5)
        emu.inject("reset")
        with pytest.raises(requests.ConnectionError):
            put(session, emu)
        listed = session.get(f"{emu.url}/_emulator/requests", timeout=5).text
        records = repr(emu.requests)
        statuses = [r.authorized for r in emu.requests]
    out, err = capfd.readouterr()
    assert statuses == [True, True, True, False, False, False, True]
    for text in (records, listed, caplog.text, out, err):
        assert "s3cr3t" not in text
    assert emu.requests[0].headers["reb-apikey"] == "<redacted>"
    assert emu.requests[1].headers["Authorization"] == "Bearer <redacted>"
    assert emu.requests[1].headers["X-Echo"] == "<redacted>"
    assert emu.requests[2].json()["description"] == "oops <redacted>"


# --- validation -----------------------------------------------------------------------------


def test_invalid_fields_are_422_in_dot_notation(emu: Emulator, session: requests.Session) -> None:
    body = {
        "websiteId": "w" * 51,
        "currency": "usdd",
        "amount": "10",
        "blockReason": "because",
        "selectedPaymentInstrumentRedirectUrl": "not a url",
    }
    problem = assert_problem(put(session, emu, body), 422)
    fields = {item["field"]: item["message"] for item in problem["invalidFields"]}
    assert set(fields) == {
        "amount",
        "blockReason",
        "currency",
        "customerId",
        "selectedPaymentInstrumentRedirectUrl",
        "websiteId",
    }
    assert "required" in fields["customerId"]
    assert emu.resource("org-1", "po-1") is None


def test_nested_fields_use_dot_notation() -> None:
    """A problem deep in a body is named by its path in dot notation."""
    from connector.emulator._validation import field_errors

    schema = {
        "type": "object",
        "properties": {
            "a": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["b"],
                    "properties": {"b": {"type": "boolean"}},
                },
            }
        },
    }
    assert field_errors(schema, {"a": [{"b": "yes"}, {}]}) == [
        {"field": "a.0.b", "message": '"yes" is not of type "boolean"'},
        {"field": "a.1.b", "message": "This field is required"},
    ]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b"{not json", "application/json", 422),
        (b"", "application/json", 422),
        (b'{"amount": NaN}', "application/json", 422),
        (b'{"amount": 1e999}', "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b"{}", "text/plain", 422),
        (b"\xff\xfe", "application/json", 422),
    ],
    ids=["malformed", "empty", "nan", "infinite", "array", "text", "not-utf8"],
)
def test_unreadable_bodies(
    emu: Emulator, session: requests.Session, data: bytes, content_type: str, status: int
) -> None:
    """A body that cannot be read is invalid data: PUT declares 422, not 400 or 415."""
    response = session.put(
        url(emu), data=data, headers={**AUTH, "Content-Type": content_type}, timeout=5
    )
    assert_problem(response, status)


def test_too_large_body_is_413_and_closes(emu: Emulator, session: requests.Session) -> None:
    big = {**BODY, "description": "x" * (1 << 20)}
    assert_problem(put(session, emu, big), 413)
    assert put(session, emu).status_code == 201


@pytest.mark.parametrize(
    "rid",
    ["x" * 51, "a%2Fb", "a b", "caf\u00e9", "a+b", "a$b", "%2E", "%2E%2E"],
    ids=["51-chars", "slash", "space", "non-ascii", "plus", "dollar", "dot", "dotdot"],
)
def test_ids_outside_the_rule_are_404(emu: Emulator, session: requests.Session, rid: str) -> None:
    problem = assert_problem(session.put(url(emu, rid), json=BODY, headers=AUTH, timeout=5), 404)
    assert "id rule" in problem["detail"] or problem["detail"] == "no such route"
    assert emu.app.resource("org-1", rid) is None


def test_dot_ids_over_a_raw_connection(emu: Emulator) -> None:
    """requests normalizes `.` and `..` away; a raw client does not."""
    for rid in (".", ".."):
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
        conn.request("PUT", f"/organizations/org-1/payout-requests/{rid}", json.dumps(BODY), AUTH)
        response = conn.getresponse()
        assert response.status == 404
        assert "id rule" in json.loads(response.read())["detail"]
        conn.close()


@pytest.mark.parametrize("rid", ["x" * 50, "a@b~c-d.e_f", "...", "A9"])
def test_ids_inside_the_rule_are_accepted(
    emu: Emulator, session: requests.Session, rid: str
) -> None:
    response = session.put(url(emu, rid), json=BODY, headers=AUTH, timeout=5)
    assert response.status_code == 201, response.text
    assert response.json()["id"] == rid


def test_organization_outside_the_rule_is_404(emu: Emulator, session: requests.Session) -> None:
    bad = f"{emu.url}/organizations/{'o' * 51}/payout-requests/po-1"
    problem = assert_problem(session.put(bad, json=BODY, headers=AUTH, timeout=5), 404)
    assert "organizationId" in problem["detail"]


def test_other_routes_and_methods(emu: Emulator, session: requests.Session) -> None:
    assert_problem(session.put(url(emu) + "/", json=BODY, headers=AUTH, timeout=5), 404)
    no_org = f"{emu.url}/organizations//payout-requests/po-1"
    assert_problem(session.put(no_org, json=BODY, headers=AUTH, timeout=5), 404)
    assert_problem(session.get(f"{emu.url}/organizations/org-1/payouts/po-1", timeout=5), 404)
    assert_problem(session.get(f"{emu.url}/", timeout=5), 404)
    for method in ("POST", "DELETE"):
        response = session.request(method, url(emu), json=BODY, headers=AUTH, timeout=5)
        assert_problem(response, 405)
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "PUT", "PATCH"}


# --- the rate limit -------------------------------------------------------------------------


def test_rate_limit_per_organization(session: requests.Session, clock: FakeClock) -> None:
    with Emulator(rate_limit=(2, 60), clock=clock) as emu:
        assert put(session, emu, rid="a").headers["X-RateLimit-Remaining"] == "1"
        clock.now += 10.2
        assert put(session, emu, rid="b").headers["X-RateLimit-Remaining"] == "0"
        limited = put(session, emu, rid="c")
        assert_problem(limited, 429)
        assert limited.headers["X-RateLimit-Retry-After"] == str(math.ceil(EPOCH + 60))
        assert limited.headers["X-RateLimit-Limit"] == "2"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert emu.resource("org-1", "c") is None
        # GET is not limited, and other organizations have their own budget
        assert session.get(url(emu, "a"), headers=AUTH, timeout=5).status_code == 200
        other = f"{emu.base_url('org-2')}/payout-requests/c"
        assert session.put(other, json=BODY, headers=AUTH, timeout=5).status_code == 201
        # one slot frees when the first request leaves the window
        clock.now = START + 60
        assert put(session, emu, rid="c").status_code == 201
        again = put(session, emu, rid="d")
        assert_problem(again, 429)
        assert again.headers["X-RateLimit-Retry-After"] == str(math.ceil(EPOCH + 10.2 + 60))


# --- faults ---------------------------------------------------------------------------------


def test_503_twice_then_201(emu: Emulator, session: requests.Session) -> None:
    emu.inject("503", count=2)
    assert_problem(put(session, emu), 503)
    assert_problem(put(session, emu), 503)
    assert emu.resource("org-1", "po-1") is None
    assert put(session, emu).status_code == 201
    assert [r.fault for r in emu.requests] == ["503", "503", None]


@pytest.mark.parametrize("style", ["epoch", "seconds", "http-date", "none"])
def test_429_fault_with_each_retry_header(
    emu: Emulator, session: requests.Session, style: str
) -> None:
    emu.inject("429", retry_after=7, style=style)
    response = put(session, emu)
    assert_problem(response, 429)
    if style == "epoch":
        assert response.headers["X-RateLimit-Retry-After"] == str(int(EPOCH) + 7)
    elif style == "seconds":
        assert response.headers["Retry-After"] == "7"
    elif style == "http-date":
        when = parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
        assert when == EPOCH + 7
    else:
        assert "Retry-After" not in response.headers
        assert "X-RateLimit-Retry-After" not in response.headers
    assert put(session, emu).status_code == 201


def test_503_with_retry_after(emu: Emulator, session: requests.Session) -> None:
    emu.inject("503", retry_after=3, style="seconds")
    assert put(session, emu).headers["Retry-After"] == "3"


def test_reset_drops_the_connection_without_applying(
    emu: Emulator, session: requests.Session
) -> None:
    emu.inject("reset")
    with pytest.raises(requests.ConnectionError) as caught:
        put(session, emu)
    assert "reset" in str(caught.value).lower()
    assert emu.resource("org-1", "po-1") is None
    assert put(session, emu).status_code == 201


def test_reset_after_applying(emu: Emulator, session: requests.Session) -> None:
    emu.inject("reset", apply=True)
    with pytest.raises(requests.ConnectionError):
        put(session, emu)
    assert emu.resource("org-1", "po-1") is not None
    assert put(session, emu).status_code == 200  # the retry finds it: one resource


def test_stall_makes_the_client_time_out_and_stop_ends_it(session: requests.Session) -> None:
    emu = Emulator().start()
    try:
        emu.inject("stall", seconds=30)
        with pytest.raises(requests.ReadTimeout):
            put(session, emu, timeout=(2, 0.2))
        emu.inject("stall")  # until stop
        with pytest.raises(requests.ReadTimeout):
            put(session, emu, timeout=(2, 0.2))
    finally:
        started = time.monotonic()
        emu.stop()
    assert time.monotonic() - started < 2
    assert emu.resource("org-1", "po-1") is None  # stopped stalls are never applied


def test_short_stall_is_then_handled(emu: Emulator, session: requests.Session) -> None:
    emu.inject("stall", seconds=0.05)
    assert put(session, emu).status_code == 201


def test_faults_do_not_touch_the_control_routes(emu: Emulator, session: requests.Session) -> None:
    emu.inject("503")
    assert session.get(f"{emu.url}/_emulator/faults", timeout=5).status_code == 200
    assert [f.kind for f in emu.faults] == ["503"]
    emu.clear_faults()
    assert put(session, emu).status_code == 201


def test_inject_rejects_nonsense(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="kind"):
        emu.inject("418")
    with pytest.raises(ValueError, match="count"):
        emu.inject("503", count=0)
    with pytest.raises(ValueError, match="seconds"):
        emu.inject("stall", seconds=-1)
    with pytest.raises(ValueError, match="style"):
        emu.inject("429", style="minutes")


# --- the control endpoint -------------------------------------------------------------------


def test_control_endpoint(emu: Emulator, session: requests.Session) -> None:
    faults = f"{emu.url}/_emulator/faults"
    created = session.post(faults, json={"kind": "503", "count": 2}, timeout=5)
    assert created.status_code == 201
    assert [f["kind"] for f in created.json()["faults"]] == ["503", "503"]
    assert_problem(put(session, emu), 503)
    assert [f["kind"] for f in session.get(faults, timeout=5).json()["faults"]] == ["503"]
    assert session.delete(faults, timeout=5).json() == {"faults": []}
    assert put(session, emu).status_code == 201

    spec = {"kind": "429", "retryAfter": 5, "style": "seconds"}
    assert session.post(faults, json=spec, timeout=5).status_code == 201
    assert put(session, emu).headers["Retry-After"] == "5"

    session.post(faults, json={"kind": "reset"}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        put(session, emu)

    for bad in ({"kind": "nope"}, {"kind": "503", "count": 0}, {"kind": "503", "x": 1}, [1]):
        assert_problem(session.post(faults, json=bad, timeout=5), 400)
    assert_problem(session.post(faults, data=b"{", timeout=5), 400)

    received = session.get(f"{emu.url}/_emulator/requests", timeout=5).json()
    assert [r["fault"] for r in received] == ["503", None, "429", "reset"]
    assert received[0]["headers"]["Reb-Apikey"] == "<redacted>"

    assert session.post(f"{emu.url}/_emulator/reset", timeout=5).json() == {"reset": True}
    assert emu.requests == []
    assert emu.resource("org-1", "po-1") is None
    assert put(session, emu).status_code == 201


# --- the wire -------------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(emu: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    headers = {**AUTH, "Content-Type": "application/json"}
    conn.request("PUT", "/organizations/org-1/payout-requests/po-1", json.dumps(BODY), headers)
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    assert sock is not None
    assert first.getheader("Connection") is None
    conn.request("PUT", "/organizations/org-1/payout-requests/po-1", json.dumps(BODY), headers)
    second = conn.getresponse()
    second.read()
    conn.request("GET", "/organizations/org-1/payout-requests/po-1", headers=AUTH)
    third = conn.getresponse()
    assert json.loads(third.read())["id"] == "po-1"
    assert (first.status, second.status, third.status) == (201, 200, 200)
    assert conn.sock is sock  # never reconnected
    conn.close()


def test_keep_alive_after_errors_and_chunked_bodies(
    emu: Emulator, session: requests.Session
) -> None:
    """A body that is not used (401, 404) is still read, so the next request parses."""
    assert put(session, emu, headers={}).status_code == 401
    assert session.put(f"{emu.url}/nowhere", json=BODY, timeout=5).status_code == 404
    chunks = (part.encode() for part in (json.dumps(BODY)[:10], json.dumps(BODY)[10:]))
    chunked = session.put(
        url(emu), data=chunks, headers={**AUTH, "Content-Type": "application/json"}, timeout=5
    )
    assert chunked.status_code == 201, chunked.text
    assert put(session, emu).status_code == 200


def test_bad_content_length_is_400_and_closes(emu: Emulator) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(
            b"PUT /organizations/org-1/payout-requests/po-1 HTTP/1.1\r\n"
            b"Host: x\r\nREB-APIKEY: k\r\nContent-Length: ten\r\n\r\n{}"
        )
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in data


def test_stop_ends_idle_kept_alive_connections_at_once(session: requests.Session) -> None:
    emu = Emulator().start()
    assert put(session, emu).status_code == 201  # the session keeps its connection open
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1
    assert emu.wait(0)  # not serving


def test_ipv6_loopback(session: requests.Session) -> None:
    import socket

    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        emu = Emulator(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert emu.url.startswith("http://[::1]:")
        assert put(session, emu).status_code == 201
    finally:
        emu.stop()


def test_concurrent_puts(emu: Emulator) -> None:
    codes: list[int] = []

    def worker(n: int) -> None:
        with requests.Session() as s:
            codes.extend(put(s, emu, rid=f"po-{n}-{i % 2}").status_code for i in range(5))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes).count(201) == 16
    assert len(codes) == 40


def test_lifecycle(session: requests.Session) -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError):
        _ = emu.url
    assert emu.start() is emu
    with pytest.raises(RuntimeError):
        emu.start()
    assert emu.url.startswith("http://127.0.0.1:")
    assert emu.base_url("org-1") == f"{emu.url}/organizations/org-1"
    assert put(session, emu).status_code == 201
    emu.stop()
    emu.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        put(session, emu, timeout=2)
    with pytest.raises(ValueError, match="port"):
        Emulator(port=-1)


def test_port_in_use_raises(emu: Emulator) -> None:
    with pytest.raises(OSError):
        Emulator(port=emu.port).start()


def test_serve_forever_returns_when_stopped_elsewhere() -> None:
    emu = Emulator()
    thread = threading.Thread(target=emu.serve_forever)
    thread.start()
    deadline = time.monotonic() + 5
    while emu._server is None and time.monotonic() < deadline:
        time.sleep(0.01)
    emu.stop()
    thread.join(5)
    assert not thread.is_alive()


# --- the command ----------------------------------------------------------------------------


def test_emulator_command_runs_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "connector", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        base = line.split()[2]
        assert base.startswith("http://127.0.0.1:")
        response = requests.put(
            f"{base}/organizations/org-1/payout-requests/po-1", json=BODY, headers=AUTH, timeout=5
        )
        assert response.status_code == 201
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "payout-requests/po-1" in err and "201" in err
    assert "s3cr3t" not in out + err + line


def test_emulator_command_reports_a_busy_port(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from connector.cli import main

    assert main(["emulator", "--quiet", "--port", str(emu.port)]) == 3
    assert f"cannot listen on 127.0.0.1:{emu.port}" in capsys.readouterr().err


def test_emulator_command_refuses_a_public_host(capsys: pytest.CaptureFixture[str]) -> None:
    from connector.cli import main

    assert main(["emulator", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
