"""The executor: send a prepared request under its retry policy, return one structured result.

    Executor.run(task, inputs)        render + validate + send; every outcome is a TaskResult
    Executor.execute(request, policy) send an already prepared request
    run_task(name, inputs)            the same as a JSON dict, for workflow engines

One `requests.Session` per executor (connections are reused); the session, clock (and its sleep),
random source, environment and the ticker that notices a silent attempt (`_stall`) are
injected. `_retry` decides and waits; `_report` turns the
finished run into the result, through the request's `Redactor`, with one log line per attempt
on the `connector` logger, never a secret.
"""

from __future__ import annotations

import os
import random as _random
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import requests
import tenacity

from connector._body import FileReader
from connector._catalog import load_task
from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import DefinitionError, TransportError, UsageError
from connector._idempotency import with_key
from connector._report import log_attempt, make_attempt, task_result
from connector._request import PreparedRequest
from connector._result import Attempt, TaskResult
from connector._retry import (
    Outcome,
    Schedule,
    SendPolicy,
    build_retrying,
    run_attempts,
    wait_reason,
)
from connector._stall import STALL_EVERY, Stall, Ticker, ticking
from connector._target import choose
from connector._task import Task
from connector._template import TaskTemplate
from connector._transport import MAX_BODY_BYTES, EnvironmentCache, Timeouts, send

__all__ = [
    "Executor",
    "SendPolicy",
    "has_credentials",
    "resolve_environment",
    "run_task",
]

"""Where `run` sends when no environment is named and credentials are configured."""


