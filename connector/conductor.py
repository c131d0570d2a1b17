"""A Conductor worker that runs any connector task (install the extra: `connector[conductor]`).

The worker's input is the task input parameters; it renders, validates and sends with the same
executor as `connector test-request` and returns the same structured response as the task
output, for every outcome:

    COMPLETED                   the response status is one the template declares a success
    FAILED                      a later attempt could succeed (5xx, 429, timeout, connection):
                                the task definition's retry policy takes over
    FAILED_WITH_TERMINAL_ERROR  invalid input, or a status no retry can change (4xx)

Register the task definition from `connector export TASK --engine conductor` (its name is the
worker's); in a workflow, use a `SIMPLE` task of that name instead of the `HTTP` task.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

try:
    from conductor.client.http.models.task import Task as ConductorTask
    from conductor.client.http.models.task_result import TaskResult as ConductorResult
    from conductor.client.http.models.task_result_status import TaskResultStatus
    from conductor.client.worker.worker import Worker
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "connector.conductor needs the Conductor SDK: pip install 'connector[conductor]'"
    ) from exc

import requests

from connector._catalog import load_task
from connector._credentials import Redactor, resolve_credential
from connector._executor import run_task
from connector.engines.conductor import conductor_name

__all__ = ["outcome", "worker_for"]

logger = logging.getLogger("connector.conductor")


def worker_for(
    task_name: str,
    *,
    environment: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> Worker:
    """The SDK `Worker` that runs one connector task; its name is the exported Conductor name.

    Args:
        task_name: a shipped task name or a template file path.
        environment: a key of the template's servers; None lets the executor decide (sandbox).
        base_url: replaces the environment's base URL.
        environ: where credentials are read at run time; `os.environ` if None.
        session: one HTTP session reused by every execution (a new one if None).

    Raises:
        TemplateError: no such task, or its template is invalid.
    """
    task = load_task(task_name)
    http = requests.Session() if session is None else session

    def execute(conductor_task: ConductorTask) -> ConductorResult:
        result = run_task(
            task_name,
            dict(conductor_task.input_data or {}),
            environment=environment,
            base_url=base_url,
            environ=environ,
            session=http,
        )
        return outcome(result, _redactor(task_name, environ))

    # The SDK passes the whole Task only when the parameter's annotation is the class itself
    # (postponed annotations are strings here), so it is set to the real classes.
    execute.__annotations__ = {"conductor_task": ConductorTask, "return": ConductorResult}
    return Worker(task_definition_name=conductor_name(task.name), execute_function=execute)


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


def _redactor(task_name: str, environ: Mapping[str, str] | None) -> Redactor:
    """A second guard: the configured credential is masked even if a message echoed it."""
    template = load_task(task_name).template
    credential = resolve_credential(template.auth, os.environ if environ is None else environ)
    return Redactor.for_credential(credential, template.auth)
