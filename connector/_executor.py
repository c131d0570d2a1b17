"""The executor: send a prepared request under its retry policy, return one structured result.

    Executor.run(task, inputs)        render + validate + send; every outcome is a TaskResult
    Executor.execute(request, policy) send an already prepared request
    run_task(name, inputs)            the same as a JSON dict, for workflow engines

One `requests.Session` per executor (connections are reused); the session, clock, sleep,
random source and environment are injected. Everything the result holds passes through the
request's `Redactor`; one log line per attempt goes to the `connector` logger, never a secret.
"""

from __future__ import annotations

import logging
import os
import random as _random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import tenacity

from connector._catalog import load_task
from connector._credentials import Redactor
from connector._errors import (
    DefinitionError,
    FieldError,
    TransportError,
    UsageError,
)
from connector._request import PreparedRequest
from connector._result import (
    Attempt,
    ErrorInfo,
    ErrorKind,
    RequestView,
    ResponseView,
    TaskResult,
)
from connector._retry import (
    RATE_LIMIT_HEADER,
    RETRY_AFTER_HEADER,
    Final,
    Outcome,
    Schedule,
    build_retrying,
    is_safe_to_repeat,
    may_resend,
    run_attempts,
)
from connector._task import Task
from connector._template import RetryPolicy, TaskTemplate
from connector._transport import MAX_BODY_BYTES, EnvironmentCache, Response, Timeouts, send

logger = logging.getLogger("connector")

DEFAULT_ENVIRONMENT = "sandbox"
"""Where `run` sends when no environment is named and credentials are configured."""


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """How one request is sent: retries, timeouts, the deadline and what counts as success."""

    retry: RetryPolicy
    timeouts: Timeouts
    deadline_seconds: float
    success_status_codes: frozenset[int]

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
            success_status_codes=frozenset(template.success_status_codes),
        )


