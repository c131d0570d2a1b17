"""A Conductor worker that runs any connector task (install the extra: `connector[conductor]`).

The worker's input is the task input parameters; it renders, validates and sends with the same
executor as `connector test-request` and returns the same structured response as the task
output, for every outcome:

    COMPLETED                   the response status is one the template declares a success
    FAILED                      a later attempt could succeed (5xx, 429, timeout, connection):
                                the task definition's retry policy takes over
    FAILED_WITH_TERMINAL_ERROR  invalid input, or a status no retry can change (4xx)

The SDK's `TaskHandler` starts every worker in its own process (spawn), so a worker is pickled:
`TaskWorker` is a module-level class that carries only names and settings, and loads the task
and opens its HTTP session in the process that runs it.

Register the task definition from `connector export TASK --engine conductor` (or `connector
push`; its name is the worker's); in a workflow, use a `SIMPLE` task of that name instead of
the `HTTP` task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

try:
    from conductor.client.http.models.task import Task as ConductorTask
    from conductor.client.http.models.task_result import TaskResult as ConductorResult
    from conductor.client.http.models.task_result_status import TaskResultStatus
    from conductor.client.worker.worker_interface import WorkerInterface
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the Conductor worker needs the Conductor SDK: pip install 'connector[conductor]'"
    ) from exc

import requests

from connector._catalog import load_task
from connector._credentials import Redactor
from connector._errors import FieldError, InputError
from connector._executor import Executor
from connector._idempotency import derived_key
from connector._json import json_kind, problems
from connector._result import TaskResult
from connector.engines.conductor._export import conductor_name

__all__ = ["TaskWorker", "outcome", "worker_for"]

logger = logging.getLogger("connector.conductor")


class TaskWorker(WorkerInterface):  # type: ignore[misc]  # the SDK is untyped
    """The worker for one connector task; picklable, so the SDK can start it in a process."""

    def __init__(
        self,
        task_name: str,
        *,
        environment: str | None = None,
        base_url: str | None = None,
        environ: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        allow_hosts: Iterable[str] = (),
    ) -> None:
        """Args: see `worker_for`."""
        super().__init__(conductor_name(load_task(task_name).name))
        self.task_name = task_name
        self.environment = environment
        self.base_url = base_url
        self.environ = None if environ is None else dict(environ)
        self.allow_hosts = tuple(allow_hosts)
        self.paused = False
        self._session = session
        self._executor: Executor | None = None

    def __getstate__(self) -> dict[str, Any]:
        """What crosses into the worker process: names and settings, no session."""
        state = dict(self.__dict__)
        state.update(_session=None, _executor=None)
        return state

    def execute(self, task: ConductorTask) -> ConductorResult:
        """Run the task for one Conductor task's input; never raises for a failed request."""
        # the same key on every Conductor retry of this step of this workflow run
        key = derived_key(str(task.workflow_instance_id), str(task.reference_task_name))
        result = self._run(task.input_data, key)
        conductor_result = outcome(result, self._redactor())
        conductor_result.task_id = task.task_id
        conductor_result.workflow_instance_id = task.workflow_instance_id
        conductor_result.worker_id = self.get_identity()
        return conductor_result

    def _run(self, input_data: object, key: str | None = None) -> dict[str, Any]:
        errors = input_problems(input_data)
        if errors:
            error = InputError("invalid task input", task=self.task_name, field_errors=errors)
            return TaskResult.from_error(error).to_json()
        if self._executor is None:
            self._executor = Executor(
                self._session, environ=self.environ, allow_hosts=self.allow_hosts
            )
        result = self._executor.run(
            load_task(self.task_name),
            dict(input_data),  # type: ignore[call-overload]  # checked: a JSON object
            environment=self.environment,
            base_url=self.base_url,
            idempotency_key=key,
        )
        return result.to_json()

    def _redactor(self) -> Redactor:
        """A second guard: the configured credential is masked even if a message echoed it."""
        template = load_task(self.task_name).template
        environ = os.environ if self.environ is None else self.environ
        credentials = template.auth.resolve(environ)
        return Redactor.for_credentials(credentials, template.auth.header_names())


def worker_for(
    task_name: str,
    *,
    environment: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
    allow_hosts: Iterable[str] = (),
) -> TaskWorker:
    """The SDK worker that runs one connector task; its name is the exported Conductor name.

    Args:
        task_name: a shipped task name or a template file path.
        environment: a key of the template's servers; None lets the executor decide (sandbox).
        base_url: replaces the environment's base URL.
        environ: where credentials are read at run time; `os.environ` (of the process that
            runs the task) if None.
        session: one HTTP session reused by every execution in this process (a new one if
            None, and always a new one in a process the SDK starts).
        allow_hosts: hosts a credential may go to besides its bound ones (`--allow-host`).

    Raises:
        TemplateError: no such task, or its template is invalid.
    """
    return TaskWorker(
        task_name,
        environment=environment,
        base_url=base_url,
        environ=environ,
        session=session,
        allow_hosts=allow_hosts,
    )


def input_problems(value: object) -> list[FieldError]:
    """What makes a task input unusable before rendering: not an object, nested too deep
    (named down to the depth limit) or a lone surrogate."""
    if not isinstance(value, dict):
        message = f"must be a JSON object, not {json_kind(value)}"
        return [FieldError(field="inputData", message=message)]
    return list(problems(value, full_path=True))


def outcome(result: Mapping[str, Any], redactor: Redactor | None = None) -> ConductorResult:
    """The Conductor task result for a structured response: status, output and reason."""
    redactor = redactor or Redactor()
    conductor_result = ConductorResult(status=_status(result), output_data=dict(result))
    if result.get("status") != "COMPLETED":
        conductor_result.reason_for_incompletion = redactor.text(_reason(result))
        logger.info("task failed: %s", conductor_result.reason_for_incompletion)
    return conductor_result


def _status(result: Mapping[str, Any]) -> TaskResultStatus:
    if result.get("status") == "COMPLETED":
        return TaskResultStatus.COMPLETED
    if result.get("retryable"):
        return TaskResultStatus.FAILED
    return TaskResultStatus.FAILED_WITH_TERMINAL_ERROR


def _reason(result: Mapping[str, Any]) -> str:
    error = result.get("error") or {}
    response = result.get("response") or {}
    status = f"HTTP {response['statusCode']}: " if response.get("statusCode") else ""
    fields = "; ".join(f"{e['field']}: {e['message']}" for e in error.get("fieldErrors", [])[:5])
    message = f"{error.get('kind', 'error')}: {status}{error.get('message', 'failed')}"
    return f"{message} ({fields})" if fields else message
