"""The executor: retries, timeouts, body limits and the structured result, over real loopback.

Servers are real (127.0.0.1, random ports); the clock is the `clock` fixture, so the waits the
policy asks for are recorded and never slept.
"""

from __future__ import annotations

import json
import logging
from email.utils import formatdate
from typing import Any

import pytest
import requests
import responses
from _idle_server import IdleClosingServer
from _scripted_server import Endless, Reply, Reset, ScriptedServer, Stall, free_port

from connector import Executor, Task, TaskResult, run_task
from connector._template import parse_template
from connector.emulator import Emulator
from tests._clock import EPOCH, FakeClock

KEY = "sk_sandbox_TESTKEY123456"
ENVIRON = {"REBILLY_API_KEY": KEY}


@pytest.fixture
def executor(clock: FakeClock) -> Executor:
    """An executor with a fake clock, no jitter and a sandbox key configured."""
    return Executor(clock=clock, random=lambda: 0.0, environ=ENVIRON)


def make_task(method: str = "PUT", **extra: Any) -> Task:
    """A small template of the given method, sent to a base URL given at run time."""
    document = {
        "name": f"test-{method.lower()}",
        "title": "test",
        "servers": {"sandbox": "http://127.0.0.1:9/unused"},
        "auth": [{"type": "apiKey", "header": "REB-APIKEY", "env": "REBILLY_API_KEY"}],
        "httpRequest": {"url": "/things/<<id>>", "method": method, "body": {"n": "<<n>>"}},
        "successStatusCodes": [200, 201],
        "retry": {"intervalSeconds": 1, "backoffRate": 2, "maxAttempts": 3, "jitterSeconds": 0},
        **extra,
    }
    return Task(parse_template(document, source="test"))


def send(executor: Executor, server: ScriptedServer, task: Task | None = None, **kw: Any) -> Any:
    """Run the task against `server`."""
    return executor.run(task or make_task(), {"id": "t-1", "n": 1}, base_url=server.url, **kw)


def test_503_twice_then_201_completes_after_two_backoff_waits(
    executor: Executor, clock: FakeClock
) -> None:
    """Two 503s are retried after interval x rate^(n-1) seconds; the 201 completes the task."""
    with ScriptedServer(Reply(503), Reply(503), Reply(201, {"id": "t-1"})) as server:
        result = send(executor, server)
    assert result.status == "COMPLETED"
    assert [a.status_code for a in result.attempts] == [503, 503, 201]
    assert [a.wait_seconds for a in result.attempts] == [1.0, 2.0, 0.0]
    assert clock.slept == [1.0, 2.0]
    assert result.response.body == {"id": "t-1"}
    assert result.error is None
    assert not result.retryable


@pytest.mark.parametrize(
    ("headers", "expected_wait"),
    [
        pytest.param({"Retry-After": "7"}, 7.0, id="retry-after-seconds"),
        pytest.param(
            {"Retry-After": formatdate(EPOCH + 5, usegmt=True)}, 5.0, id="retry-after-http-date"
        ),
        pytest.param({"X-RateLimit-Retry-After": str(int(EPOCH + 9))}, 9.0, id="rebilly-epoch"),
    ],
)
def test_429_waits_as_long_as_the_server_asks(
    executor: Executor, clock: FakeClock, headers: dict[str, str], expected_wait: float
) -> None:
    """A 429's retry header lengthens the backoff: the wait is what the server asked for."""
    with ScriptedServer(Reply(429, {"title": "slow down"}, headers), Reply(200)) as server:
        result = send(executor, server)
    assert result.status == "COMPLETED"
    assert clock.slept == [expected_wait]
    assert result.attempts[0].wait_seconds == expected_wait


def test_a_reset_connection_is_retried(executor: Executor) -> None:
    """A connection reset by the server is a connection error, retried for a PUT."""
    with ScriptedServer(Reset(), Reply(201)) as server:
        result = send(executor, server)
    assert result.status == "COMPLETED"
    assert result.attempts[0].status_code is None
    assert result.attempts[0].error.startswith("connection:")
    assert len(server.received) == 2


