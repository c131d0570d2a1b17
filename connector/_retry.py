"""Deciding, waiting and stopping: a template's retry policy as tenacity strategy objects.

- deciding: a data table says which outcomes may be sent again, and for which methods.
  Nothing reached the server (a connect failure): always. A read timeout, a dropped
  connection or 408/425/429/500/502/503/504: only when repeating the request is safe
  (`_idempotency.retry_allowed`: an idempotent method, a keyed request, or a template that
  declares `retryNonIdempotent`). Any other status: never.
- waiting: `intervalSeconds x backoffRate^(n-1)`, capped by `maxIntervalSeconds`, plus jitter.
  A server's `X-RateLimit-Retry-After` (UTC epoch seconds, Rebilly's) or `Retry-After`
  (seconds or HTTP-date) may lengthen the backoff, never shorten it; its only cap is the
  deadline.
- stopping: `maxAttempts` or the deadline, whichever comes first. A wait that would end past
  the deadline stops at once instead of sleeping.

`build_retrying` composes them into one `tenacity.Retrying`; the clock (which also sleeps)
and the random source are injected, so tests never wait. `SendPolicy` holds what one
request is sent under: the retry policy, the timeouts, the deadline and the success statuses.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Final, Literal

import tenacity
from tenacity.retry import retry_base
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from connector._clock import Clock
from connector._errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeoutError,
    ReadTimeoutError,
    TransportError,
)
from connector._idempotency import retry_allowed
from connector._template import RetryPolicy, TaskTemplate
from connector._transport import Response, Timeouts

Outcome = Response | TransportError
"""What one attempt ends with: a response (any status), or no usable response."""

Reading = Callable[[], float]
"""A source of floats: a clock's reading, or random numbers in [0, 1)."""


class Rule(enum.Enum):
    """When an outcome may be sent again."""

    NEVER = "never"
    IF_SAFE = "if safe"
    """Only for an idempotent method, or a template that declares the request safe to repeat."""
    ALWAYS = "always"
    """Nothing reached the server: sending again cannot do anything twice."""


STATUS_RULES: Final[Mapping[int, Rule]] = MappingProxyType(
    dict.fromkeys((408, 425, 429, 500, 502, 503, 504), Rule.IF_SAFE)
)
"""Statuses that may be retried; every other status (400, 401, 403, 404, 409, 422…) never is."""

ERROR_RULES: Final[Mapping[type[TransportError], Rule]] = MappingProxyType(
    {
        ConnectError: Rule.ALWAYS,
        ConnectTimeoutError: Rule.ALWAYS,
        ConnectionLostError: Rule.IF_SAFE,
        ReadTimeoutError: Rule.IF_SAFE,
    }
)
"""Transport failures that may be retried; any other (a TLS failure) never is."""

RATE_LIMIT_HEADER: Final = "X-RateLimit-Retry-After"
RETRY_AFTER_HEADER: Final = "Retry-After"


def rule_for(outcome: Outcome) -> Rule:
    """The table's rule for one outcome."""
    if isinstance(outcome, Response):
        return STATUS_RULES.get(outcome.status_code, Rule.NEVER)
    return ERROR_RULES.get(type(outcome), Rule.NEVER)


def may_resend(outcome: Outcome, *, safe: bool) -> bool:
    """Whether `outcome` may be sent again, for a request that is (or is not) safe to repeat."""
    rule = rule_for(outcome)
    return rule is Rule.ALWAYS or (rule is Rule.IF_SAFE and safe)


# -- server hints ----------------------------------------------------------------------------


def server_wait(response: Response, now: float) -> float | None:
    """Seconds the server asks to wait before the next attempt, or None when it does not say.

    Both headers are read; when both are present the longer wait wins.
    """
    return hinted_wait(response.header, now)


WaitReason = Literal["backoff", "Retry-After", "X-RateLimit-Retry-After"]


def wait_reason(outcome: Outcome, waited: float, now: float) -> WaitReason:
    """Why the wait before the next attempt was `waited` seconds: the server's header that
    set it (a hint only ever lengthens the backoff), or the backoff itself."""
    if isinstance(outcome, Response):
        hints = {
            RATE_LIMIT_HEADER: _seconds_until_epoch(outcome.header(RATE_LIMIT_HEADER), now),
            RETRY_AFTER_HEADER: _retry_after_seconds(outcome.header(RETRY_AFTER_HEADER), now),
        }
        for name, hint in hints.items():
            if hint is not None and abs(hint - waited) < 1e-6:
                return "X-RateLimit-Retry-After" if name == RATE_LIMIT_HEADER else "Retry-After"
    return "backoff"


def hinted_wait(header: Callable[[str], str | None], now: float) -> float | None:
    """`server_wait` for headers read through `header(name)` (case-insensitive), such as a
    finished result's response headers."""
    waits = [
        _seconds_until_epoch(header(RATE_LIMIT_HEADER), now),
        _retry_after_seconds(header(RETRY_AFTER_HEADER), now),
    ]
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None


def _seconds_until_epoch(value: str | None, now: float) -> float | None:
    """`X-RateLimit-Retry-After`: UTC epoch seconds (a date is accepted too)."""
    if value is None:
        return None
    number = _number(value)
    if number is None:
        return _seconds_until_date(value, now)
    return max(number - now, 0.0)


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    """`Retry-After`: delay seconds or an HTTP-date."""
    if value is None:
        return None
    number = _number(value)
    return _seconds_until_date(value, now) if number is None else max(number, 0.0)


