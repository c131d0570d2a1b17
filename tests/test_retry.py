"""Deciding, waiting and stopping: the retry table and the tenacity strategies, no network."""

from __future__ import annotations

from collections import deque
from email.utils import formatdate

import pytest
import tenacity

from connector._errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeoutError,
    ReadTimeoutError,
    TransportError,
)
from connector._retry import (
    STATUS_RULES,
    LastOutcome,
    Outcome,
    Rule,
    Schedule,
    backoff,
    build_retrying,
    may_resend,
    run_attempts,
    server_wait,
    stop_at_deadline,
)
from connector._template import RetryPolicy
from connector._transport import Response
from tests._clock import FakeClock

NOW = 1_900_000_000.0


def response(status: int, **headers: str) -> Response:
    """A response with `status` and headers given as keyword arguments (`_` for `-`)."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return Response(status_code=status, reason="", headers=named, body=None)


@pytest.mark.parametrize(
    ("outcome", "safe", "retried"),
    [
        pytest.param(ConnectError("refused"), False, True, id="connect-error-any-method"),
        pytest.param(ConnectTimeoutError("slow"), False, True, id="connect-timeout-any-method"),
        pytest.param(ReadTimeoutError("slow"), True, True, id="read-timeout-put"),
        pytest.param(ReadTimeoutError("slow"), False, False, id="read-timeout-post"),
        pytest.param(ConnectionLostError("reset"), True, True, id="reset-put"),
        pytest.param(ConnectionLostError("reset"), False, False, id="reset-post"),
        pytest.param(TransportError("tls"), True, False, id="tls-never"),
        *(
            pytest.param(response(s), True, True, id=f"{s}-put")
            for s in (408, 425, 429, 500, 502, 503, 504)
        ),
        *(pytest.param(response(s), False, False, id=f"{s}-post") for s in (408, 429, 500, 503)),
        *(
            pytest.param(response(s), True, False, id=f"{s}-never")
            for s in (200, 201, 301, 400, 401, 403, 404, 409, 422, 501)
        ),
    ],
)
def test_the_table_decides_what_may_be_sent_again(
    outcome: Outcome, safe: bool, retried: bool
) -> None:
    """Connect failures always; timeouts, resets and 408/425/429/5xx only when safe; else never."""
    assert may_resend(outcome, safe=safe) is retried


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        pytest.param({"Retry-After": "12"}, 12.0, id="seconds"),
        pytest.param({"Retry-After": " 3 "}, 3.0, id="seconds-with-spaces"),
        pytest.param({"Retry-After": formatdate(NOW + 30, usegmt=True)}, 30.0, id="http-date"),
        pytest.param({"Retry-After": formatdate(NOW - 30, usegmt=True)}, 0.0, id="date-passed"),
        pytest.param({"X-RateLimit-Retry-After": str(int(NOW + 42))}, 42.0, id="rebilly-epoch"),
        pytest.param({"x-ratelimit-retry-after": str(int(NOW + 1))}, 1.0, id="any-case"),
        pytest.param(
            {"X-RateLimit-Retry-After": "2030-03-17T17:47:40+00:00"},
            60.0,
            id="rebilly-iso-date",
        ),
        pytest.param(
            {"Retry-After": "5", "X-RateLimit-Retry-After": str(int(NOW + 8))}, 8.0, id="longer"
        ),
        pytest.param({"Retry-After": "soon"}, None, id="garbage"),
        pytest.param({"Retry-After": "nan"}, None, id="nan"),
        pytest.param({}, None, id="none"),
    ],
)
def test_the_server_wait_is_read_from_either_header(
    headers: dict[str, str], wait: float | None
) -> None:
    """Retry-After (seconds or HTTP-date) and X-RateLimit-Retry-After (epoch) are understood."""
    answer = Response(status_code=429, reason="", headers=headers, body=None)
    assert server_wait(answer, NOW) == wait


def state(attempt_number: int) -> tenacity.RetryCallState:
    """A retry state after `attempt_number` attempts."""
    retry_state = tenacity.RetryCallState(tenacity.Retrying(), fn=None, args=(), kwargs={})
    retry_state.attempt_number = attempt_number
    return retry_state


def test_the_backoff_grows_by_the_rate_and_is_capped() -> None:
    """interval x rate^(n-1): 1, 2, 4, 8, 16, then capped at maxIntervalSeconds."""
    policy = RetryPolicy(
        interval_seconds=1, backoff_rate=2, max_interval_seconds=20, jitter_seconds=0
    )
    wait = backoff(policy, random=lambda: 0.0)
    assert [wait(state(n)) for n in range(1, 8)] == [1, 2, 4, 8, 16, 20, 20]


def test_jitter_is_added_after_the_cap() -> None:
    """Jitter (jitterSeconds x random) comes on top of the capped backoff."""
    policy = RetryPolicy(
        interval_seconds=3, backoff_rate=3, max_interval_seconds=5, jitter_seconds=0.5
    )
    wait = backoff(policy, random=lambda: 0.5)
    assert [wait(state(n)) for n in (1, 2, 3)] == [3.25, 5.25, 5.25]


def test_the_deadline_stops_when_the_coming_wait_would_pass_it() -> None:
    """The stop looks ahead: now + upcoming wait at or past the deadline stops."""
    stop = stop_at_deadline(deadline_at=100.0, clock=lambda: 90.0)
    retry_state = state(1)
    retry_state.upcoming_sleep = 9.0
    assert not stop(retry_state)
    retry_state.upcoming_sleep = 10.0
    assert stop(retry_state)


class Script:
    """Outcomes handed out one per attempt, on the fake clock (sleeping moves it)."""

    def __init__(self, *outcomes: Outcome) -> None:
        self.outcomes = deque(outcomes)
        self.clock = FakeClock()
        self.calls = 0

    def attempt(self) -> Outcome:
        self.calls += 1
        return self.outcomes.popleft()

    def schedule(self, max_attempts: int = 3, deadline: float = 60.0) -> Schedule:
        return Schedule(
            max_attempts=max_attempts,
            deadline_at=self.clock.now + deadline,
            clock=self.clock,
            random=lambda: 0.0,
        )


POLICY = RetryPolicy(interval_seconds=1, backoff_rate=2, max_attempts=3, jitter_seconds=0)


def test_one_retrying_runs_until_success() -> None:
    """503, reset, 201: two waits of 1 and 2 seconds, and the 201 is the outcome."""
    script = Script(response(503), ConnectionLostError("reset"), response(201))
    final = run_attempts(build_retrying(POLICY, script.schedule(), repeatable=True), script.attempt)
    assert final == LastOutcome(response(201))
    assert script.clock.slept == [1.0, 2.0]


def test_max_attempts_stops_and_keeps_the_last_outcome() -> None:
    """After maxAttempts the last outcome is kept and marked stopped."""
    script = Script(response(503), response(502), response(504))
    final = run_attempts(build_retrying(POLICY, script.schedule(), repeatable=True), script.attempt)
    assert final.outcome == response(504)
    assert final.stopped
    assert script.calls == 3


def test_a_server_wait_past_the_deadline_is_not_slept() -> None:
    """A Retry-After that ends past the deadline stops at once; the skipped wait is reported."""
    script = Script(response(429, Retry_After="600"))
    final = run_attempts(build_retrying(POLICY, script.schedule(), repeatable=True), script.attempt)
    assert script.clock.slept == []
    assert final.stopped
    assert final.wait_skipped == 600.0


def test_a_non_retryable_outcome_returns_at_once() -> None:
    """A 422 is the outcome of the first attempt, not stopped, never retried."""
    script = Script(response(422), response(201))
    final = run_attempts(build_retrying(POLICY, script.schedule(), repeatable=True), script.attempt)
    assert final == LastOutcome(response(422))
    assert script.calls == 1


def test_a_post_response_is_final_but_a_refused_connection_is_retried() -> None:
    """For a POST, a refused connection is retried and a 503 is not."""
    script = Script(ConnectError("refused"), response(503), response(201))
    final = run_attempts(
        build_retrying(POLICY, script.schedule(), repeatable=False), script.attempt
    )
    assert final == LastOutcome(response(503))
    assert script.calls == 2


def test_rules_cover_only_the_documented_statuses() -> None:
    """The status table lists exactly 408, 425, 429, 500, 502, 503 and 504."""
    assert sorted(STATUS_RULES) == [408, 425, 429, 500, 502, 503, 504]
    assert set(STATUS_RULES.values()) == {Rule.IF_SAFE}