def test_a_stalled_read_times_out_and_is_reported(executor: Executor) -> None:
    """A server that never answers ends in a read timeout, of kind timeout, retryable."""
    with ScriptedServer(Stall()) as server:
        result = send(executor, server, read_timeout=0.2, max_attempts=1)
    assert result.status == "FAILED"
    assert result.error.kind == "timeout"
    assert "did not answer within 0.2 s" in result.error.message
    assert result.retryable
    assert result.response is None


def test_a_stalled_read_is_retried_for_a_put(executor: Executor, clock: FakeClock) -> None:
    """After a read timeout a PUT is sent again, and the second answer completes it."""
    with ScriptedServer(Stall(), Reply(200)) as server:
        result = send(executor, server, read_timeout=0.2)
    assert [a.status_code for a in result.attempts] == [None, 200]
    assert result.status == "COMPLETED"


def test_an_endless_body_is_cut_at_the_size_cap(clock: FakeClock) -> None:
    """An endless body is read up to the cap only, and the cut is reported as a warning."""
    executor = Executor(clock=clock, environ=ENVIRON, max_body_bytes=100_000)
    with ScriptedServer(Endless(content_type="text/plain")) as server:
        result = send(executor, server)
    assert len(result.response.body) == 100_000
    assert any("cut at 100000 bytes" in warning for warning in result.warnings)


def test_a_body_still_arriving_at_the_deadline_is_a_timeout() -> None:
    """A body that keeps coming cannot hold the task past its deadline: the read stops."""
    clock = FakeClock(tick=1.0)  # a second passes at each read of the clock
    executor = Executor(clock=clock, environ=ENVIRON)
    task = make_task(deadlineSeconds=20, retry={"maxAttempts": 1})
    with ScriptedServer(Endless(content_type="text/plain")) as server:
        result = send(executor, server, task)
    assert (result.status, result.error.kind, result.response) == ("FAILED", "timeout", None)
    assert "still arriving at the deadline" in result.error.message
    assert clock.slept == []


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        pytest.param({"Retry-After": "120"}, "rate_limited", id="retry-after"),
        pytest.param(
            {"X-RateLimit-Retry-After": str(int(EPOCH + 3600))}, "rate_limited", id="rebilly"
        ),
    ],
)
def test_a_wait_past_the_deadline_stops_at_once(
    executor: Executor, clock: FakeClock, headers: dict[str, str], kind: str
) -> None:
    """When the server asks for a wait that ends past the deadline, nothing is slept."""
    with ScriptedServer(Reply(429, {"title": "slow down"}, headers)) as server:
        result = send(executor, server, deadline=60)
    assert clock.slept == []
    assert len(result.attempts) == 1
    assert result.error.kind == kind
    assert "past the deadline of 60 s: stopped without waiting" in result.error.message
    assert result.retryable
    assert result.response.status_code == 429


def test_a_503_asking_past_the_deadline_is_retries_exhausted(
    executor: Executor, clock: FakeClock
) -> None:
    """A 503 whose Retry-After passes the deadline ends as retries_exhausted, not slept."""
    with ScriptedServer(Reply(503, headers={"Retry-After": "600"})) as server:
        result = send(executor, server, deadline=30)
    assert clock.slept == []
    assert result.error.kind == "retries_exhausted"
    assert "Retry-After" in result.error.message


def test_the_backoff_does_not_pass_the_deadline(executor: Executor, clock: FakeClock) -> None:
    """Retries stop when the next backoff wait would end past the deadline."""
    with ScriptedServer(Reply(503), Reply(503), Reply(503)) as server:
        result = send(executor, server, deadline=2.5)
    assert clock.slept == [1.0]
    assert len(result.attempts) == 2
    assert result.error.kind == "retries_exhausted"


def test_every_attempt_failing_is_retries_exhausted(executor: Executor) -> None:
    """Three 503s use up the attempts; the last response is kept in full."""
    problem = {"title": "Service Unavailable", "detail": "maintenance"}
    with ScriptedServer(default=Reply(503, problem)) as server:
        result = send(executor, server)
    assert result.error.kind == "retries_exhausted"
    assert (
        result.error.message == "3 attempts failed; the last: 503 Service Unavailable: maintenance"
    )
    assert result.response.body == problem
    assert result.retryable


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 418])
def test_a_non_retryable_status_is_answered_once(executor: Executor, status: int) -> None:
    """A 4xx other than 408/425/429 is sent once and kept as the response, kind http."""
    problem = {"title": "no", "status": status, "detail": f"status {status}"}
    with ScriptedServer(default=Reply(status, problem)) as server:
        result = send(executor, server)
    assert len(server.received) == 1
    assert result.status == "FAILED"
    assert result.error.kind == "http"
    assert not result.retryable
    assert result.response.status_code == status
    assert result.response.body == problem