def _number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _seconds_until_date(value: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if moment.tzinfo is None:
        return None
    return max(moment.timestamp() - now, 0.0)


# -- strategies ------------------------------------------------------------------------------


def _outcome(retry_state: tenacity.RetryCallState) -> Outcome | None:
    future = retry_state.outcome
    if future is None or future.failed:
        return None
    result: Outcome = future.result()
    return result


class retry_if_transient(retry_base):  # noqa: N801 (tenacity's naming)
    """Retry an outcome the table allows; an unexpected exception is never retried."""

    def __init__(self, *, safe: bool) -> None:
        self.safe = safe

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = _outcome(retry_state)
        return outcome is not None and may_resend(outcome, safe=self.safe)


class wait_jitter(wait_base):  # noqa: N801
    """A random wait in [0, seconds), from an injectable source of floats in [0, 1)."""

    def __init__(self, seconds: float, random: Reading) -> None:
        self.seconds = seconds
        self.random = random

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        return self.seconds * self.random()


class wait_server_hint(wait_base):  # noqa: N801
    """The backoff, lengthened to the wait the server asks for (Retry-After headers).

    A hint never shortens the backoff: `Retry-After: -5`, a date in the past or
    `X-RateLimit-Retry-After: 0` would otherwise send the attempts back to back.
    """

    def __init__(self, fallback: wait_base, now: Reading) -> None:
        self.fallback = fallback
        self.now = now

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = _outcome(retry_state)
        hint = server_wait(outcome, self.now()) if isinstance(outcome, Response) else None
        backoff = self.fallback(retry_state)
        return backoff if hint is None else max(hint, backoff)


class stop_at_deadline(stop_base):  # noqa: N801
    """Stop when the coming wait would end at or past the deadline (a monotonic instant)."""

    def __init__(self, deadline_at: float, clock: Reading) -> None:
        self.deadline_at = deadline_at
        self.clock = clock

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep >= self.deadline_at


def backoff(policy: RetryPolicy, random: Reading) -> wait_base:
    """`intervalSeconds x backoffRate^(n-1)`, capped by `maxIntervalSeconds`, plus jitter."""
    exponential = tenacity.wait_exponential(
        multiplier=policy.interval_seconds,
        exp_base=policy.backoff_rate,
        max=policy.max_interval_seconds,
    )
    return exponential + wait_jitter(policy.jitter_seconds, random)


# -- composition -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LastOutcome:
    """How a run of attempts ended."""

    outcome: Outcome
    stopped: bool = False
    """The outcome could have been retried, but attempts or time ran out."""
    wait_skipped: float = 0.0
    """The wait that stopping did not sleep (the server's ask, or the next backoff)."""


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """How one request is sent: retries, timeouts, the deadline and what counts as success."""

    retry: RetryPolicy
    timeouts: Timeouts
    deadline_seconds: float
    success_status_codes: frozenset[int]
    repeatable: bool = False
    """Sending the request again cannot do anything twice (`retry_allowed`)."""

    @classmethod
    def for_template(
        cls,
        template: TaskTemplate,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
    ) -> SendPolicy:
        """The template's policy, with any of its limits overridden."""
        retry = template.retry
        if max_attempts is not None:
            retry = retry.model_copy(update={"max_attempts": max(1, max_attempts)})
        return cls(
            retry=retry,
            timeouts=Timeouts(
                connect_timeout or template.connection_timeout_seconds,
                read_timeout or template.read_timeout_seconds,
            ),
            deadline_seconds=deadline or template.deadline_seconds,
            success_status_codes=template.success_codes(),
            repeatable=retry_allowed(template).allowed,
        )


def _stopped(retry_state: tenacity.RetryCallState) -> LastOutcome:
    future = retry_state.outcome
    assert future is not None  # tenacity only stops after an attempt
    return LastOutcome(future.result(), stopped=True, wait_skipped=retry_state.upcoming_sleep)


@dataclass(frozen=True, slots=True)
class Schedule:
    """What a retry run needs from the outside: limits, the injected clock and the jitter source."""

    max_attempts: int
    deadline_at: float
    clock: Clock
    random: Reading


def build_retrying(
    policy: RetryPolicy,
    schedule: Schedule,
    *,
    repeatable: bool,
    before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
) -> tenacity.Retrying:
    """One `tenacity.Retrying` for one request, built from the template's policy."""
    return tenacity.Retrying(
        retry=retry_if_transient(safe=repeatable),
        wait=wait_server_hint(backoff(policy, schedule.random), schedule.clock.time),
        stop=tenacity.stop_after_attempt(schedule.max_attempts)
        | stop_at_deadline(schedule.deadline_at, schedule.clock.monotonic),
        sleep=schedule.clock.sleep,
        before_sleep=before_sleep,
        retry_error_callback=_stopped,
    )


def run_attempts(retrying: tenacity.Retrying, attempt: Callable[[], Outcome]) -> LastOutcome:
    """Call `attempt` as the policy decides; how it ended."""
    result: Outcome | LastOutcome = retrying(attempt)
    return result if isinstance(result, LastOutcome) else LastOutcome(result)