class Executor:
    """Sends prepared requests with one session; returns a `TaskResult` for every outcome."""

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
        random: Callable[[], float] = _random.random,
        environ: Mapping[str, str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        allow_hosts: Iterable[str] = (),
        on_wait: Callable[[Attempt], None] | None = None,
        on_stall: Callable[[Stall], None] | None = None,
        ticker: Ticker = ticking,
        stall_every: float = STALL_EVERY,
    ) -> None:
        """Args:
        session: the HTTP session (a new one if None; closed by `close` only then).
        clock: measures attempts and deadlines, reads HTTP-date and epoch retry headers,
            and waits between attempts; tests inject a fake one.
        random: floats in [0, 1) for jitter.
        environ: where credentials are read; `os.environ` if None.
        max_body_bytes: response bodies are cut at this size (reported as a warning).
        allow_hosts: hosts a credential may go to besides its bound ones (`--allow-host`).
        on_wait: called with an attempt (its wait and what set it) before each retry's wait.
        on_stall: called every `stall_every` seconds an attempt goes unanswered, from the
            `ticker`'s thread (none is started without a listener).
        ticker, stall_every: what times those calls (`_stall.ticking`: a thread); tests
            inject one they drive.
        """
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session
        self._clock = clock
        self._random = random
        self.environ = os.environ if environ is None else environ
        self.max_body_bytes = max_body_bytes
        self.allow_hosts = tuple(allow_hosts)
        self.on_wait = on_wait
        self.on_stall = on_stall
        self._ticker = ticker
        self._stall_every = stall_every
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
        read_file: FileReader | None = None,
        idempotency_key: str | None = None,
    ) -> TaskResult:
        """Render, validate and send one task; a definition error is a FAILED result.

        Args:
            task: a loaded task, or a shipped task name or template path.
            inputs: the task input parameters.
            environment: a key of the template's servers. None: `resolve_environment`
                (the test environment when its credentials are set, else `local`).
            base_url: replaces the environment's base URL.
            connect_timeout, read_timeout, max_attempts, deadline: override the template.
            read_file: reads file parts given as `{"path": ...}` (None: paths are refused).
            idempotency_key: for a keyed step whose inputs give no key, the key to send (an
                engine passes one derived from its workflow and step, the same on each of its
                retries); None: a new one for this call, sent on every attempt of it.
        """
        try:
            loaded = _load(task)
            target = resolve_environment(loaded, environment, base_url, self.environ)
            keyed, _key = with_key(loaded.template, inputs, idempotency_key)
            request = loaded.prepare(
                keyed,
                environment=target,
                base_url=base_url,
                environ=self.environ,
                allow_hosts=self.allow_hosts,
                read_file=read_file,
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
        started = self._clock.monotonic()
        attempts: list[Attempt] = []
        schedule = Schedule(
            max_attempts=policy.retry.max_attempts,
            deadline_at=started + policy.deadline_seconds,
            clock=self._clock,
            random=self._random,
        )

        def attempt() -> Outcome:
            timeouts = policy.timeouts.within(schedule.deadline_at - self._clock.monotonic())
            begun = self._clock.monotonic()
            with self._watched(len(attempts) + 1, begun, timeouts, schedule.deadline_at):
                outcome = self._send(request, timeouts, schedule.deadline_at)
            attempts.append(
                make_attempt(len(attempts) + 1, outcome, self._clock.monotonic() - begun, request)
            )
            return outcome

        def before_sleep(state: tenacity.RetryCallState) -> None:
            waited = state.upcoming_sleep
            outcome = state.outcome.result() if state.outcome and not state.outcome.failed else None
            now = self._clock.time()
            reason = wait_reason(outcome, waited, now) if outcome is not None else None
            update = {"wait_seconds": waited, "wait_reason": reason}
            attempts[-1] = attempts[-1].model_copy(update=update)
            log_attempt(request, attempts[-1], policy)
            if self.on_wait is not None:
                self.on_wait(attempts[-1])

        retrying = build_retrying(
            policy.retry, schedule, repeatable=policy.repeatable, before_sleep=before_sleep
        )
        final = run_attempts(retrying, attempt)
        log_attempt(request, attempts[-1], policy)
        elapsed = (self._clock.monotonic() - started) * 1000
        return task_result(request, policy, final, attempts, elapsed)

    def _watched(
        self, number: int, begun: float, timeouts: Timeouts, deadline_at: float
    ) -> AbstractContextManager[None]:
        """While attempt `number` is in flight, a `Stall` for the listener at each tick."""
        listener = self.on_stall
        if listener is None:
            return nullcontext()

        def tick() -> None:
            now = self._clock.monotonic()
            listener(Stall(number, now - begun, timeouts.read, deadline_at - now))

        return self._ticker(self._stall_every, tick)

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
    allow_hosts: Iterable[str] = (),
) -> dict[str, Any]:
    """Run one task and return the structured response as a JSON dict; never raises for a
    failed request (it is a FAILED result).

    Args:
        task_name: a shipped task name or a template file path.
        inputs: the task input parameters.
        environment: a key of the template's servers. None: `resolve_environment`.
        base_url: replaces the environment's base URL.
        environ: where credentials and parameter defaults are read; `os.environ` if None.
        session: a `requests.Session` to reuse across calls (connection reuse in a worker).
        allow_hosts: hosts a credential may go to besides its bound ones (`--allow-host`).
    """
    with Executor(session, environ=environ, allow_hosts=allow_hosts) as executor:
        return executor.run(task_name, inputs, environment=environment, base_url=base_url).to_json()


# -- environment -----------------------------------------------------------------------------


def has_credentials(template: TaskTemplate, environ: Mapping[str, str]) -> bool:
    """Whether any credential the template declares is configured."""
    return bool(template.auth.resolve(environ))


def resolve_environment(
    task: Task, environment: str | None, base_url: str | None, environ: Mapping[str, str]
) -> str | None:
    """The environment to send to (`connector._target.choose`): the one named, else the test
    environment when its credentials are set, else `local` (the template's emulator URL);
    never production unless named. The edges (CLI, service, workers) apply
    `connector._target.refusal` to what is named.

    Raises:
        UsageError: nothing named and the choice is the emulator, which this call does not
            start: name `local` (an emulator runs at the template's local URL) or a base URL.
    """
    choice = choose(task.template, environment, base_url, environ)
    if choice.note is not None and choice.local:
        raise UsageError(
            f"no environment named and {choice.note}: set the credentials, or name "
            "environment 'local' / give a base URL (an emulator)",
            task=task.name,
        )
    return choice.environment


def _load(task: Task | str) -> Task:
    return task if isinstance(task, Task) else load_task(task)