def test_a_422_keeps_rebilly_invalid_fields(executor: Executor) -> None:
    """Rebilly's invalidFields become the error's field errors, in dot notation."""
    problem = {
        "title": "Invalid data",
        "invalidFields": [{"field": "allocations.0.currency", "message": "too long"}],
    }
    with ScriptedServer(Reply(422, problem, {"Content-Type": "application/problem+json"})) as s:
        result = send(executor, s)
    assert [(e.field, e.message) for e in result.error.field_errors] == [
        ("allocations.0.currency", "too long")
    ]
    assert result.response.body["invalidFields"][0]["field"] == "allocations.0.currency"


def test_a_post_is_not_retried_after_a_response(executor: Executor) -> None:
    """A POST that got a 503 is not sent again: the server may have acted on it."""
    with ScriptedServer(Reply(503), Reply(201)) as server:
        result = send(executor, server, make_task("POST"))
    assert len(server.received) == 1
    assert result.error.kind == "http"
    assert not result.retryable


def test_a_post_declared_safe_is_retried(executor: Executor) -> None:
    """A template that declares its POST safe to repeat gets the usual retries."""
    task = make_task("POST", retry={"retryNonIdempotent": True, "jitterSeconds": 0})
    with ScriptedServer(Reply(503), Reply(201)) as server:
        result = send(executor, server, task)
    assert result.status == "COMPLETED"
    assert len(server.received) == 2


def test_a_post_is_not_retried_after_a_read_timeout(executor: Executor) -> None:
    """A POST whose answer timed out may have been processed: it is not sent again."""
    with ScriptedServer(Stall(), Reply(201)) as server:
        result = send(executor, server, make_task("POST"), read_timeout=0.2)
    assert len(result.attempts) == 1
    assert result.error.kind == "timeout"
    assert not result.retryable


def test_a_post_is_retried_when_nothing_reached_the_server(
    executor: Executor, clock: FakeClock
) -> None:
    """A refused connection sent nothing, so even a POST is tried again."""
    task = make_task("POST")
    result = executor.run(task, {"id": "t-1", "n": 1}, base_url=f"http://127.0.0.1:{free_port()}")
    assert [a.error.split(":")[0] for a in result.attempts] == ["connection"] * 3
    assert clock.slept == [1.0, 2.0]
    assert result.error.kind == "retries_exhausted"
    assert result.retryable


def test_the_same_put_twice_gives_one_resource(executor: Executor, example: dict) -> None:
    """Repeating the same PUT against the emulator creates once (201), then updates (200)."""
    with Emulator() as emulator:
        base = emulator.url + "/organizations/<<organizationId>>"
        first = executor.run("upsert-payout-request", example, base_url=base)
        second = executor.run("upsert-payout-request", example, base_url=base)
        stored = emulator.resource(example["organizationId"], example["id"])
    assert (first.response.status_code, second.response.status_code) == (201, 200)
    assert first.response.body["createdTime"] == second.response.body["createdTime"]
    assert stored is not None


def test_the_emulator_503s_are_retried_end_to_end(executor: Executor, example: dict) -> None:
    """Two injected 503s, then the emulator creates the payout request."""
    with Emulator() as emulator:
        emulator.inject("503", count=2)
        base = emulator.url + "/organizations/<<organizationId>>"
        result = executor.run("upsert-payout-request", example, base_url=base)
    assert [a.status_code for a in result.attempts] == [503, 503, 201]
    assert result.status == "COMPLETED"