class Executor:
    """Sends prepared requests with one session; returns a `TaskResult` for every outcome."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
        environ: Mapping[str, str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        """Args:
        session: the HTTP session (a new one if None; closed by `close` only then).
        sleep, clock: wait and measure (monotonic seconds); tests inject fakes.
        now: wall-clock epoch seconds, to read HTTP-date and epoch retry headers.
        random: floats in [0, 1) for jitter.
        environ: where credentials are read; `os.environ` if None.
        max_body_bytes: response bodies are cut at this size (reported as a warning).
        """
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._random = random
        self.environ = os.environ if environ is None else environ
        self.max_body_bytes = max_body_bytes
        self._environment: EnvironmentCache = {}

    def run(
        self,
        task: Task | str,
        inputs: Mapping[str, Any],
        *,
        environment: str | None = None,
        base_url: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_attempts: int | None = None,
        deadline: float | None = None,
    ) -> TaskResult:
        """Render, validate and send one task; a definition error is a FAILED result.

        Args:
            task: a loaded task, or a shipped task name or template path.
            inputs: the task input parameters.
            environment: a key of the template's servers. None: `sandbox` when credentials
                are configured, else a FAILED `usage` result (`live` is never a default).
            base_url: replaces the environment's base URL.
            connect_timeout, read_timeout, max_attempts, deadline: override the template.
        """
        try:
            loaded = _load(task)
            target = resolve_environment(loaded, environment, base_url, self.environ)
            request = loaded.prepare(
                inputs, environment=target, base_url=base_url, environ=self.environ
            )
        except DefinitionError as error:
            return TaskResult.from_error(error)
        policy = SendPolicy.for_template(
            loaded.template,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_attempts=max_attempts,
            deadline=deadline,
        )
        return self.execute(request, policy)

    def execute(self, request: PreparedRequest, policy: SendPolicy | TaskTemplate) -> TaskResult:
        """Send `request` as `policy` (or the template's own policy) says; secrets redacted."""
        if isinstance(policy, TaskTemplate):
            policy = SendPolicy.for_template(policy)
        started = self._clock()
        attempts: list[Attempt] = []
        schedule = Schedule(
            max_attempts=policy.retry.max_attempts,
            deadline_at=started + policy.deadline_seconds,
            clock=self._clock,
            now=self._now,
            sleep=self._sleep,
            random=self._random,
        )

        def attempt() -> Outcome:
            timeouts = policy.timeouts.within(schedule.deadline_at - self._clock())
            begun = self._clock()
            outcome = self._send(request, timeouts, schedule.deadline_at)
            attempts.append(_attempt(len(attempts) + 1, outcome, self._clock() - begun, request))
            return outcome

        def before_sleep(state: tenacity.RetryCallState) -> None:
            attempts[-1] = attempts[-1].model_copy(update={"wait_seconds": state.upcoming_sleep})
            _log_attempt(request, attempts[-1], policy)

        retrying = build_retrying(policy.retry, request.method, schedule, before_sleep=before_sleep)
        final = run_attempts(retrying, attempt)
        _log_attempt(request, attempts[-1], policy)
        elapsed = (self._clock() - started) * 1000
        return _result(request, policy, final, attempts, elapsed)

    def _send(self, request: PreparedRequest, timeouts: Timeouts, deadline_at: float) -> Outcome:
        try:
            return send(
                self.session,
                request,
                timeouts,
                max_body_bytes=self.max_body_bytes,
                environment=self._environment,
                deadline_at=deadline_at,
                clock=self._clock,
            )
        except TransportError as error:
            return error

    def close(self) -> None:
        """Close the session if this executor created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Executor session={type(self.session).__name__}>"


def run_task(
    task_name: str,
    inputs: Mapping[str, Any],
    *,
    environment: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Run one task and return the structured response as a JSON dict; never raises for a
    failed request (it is a FAILED result).

    Args:
        task_name: a shipped task name or a template file path.
        inputs: the task input parameters.
        environment: a key of the template's servers (`sandbox`, `live`, `local`). None:
            `sandbox` when credentials are configured; without credentials a FAILED result of
            kind `usage` (name `local` or give `base_url` to reach an emulator).
        base_url: replaces the environment's base URL.
        environ: where credentials and parameter defaults are read; `os.environ` if None.
        session: a `requests.Session` to reuse across calls (connection reuse in a worker).
    """
    with Executor(session, environ=environ) as executor:
        return executor.run(task_name, inputs, environment=environment, base_url=base_url).to_json()


# -- environment -----------------------------------------------------------------------------


def has_credentials(template: TaskTemplate, environ: Mapping[str, str]) -> bool:
    """Whether any credential the template declares is configured."""
    return any(environ.get(scheme.env, "").strip() for scheme in template.auth)


def resolve_environment(
    task: Task, environment: str | None, base_url: str | None, environ: Mapping[str, str]
) -> str | None:
    """The environment to send to; never `live` unless named.

    Raises:
        UsageError: no environment is named, no base URL given and no credential configured.
    """
    if environment is not None or base_url is not None:
        return environment
    if not task.template.auth or has_credentials(task.template, environ):
        return DEFAULT_ENVIRONMENT
    names = " or ".join(scheme.env for scheme in task.template.auth)
    raise UsageError(
        f"no environment named and no credentials configured: set {names} to use "
        f"'{DEFAULT_ENVIRONMENT}', or name environment 'local' / give a base URL (an emulator)",
        task=task.name,
    )


def _load(task: Task | str) -> Task:
    return task if isinstance(task, Task) else load_task(task)


# -- the result ------------------------------------------------------------------------------


def _attempt(number: int, outcome: Outcome, seconds: float, request: PreparedRequest) -> Attempt:
    if isinstance(outcome, Response):
        return Attempt(number=number, status_code=outcome.status_code, elapsed_ms=seconds * 1000)
    error = request.redactor.text(f"{outcome.kind}: {outcome.message}")
    return Attempt(number=number, error=error, elapsed_ms=seconds * 1000)


def _log_attempt(request: PreparedRequest, attempt: Attempt, policy: SendPolicy) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    outcome = attempt.error or str(attempt.status_code)
    then = f"; retrying in {attempt.wait_seconds:.2f} s" if attempt.wait_seconds else ""
    logger.info(
        "%s: %s %s attempt %d/%d: %s in %.0f ms%s",
        request.task,
        request.method,
        request.redactor.text(request.url),
        attempt.number,
        policy.retry.max_attempts,
        outcome,
        attempt.elapsed_ms,
        then,
    )


def _result(
    request: PreparedRequest,
    policy: SendPolicy,
    final: Final,
    attempts: list[Attempt],
    elapsed_ms: float,
) -> TaskResult:
    outcome = final.outcome
    response = outcome if isinstance(outcome, Response) else None
    completed = response is not None and response.status_code in policy.success_status_codes
    warnings = [request.redactor.text(warning) for warning in request.warnings]
    warnings += _response_warnings(response, request)
    return TaskResult(
        status="COMPLETED" if completed else "FAILED",
        retryable=not completed and _retryable(outcome, request, policy),
        response=None if response is None else _response_view(response, request),
        request=_request_view(request),
        attempts=attempts,
        elapsed_ms=elapsed_ms,
        error=None if completed else _error(final, request, policy, len(attempts)),
        warnings=warnings,
    )


def _retryable(outcome: Outcome, request: PreparedRequest, policy: SendPolicy) -> bool:
    """Could a later engine-level retry help? The same table that decides in-task retries."""
    return may_resend(outcome, safe=is_safe_to_repeat(request.method, policy.retry))


def _request_view(request: PreparedRequest) -> RequestView:
    content = request.content.decode() if request.content is not None else None
    return RequestView.model_construct(
        method=request.method,
        url=request.redactor.text(request.url),
        headers=request.public_headers(),
        body=_redacted(request.redactor, request.body, content),
    )


def _response_view(response: Response, request: PreparedRequest) -> ResponseView:
    # Built without re-validation: every field comes typed from the transport (the body from
    # json.loads or a str), and re-validating a large body costs more than the request.
    return ResponseView.model_construct(
        status_code=response.status_code,
        reason_phrase=request.redactor.text(response.reason),
        headers=request.redactor.headers(response.headers),
        body=_redacted(request.redactor, response.body, response.text),
    )


def _redacted(redactor: Redactor, value: Any, text: str | None) -> Any:
    """`redactor.json(value)`, skipped when the JSON text it was parsed from holds no secret.

    Without a backslash every string of the parsed value is a verbatim slice of the text, so
    a secret absent from the text is absent from the value.
    """
    if text is not None and "\\" not in text and redactor.text(text) == text:
        return value
    return redactor.json(value)


def _response_warnings(response: Response | None, request: PreparedRequest) -> list[str]:
    warnings = []
    if response is not None and response.truncated:
        warnings.append(f"the response body was cut at {_size(response)} (the size cap)")
    parts = urlsplit(request.url)
    if request.credential is not None and parts.scheme == "http" and not _is_loopback(parts):
        warnings.append(f"the credential was sent unencrypted (http) to {parts.hostname}")
    return warnings


def _size(response: Response) -> str:
    body = response.body
    size = len(body.encode()) if isinstance(body, str) else 0
    return f"{size} bytes"


def _is_loopback(parts: Any) -> bool:
    return parts.hostname in {"127.0.0.1", "localhost", "::1"}


def _error(final: Final, request: PreparedRequest, policy: SendPolicy, tries: int) -> ErrorInfo:
    kind, message = _classify(final, policy, tries)
    field_errors = [
        FieldError(field=request.redactor.text(e.field), message=request.redactor.text(e.message))
        for e in _invalid_fields(final.outcome)
    ]
    return ErrorInfo(kind=kind, message=request.redactor.text(message), field_errors=field_errors)


def _classify(final: Final, policy: SendPolicy, tries: int) -> tuple[ErrorKind, str]:
    outcome = final.outcome
    what = _describe(outcome)
    by_deadline = final.stopped and tries < policy.retry.max_attempts
    if by_deadline:
        what += f"; {_deadline_note(final, policy)}"
    elif final.stopped and tries > 1:
        what = f"{tries} attempts failed; the last: {what}"
    if isinstance(outcome, Response) and outcome.status_code == 429:
        return "rate_limited", what
    if final.stopped and (tries > 1 or by_deadline):
        return "retries_exhausted", what
    if isinstance(outcome, Response):
        return "http", what
    return _transport_kind(outcome), what


def _transport_kind(error: TransportError) -> ErrorKind:
    return "timeout" if error.kind == "timeout" else "connection"


def _describe(outcome: Outcome) -> str:
    if isinstance(outcome, TransportError):
        return outcome.message
    text = f"{outcome.status_code} {outcome.reason}".strip()
    detail = _problem_detail(outcome.body)
    return f"{text}: {detail}" if detail else text


def _deadline_note(final: Final, policy: SendPolicy) -> str:
    response = final.outcome if isinstance(final.outcome, Response) else None
    asked_by = [
        name
        for name in (RATE_LIMIT_HEADER, RETRY_AFTER_HEADER)
        if response is not None and response.header(name) is not None
    ]
    who = f"the server asks ({', '.join(asked_by)}) for" if asked_by else "the next retry needs"
    return (
        f"{who} a wait of {final.wait_skipped:.1f} s, past the deadline of "
        f"{policy.deadline_seconds:g} s: stopped without waiting"
    )


def _problem_detail(body: Any) -> str:
    if not isinstance(body, Mapping):
        return ""
    for key in ("detail", "title", "error", "message"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    return ""


def _invalid_fields(outcome: Outcome) -> list[FieldError]:
    """Rebilly's `invalidFields` of a 422 problem body, as field errors."""
    body = outcome.body if isinstance(outcome, Response) else None
    fields = body.get("invalidFields") if isinstance(body, Mapping) else None
    if not isinstance(fields, list):
        return []
    return [
        FieldError(field=str(item.get("field", "")), message=str(item.get("message", "")))
        for item in fields
        if isinstance(item, Mapping)
    ]
