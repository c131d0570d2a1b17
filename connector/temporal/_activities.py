"""The activity: one task input run through the connector's executor, on the worker.

Two layers retry, and each knows its job:

- inside one activity attempt, the executor retries as the task template says (short waits,
  the template's deadline), exactly as `connector test-request` does;
- across attempts, Temporal's retry policy (set by the workflow) takes over when the result is
  still retryable. A server's `Retry-After` / `X-RateLimit-Retry-After` in the final response
  becomes `next_retry_delay`, so the next attempt waits what the server asked.

A FAILED result that no retry can change (invalid input, a 4xx, a request not safe to repeat)
is a non-retryable `ApplicationError` whose type is the error kind. The structured response
travels as the error's first detail (JSON text), so the workflow keeps the status code and
body.

A keyed step (`idempotency.key`) whose inputs give no key sends one derived from the workflow
run and the activity id, the same on every attempt (`connector run --engine temporal` puts
the key in the inputs before submitting, so it is in the history already). A step that is not
safe to repeat but declares a read-back (`idempotency.readBack`) is looked up before a later
attempt (its first was lost with its worker): found, it is COMPLETED without a second send.

Credentials come only from the worker's environment: the activity's argument is a task name
and its inputs. The task name must be one the worker serves (never a file path from history).
A background thread heartbeats while the request runs, so a dead worker is noticed after the
heartbeat timeout rather than the whole start-to-close timeout.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from connector._executor import Executor
from connector._idempotency import derived_key, retry_allowed
from connector._request import PreparedRequest
from connector._result import TaskResult
from connector._retry import hinted_wait
from connector._task import Task
from connector.batch._resolve import look_up, read_back_task
from connector.temporal._workflows import ACTIVITY_NAME, Outcome, TaskCall

__all__ = ["TaskActivities", "failure_for"]

DEFAULT_HEARTBEAT_SECONDS = 5.0

Target = tuple[str | None, str | None, Mapping[str, str] | None]
"""Where one task's requests go: environment, base URL, and where credentials are read."""


class TaskActivities:
    """The `connector.run_task` activity for a fixed set of tasks, one executor per thread."""

    def __init__(
        self,
        tasks: Mapping[str, Task],
        *,
        environment: str | None = None,
        base_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        allow_hosts: Iterable[str] = (),
        now: Callable[[], float] = time.time,
        targets: Mapping[str, Target] | None = None,
    ) -> None:
        """Args:
        tasks: the tasks this worker serves, by name.
        environment, base_url: where every request goes (the worker decides, not the input).
        environ: where credentials are read; `os.environ` if None.
        targets: per task name, (environment, base URL, environ) replacing the three above
            (a worker serving `local` sends each task to its emulator with a local key).
        allow_hosts: hosts a credential may go to besides its bound ones (`--allow-host`).
        now: wall-clock epoch seconds, to read retry headers.
        """
        self.tasks = dict(tasks)
        self.environment = environment
        self.base_url = base_url
        self.environ = environ
        self.allow_hosts = tuple(allow_hosts)
        self._now = now
        self._local = threading.local()
        self.targets = dict(targets or {})

    @activity.defn(name=ACTIVITY_NAME)
    def run_task(self, call: TaskCall) -> Outcome:
        """The structured response of a COMPLETED run; raises `ApplicationError` otherwise."""
        task = self.tasks.get(call.task)
        if task is None:
            served = ", ".join(sorted(self.tasks)) or "none"
            raise ApplicationError(
                f"this worker does not serve task {call.task!r} (it serves: {served})",
                type="usage",
                non_retryable=True,
            )
        target = self.targets.get(call.task, (self.environment, self.base_url, self.environ))
        info = activity.info()
        # a keyed step whose inputs give no key: the same key on every attempt of this activity
        key = derived_key(info.workflow_id or "", info.workflow_run_id or "", info.activity_id)
        with _heartbeating(_heartbeat_interval()):
            result = self._looked_up(task, call.inputs, info.attempt, target) or self._executor(
                target[2]
            ).run(
                task,
                call.inputs,
                environment=target[0],
                base_url=target[1],
                idempotency_key=key,
            )
        if result.status == "COMPLETED":
            return Outcome(result.status, result.model_dump_json(by_alias=True))
        raise failure_for(result, self._now())

    def _looked_up(
        self, task: Task, inputs: Mapping[str, Any], attempt: int, target: Target
    ) -> TaskResult | None:
        """Before a later attempt of a step that is not safe to repeat (its first attempt was
        lost with its worker): the read-back's answer if it found the resource (None: not
        there, send it); an outcome it cannot tell stops the item as `unknown`."""
        lookup = read_back_task(task) if attempt > 1 else None
        if lookup is None or retry_allowed(task.template).allowed:
            return None
        environment, base_url, environ = target

        def prepare(one: Task, values: Mapping[str, Any]) -> PreparedRequest:
            return one.prepare(
                values,
                environment=environment,
                base_url=base_url,
                environ=environ,
                allow_hosts=self.allow_hosts,
            )

        method = task.template.http_request.method
        executor = self._executor(environ)
        found = look_up(executor, lookup, inputs, method=method, prepare=prepare)
        if isinstance(found, str):
            message = f"attempt {attempt}: the first attempt may have been sent; {found}"
            raise ApplicationError(message, type="unknown", non_retryable=True)
        return found

    def _executor(self, environ: Mapping[str, str] | None) -> Executor:
        """This thread's executor reading credentials from `environ`."""
        executors: dict[int, Executor] = self._local.__dict__.setdefault("executors", {})
        executor = executors.get(id(environ))
        if executor is None:
            executor = Executor(environ=environ, allow_hosts=self.allow_hosts)
            executors[id(environ)] = executor
        return executor


def failure_for(result: TaskResult, now: float) -> ApplicationError:
    """The `ApplicationError` for a FAILED result: retryable or not, and when to retry."""
    kind = result.error.kind if result.error else "http"
    delay = _server_delay(result, now) if result.retryable else None
    return ApplicationError(
        _reason(result),
        result.model_dump_json(by_alias=True),
        type=kind,
        non_retryable=not result.retryable,
        next_retry_delay=None if delay is None else timedelta(seconds=delay),
        # an answer the template calls a failure is an outcome, not a defect of the worker:
        # the SDK logs it without a traceback
        category=ApplicationErrorCategory.BENIGN,
    )


def _server_delay(result: TaskResult, now: float) -> float | None:
    if result.response is None:
        return None
    headers = {name.lower(): value for name, value in result.response.headers.items()}
    return hinted_wait(lambda name: headers.get(name.lower()), now)


def _reason(result: TaskResult) -> str:
    """One line: kind and message (already redacted by the executor)."""
    if result.error is None:
        status = result.response.status_code if result.response else "no response"
        return f"http: {status} is not a success status"
    return f"{result.error.kind}: {result.error.message}"


def _heartbeat_interval() -> float:
    timeout = activity.info().heartbeat_timeout
    seconds = timeout.total_seconds() if timeout else DEFAULT_HEARTBEAT_SECONDS
    return max(seconds / 3, 0.05)


@contextmanager
def _heartbeating(interval: float) -> Iterator[None]:
    """Heartbeat every `interval` seconds from a helper thread while the body runs."""
    context = contextvars.copy_context()  # the activity's context, for activity.heartbeat
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            context.run(activity.heartbeat)

    beater = threading.Thread(target=beat, name="connector-heartbeat", daemon=True)
    beater.start()
    try:
        yield
    finally:
        stop.set()
        beater.join()