def test_a_redirect_is_returned_and_the_key_never_reaches_the_other_host(
    executor: Executor,
) -> None:
    """A 3xx is the response; the host it points to receives nothing, least of all the key."""
    with ScriptedServer() as other:
        moved = Reply(307, headers={"Location": other.url + "/things/t-1"})
        with ScriptedServer(moved) as server:
            result = send(executor, server)
    assert other.received == []
    assert server.received[0].headers["REB-APIKEY"] == KEY
    assert result.response.status_code == 307
    assert result.error.kind == "http"


def test_an_html_error_page_is_text(executor: Executor) -> None:
    """A proxy's HTML page is kept as text, not parsed and not a crash."""
    page = "<html><body>Bad Gateway</body></html>"
    with ScriptedServer(default=Reply(404, page, {"Content-Type": "text/html"})) as server:
        result = send(executor, server)
    assert result.response.body == page


def test_a_body_that_lies_about_json_is_text(executor: Executor) -> None:
    """A body labelled JSON that is not JSON is kept as text."""
    with ScriptedServer(Reply(200, "{oops", {"Content-Type": "application/json"})) as server:
        result = send(executor, server)
    assert result.response.body == "{oops"


def test_the_key_is_sent_and_never_shown(executor: Executor) -> None:
    """The server receives the key; the result masks it in headers, echoes and cookies."""
    echo = Reply(
        200,
        {"received": KEY, "nested": [f"key={KEY}"]},
        {"Set-Cookie": "session=abc", "X-Echo": KEY},
    )
    with ScriptedServer(echo) as server:
        result = send(executor, server)
    assert server.received[0].headers["REB-APIKEY"] == KEY
    text = result.model_dump_json()
    assert KEY not in text
    assert result.request.headers["REB-APIKEY"] == "<redacted>"
    assert result.response.headers["Set-Cookie"] == "<redacted>"


def test_one_log_line_per_attempt_and_no_secret(
    executor: Executor, caplog: pytest.LogCaptureFixture
) -> None:
    """Each attempt logs one line on the `connector` logger; none holds the key."""
    caplog.set_level(logging.DEBUG)
    with ScriptedServer(Reply(503), Reply(201, {"echo": KEY})) as server:
        send(executor, server)
    lines = [r.getMessage() for r in caplog.records if r.name == "connector"]
    assert len(lines) == 2
    assert "attempt 1/3: 503" in lines[0]
    assert "retrying in 1.00 s" in lines[0]
    assert "attempt 2/3: 201" in lines[1]
    assert all(KEY not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("inputs", "kind"),
    [
        pytest.param({"id": "..", "n": 1}, "validation", id="dot-dot-path-id"),
        pytest.param({"id": "t-1", "n": 1, "typo": 2}, "validation", id="unknown-input"),
    ],
)
def test_a_definition_error_sends_nothing(
    executor: Executor, inputs: dict[str, Any], kind: str
) -> None:
    """Invalid input is a FAILED result of a 'nothing sent' kind, and the server hears nothing."""
    with ScriptedServer() as server:
        result = executor.run(make_task(), inputs, base_url=server.url)
    assert server.received == []
    assert result.error.kind == kind
    assert result.attempts == []


def test_an_unknown_task_is_a_template_error(executor: Executor) -> None:
    """A task name that is not shipped is a FAILED result of kind template."""
    result = executor.run("no-such-task", {})
    assert result.error.kind == "template"


def test_run_task_without_environment_or_credentials_is_a_usage_failure() -> None:
    """run_task never defaults to a network target without credentials: kind usage."""
    result = run_task("upsert-payout-request", {"id": "p-1"}, environ={})
    assert result["status"] == "FAILED"
    assert result["error"]["kind"] == "usage"
    assert "REBILLY_API_KEY" in result["error"]["message"]


@responses.activate
def test_run_task_defaults_to_sandbox_with_credentials(example: dict) -> None:
    """With a key configured and no environment named, run_task sends to the sandbox."""
    url = "https://api-sandbox.rebilly.com/organizations/org-demo/payout-requests/payout-2026-0001"
    responses.put(url, status=201, json={"id": "payout-2026-0001"})
    result = run_task("upsert-payout-request", example, environ=ENVIRON)
    assert result["status"] == "COMPLETED"
    assert result["request"]["url"] == url
    assert responses.calls[0].request.headers["REB-APIKEY"] == KEY
    assert set(result) == {
        "status",
        "retryable",
        "response",
        "request",
        "attempts",
        "elapsedMs",
        "error",
        "warnings",
    }


