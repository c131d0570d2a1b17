"""The structured response: what the engine and a person read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connector._errors import (
    ConnectorError,
    InputError,
    RetriesExhaustedError,
    StatusError,
    TransportError,
    UsageError,
)
from connector._result import Attempt, ErrorInfo, TaskResult
from tests._clock import FakeClock


def test_durations_are_written_as_a_person_reads_them() -> None:
    """elapsedMs to a tenth of a millisecond and waits to the millisecond, not 14 digits."""
    result = TaskResult(
        status="COMPLETED",
        attempts=[Attempt(number=1, elapsed_ms=12.345678901234, wait_seconds=1.23456789)],
        elapsed_ms=1234.56789012345,
    )
    shown = result.to_json()
    assert shown["elapsedMs"] == 1234.6
    assert shown["attempts"][0]["elapsedMs"] == 12.3
    assert shown["attempts"][0]["waitSeconds"] == 1.235
    assert "1234.6," in json.dumps(shown)
    assert result.elapsed_ms == 1234.56789012345  # the model keeps the measurement


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        pytest.param("validation", InputError, id="validation"),
        pytest.param("usage", UsageError, id="usage"),
        pytest.param("http", StatusError, id="http"),
        pytest.param("rate_limited", StatusError, id="rate-limited"),
        pytest.param("timeout", TransportError, id="timeout"),
        pytest.param("retries_exhausted", RetriesExhaustedError, id="retries-exhausted"),
    ],
)
def test_raise_for_status_raises_the_error_of_the_failed_kind(
    kind: str, error: type[ConnectorError]
) -> None:
    """A FAILED result raises the error of its kind, with the result attached."""
    failed = TaskResult(status="FAILED", error=ErrorInfo(kind=kind, message="it failed"))
    with pytest.raises(error, match="it failed") as caught:
        failed.raise_for_status()
    assert caught.value.result is failed  # type: ignore[attr-defined]


def test_raise_for_status_returns_a_completed_result() -> None:
    """COMPLETED: the result itself, so calls chain."""
    done = TaskResult(status="COMPLETED")
    assert done.raise_for_status() is done


def test_retries_exhausted_is_raised_for_a_real_run(emulator: Any, clock: FakeClock) -> None:
    """503 on every attempt: the executor returns FAILED, raise_for_status raises."""
    import json

    from conftest import EXAMPLE_INPUT

    from connector import Executor

    emulator.inject("503", count=5)
    inputs = json.loads(EXAMPLE_INPUT.read_text())
    with Executor(environ={"REBILLY_API_KEY": "sk_local_x"}, clock=clock) as ex:
        result = ex.run("upsert-payout-request", inputs, base_url=emulator.base_url("o"))
    assert result.status == "FAILED"
    with pytest.raises(RetriesExhaustedError):
        result.raise_for_status()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        pytest.param({}, "backoff", id="backoff"),
        pytest.param({"Retry-After": "7"}, "Retry-After", id="retry-after"),
        pytest.param(
            {"X-RateLimit-Retry-After": "1800000009"}, "X-RateLimit-Retry-After", id="epoch"
        ),
        pytest.param({"Retry-After": "0"}, "backoff", id="hint-shorter-than-backoff"),
    ],
)
def test_each_wait_says_what_set_it(headers: dict[str, str], reason: str, clock: FakeClock) -> None:
    """The attempt records why it waited, and `on_wait` hears it before the wait."""
    import responses as fake

    from connector import Executor, load_task

    heard: list[Attempt] = []
    url = "https://api-sandbox.rebilly.com/organizations/o/payout-requests/p-1"
    inputs = {
        "id": "p-1",
        "organizationId": "o",
        "currency": "USD",
        "amount": 1,
        "websiteId": "w",
        "customerId": "c",
    }
    with fake.RequestsMock() as mock:
        mock.put(url, status=429, headers=headers)
        mock.put(url, status=201, json={})
        executor = Executor(
            environ={"REBILLY_API_KEY": "sk_sandbox_wait"},
            clock=clock,  # time() is 1800000000 at the start
            random=lambda: 0.0,
            on_wait=heard.append,
        )
        result = executor.run(load_task("upsert-payout-request"), inputs, environment="sandbox")
    assert result.status == "COMPLETED"
    assert result.attempts[0].wait_reason == reason
    assert [a.wait_reason for a in heard] == [reason]
    assert result.to_json()["attempts"][0]["waitReason"] == reason


def test_test_request_says_why_it_waits(capsys: pytest.CaptureFixture[str]) -> None:
    """The line test-request writes while it waits names the wait and its cause."""
    from connector.cli._progress import say_wait

    say_wait(
        Attempt(number=1, status_code=429, elapsed_ms=3, wait_seconds=7, wait_reason="Retry-After")
    )
    assert capsys.readouterr().err == (
        "connector: attempt 1: 429; waiting 7.00 s (the server's Retry-After) before attempt 2\n"
    )
