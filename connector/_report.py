"""The result: a finished run of attempts, as one `TaskResult`.

A run of attempts ends with a `LastOutcome` (the last outcome, and whether retries or the deadline
stopped it). The result says whether the task COMPLETED (a success status), whether a later
engine-level retry could help (the same table that decides in-task retries), the request and
the last response as sent and received, one entry per attempt, the error (its kind, a message
naming the cause, and Rebilly's `invalidFields`) and warnings. Everything passes through the
request's `Redactor`; the one log line per attempt never holds a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from connector._credentials import Redactor
from connector._errors import FieldError, TransportError
from connector._hosts import is_loopback
from connector._request import PreparedRequest
from connector._result import Attempt, ErrorInfo, ErrorKind, RequestView, ResponseView, TaskResult
from connector._retry import (
    RATE_LIMIT_HEADER,
    RETRY_AFTER_HEADER,
    LastOutcome,
    Outcome,
    SendPolicy,
    may_resend,
)
from connector._template import response_key
from connector._transport import Response

logger = logging.getLogger("connector")


def make_attempt(
    number: int, outcome: Outcome, seconds: float, request: PreparedRequest
) -> Attempt:
    """One attempt's entry: its status code or its (redacted) transport error, and its time."""
    if isinstance(outcome, Response):
        return Attempt(number=number, status_code=outcome.status_code, elapsed_ms=seconds * 1000)
    error = request.redactor.text(f"{outcome.kind}: {outcome.message}")
    return Attempt(number=number, error=error, elapsed_ms=seconds * 1000)


def log_attempt(request: PreparedRequest, attempt: Attempt, policy: SendPolicy) -> None:
    """One INFO line on the `connector` logger: the attempt, its outcome and the coming wait."""
    if not logger.isEnabledFor(logging.INFO):
        return
    outcome = attempt.error or str(attempt.status_code)
    then = (
        f"; retrying in {attempt.wait_seconds:.2f} s ({attempt.wait_reason})"
        if attempt.wait_seconds
        else ""
    )
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


def task_result(
    request: PreparedRequest,
    policy: SendPolicy,
    final: LastOutcome,
    attempts: list[Attempt],
    elapsed_ms: float,
) -> TaskResult:
    """The run of attempts that ended with `final`, as one redacted `TaskResult`."""
    outcome = final.outcome
    response = outcome if isinstance(outcome, Response) else None
    completed = response is not None and response.status_code in policy.success_status_codes
    warnings = [request.redactor.text(warning) for warning in request.warnings]
    warnings += _response_warnings(response, request)
    declared = None if response is None else response_key(request.responses, response.status_code)
    result = TaskResult(
        status="COMPLETED" if completed else "FAILED",
        retryable=not completed and _retryable(outcome, request, policy),
        response=None if response is None else _response_view(response, request, declared),
        request=_request_view(request),
        attempts=attempts,
        elapsed_ms=elapsed_ms,
        error=None if completed else _error(final, request, policy, len(attempts)),
        warnings=warnings,
    )
    if declared is not None:
        result._response_spec = request.responses[declared]
    return result


def _retryable(outcome: Outcome, request: PreparedRequest, policy: SendPolicy) -> bool:
    """Could a later engine-level retry help? The same table that decides in-task retries."""
    return may_resend(outcome, safe=policy.repeatable)


def _request_view(request: PreparedRequest) -> RequestView:
    return RequestView.model_construct(
        method=request.method,
        url=request.public_url(),
        headers=request.public_headers(),
        content_type=request.content_type,
        body=request.public_body(),
    )


def _response_view(
    response: Response, request: PreparedRequest, declared: str | None
) -> ResponseView:
    # Built without re-validation: every field comes typed from the transport (the body from
    # json.loads or a str), and re-validating a large body costs more than the request.
    return ResponseView.model_construct(
        status_code=response.status_code,
        reason_phrase=request.redactor.text(response.reason),
        headers=request.redactor.headers(response.headers),
        body=_redacted(request.redactor, response.body, response.text),
        declared_as=declared,
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
    warnings = [] if response is None else list(response.warnings)
    if response is not None and response.truncated:
        warnings.append(f"the response body was cut at {_size(response)} (the size cap)")
    parts = urlsplit(request.url)
    if request.auth and parts.scheme == "http" and not is_loopback(parts.hostname):
        warnings.append(f"the credential was sent unencrypted (http) to {parts.hostname}")
    return warnings


def _size(response: Response) -> str:
    body = response.body
    size = len(body.encode()) if isinstance(body, str) else 0
    return f"{size} bytes"


def _error(
    final: LastOutcome, request: PreparedRequest, policy: SendPolicy, tries: int
) -> ErrorInfo:
    kind, message = _classify(final, policy, tries)
    field_errors = [
        FieldError(field=request.redactor.text(e.field), message=request.redactor.text(e.message))
        for e in _invalid_fields(final.outcome)
    ]
    return ErrorInfo(kind=kind, message=request.redactor.text(message), field_errors=field_errors)


def _classify(final: LastOutcome, policy: SendPolicy, tries: int) -> tuple[ErrorKind, str]:
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


def _deadline_note(final: LastOutcome, policy: SendPolicy) -> str:
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