@responses.activate
def test_a_given_session_is_used_and_left_open(example: dict) -> None:
    """A session passed in is the one that sends, and run_task does not close it."""
    url = "https://api-sandbox.rebilly.com/organizations/org-demo/payout-requests/payout-2026-0001"
    responses.put(url, status=200, json={})
    session = requests.Session()
    session.headers["X-Trace"] = "t-1"
    run_task("upsert-payout-request", example, environ=ENVIRON, session=session)
    assert responses.calls[0].request.headers["X-Trace"] == "t-1"
    assert session.adapters  # still usable


def test_a_truncated_result_is_a_valid_task_result(executor: Executor) -> None:
    """Every outcome validates against the TaskResult model (the manifest's output schema)."""
    with ScriptedServer(Reply(500, "oops")) as server:
        result = send(executor, server, max_attempts=1)
    assert TaskResult.model_validate(result.to_json()) == result


def test_a_key_hidden_behind_json_escapes_is_still_redacted(executor: Executor) -> None:
    """A body spelling the key with \\u escapes parses to the key, and is redacted all the same."""
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    raw = '{"echo": "' + escaped + '"}'
    with ScriptedServer(Reply(200, raw, {"Content-Type": "application/json"})) as server:
        result = send(executor, server)
    assert result.response.body == {"echo": "<redacted>"}


def test_an_environment_proxy_is_honoured_and_worked_out_once(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY from the environment carries the request; it is read once per origin."""
    with ScriptedServer(Reply(201), Reply(200)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        # No credential: one never goes over plain http beyond loopback (test_exfiltration).
        executor = Executor(clock=clock, environ={})
        task = make_task()
        first = executor.run(task, {"id": "t-1", "n": 1}, base_url="http://payouts.invalid")
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # not read again
        second = executor.run(task, {"id": "t-1", "n": 1}, base_url="http://payouts.invalid")
    assert [first.status, second.status] == ["COMPLETED", "COMPLETED"]
    assert [r.path for r in proxy.received] == ["http://payouts.invalid/things/t-1"] * 2


def test_netrc_adds_no_second_credential(
    executor: Executor, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ~/.netrc entry for the host is not turned into an Authorization header."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with ScriptedServer(Reply(201)) as server:
        result = send(executor, server)
    assert result.status == "COMPLETED"
    headers = {k.lower(): v for k, v in server.received[0].headers.items()}
    assert "authorization" not in headers
    assert headers["reb-apikey"] == KEY


def _ranged_task() -> Task:
    return Task(
        parse_template(
            {
                "name": "ranged",
                "title": "Ranged",
                "servers": {"sandbox": "https://api.example.com"},
                "httpRequest": {"url": "/r", "method": "GET"},
                "successStatusCodes": ["2XX"],
                "retry": {"maxAttempts": 1},
                "responses": {
                    "200": {"contentType": "application/json", "schema": {"type": "object"}},
                    "2XX": {"description": "other success"},
                    "default": {"description": "a problem", "schema": {"type": "object"}},
                },
            },
            source="test",
        )
    )


@pytest.mark.parametrize(
    ("status", "completed", "declared"),
    [
        pytest.param(200, True, "200", id="exact"),
        pytest.param(207, True, "2XX", id="in-range"),
        pytest.param(418, False, "default", id="default"),
    ],
)
@responses.activate
def test_success_ranges_and_the_declared_response_are_kept_on_the_result(
    status: int, completed: bool, declared: str
) -> None:
    """`2XX` counts 207 a success; the result names and keeps the response that describes it."""
    responses.get("https://api.example.com/r", json={"ok": True}, status=status)
    task = _ranged_task()
    with Executor(requests.Session(), environ={}) as executor:
        result = executor.run(task, {}, environment="sandbox")
    assert (result.status == "COMPLETED") is completed
    assert result.response is not None and result.response.declared_as == declared
    assert result.response_spec is task.template.responses[declared]
    assert result.to_json()["response"]["declaredAs"] == declared


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Retry-After": "-5"}, id="negative-seconds"),
        pytest.param({"Retry-After": formatdate(EPOCH - 30, usegmt=True)}, id="past-http-date"),
        pytest.param({"X-RateLimit-Retry-After": "0"}, id="rebilly-epoch-zero"),
        pytest.param({"Retry-After": "0.1"}, id="shorter-than-the-backoff"),
    ],
)
def test_a_server_hint_never_shortens_the_backoff(
    executor: Executor, clock: FakeClock, headers: dict[str, str]
) -> None:
    """A retry header asking for less than the backoff waits the backoff (1 s, then 2 s)."""
    replies = [Reply(503, headers=headers), Reply(503, headers=headers), Reply(201)]
    with ScriptedServer(*replies) as server:
        result = send(executor, server)
    assert result.status == "COMPLETED"
    assert clock.slept == [1.0, 2.0]


def test_json_nested_200000_deep_is_kept_as_text_with_a_warning(
    executor: Executor, tmp_path: Any
) -> None:
    """A valid JSON body nested 200,000 deep (400 KB) is the text body, never a crash."""
    deep = "[" * 200_000 + "]" * 200_000
    reply = Reply(200, deep, {"Content-Type": "application/json"})
    with ScriptedServer(reply, default=reply) as server:
        result = send(executor, server)
        path = tmp_path / "test-put.json"
        path.write_text(json.dumps(make_task().template.to_json()))
        as_json = run_task(str(path), {"id": "t-1", "n": 1}, base_url=server.url, environ=ENVIRON)
    assert result.status == "COMPLETED"
    assert result.response.body == deep
    assert any("nests deeper than 128 levels" in warning for warning in result.warnings)
    assert as_json["status"] == "COMPLETED"
    assert as_json["response"]["body"] == deep


def test_a_stale_kept_alive_connection_is_sent_again_at_once(clock: FakeClock) -> None:
    """A PUT on a connection the server closed while idle is re-sent, not counted, not waited."""
    executor = Executor(clock=clock, random=lambda: 0.0, environ=ENVIRON)
    with IdleClosingServer(clock, idle_seconds=0.2) as server:
        first = send(executor, server)
        clock.now += 0.3
        second = send(executor, server)
    assert (first.status, second.status) == ("COMPLETED", "COMPLETED")
    assert len(second.attempts) == 1
    assert clock.slept == []
    assert (server.answered, server.closed_unanswered) == (2, 1)


def test_a_post_on_a_stale_connection_is_not_sent_again(clock: FakeClock) -> None:
    """A POST is never re-sent by itself: the failed attempt is its outcome."""
    executor = Executor(clock=clock, random=lambda: 0.0, environ=ENVIRON)
    with IdleClosingServer(clock, idle_seconds=0.2) as server:
        send(executor, server, make_task("POST"))
        clock.now += 0.3
        second = send(executor, server, make_task("POST"))
    assert second.status == "FAILED"
    assert second.error.kind == "connection"
    assert len(second.attempts) == 1
    assert (server.answered, server.closed_unanswered) == (1, 1)


def test_a_new_connection_closed_unanswered_is_an_attempt(clock: FakeClock) -> None:
    """Only a reused connection is re-sent at once; a new one that fails uses up an attempt."""
    executor = Executor(clock=clock, random=lambda: 0.0, environ=ENVIRON)
    with IdleClosingServer(clock, idle_seconds=0.2) as server:
        send(executor, server)
        clock.now += 0.3
        executor.session.close()  # no connection left to reuse
        second = send(executor, server)
    assert second.status == "COMPLETED"
    assert len(second.attempts) == 1
    assert server.closed_unanswered == 0


@responses.activate
def test_a_body_that_breaks_http_is_a_connection_error_not_a_crash(executor: Executor) -> None:
    """A 204 with content makes urllib3 raise from the body's read (found by the property
    suite): the attempt ends as a connection error instead of an exception."""
    responses.add(responses.PUT, "http://127.0.0.1:9/things/t-1", status=204, body=b"x")
    result = executor.run(
        make_task(), {"id": "t-1", "n": 1}, base_url="http://127.0.0.1:9", max_attempts=1
    )
    assert result.status == "FAILED"
    assert result.error.kind == "connection"
