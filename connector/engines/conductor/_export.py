"""Conductor export: a task template as an `HTTP` workflow task plus its task definition.

Export shape: `{"workflowTask": …, "taskDefs": [taskDef]}`, or with a workflow name
`{"workflowDef": {…, "tasks": [workflowTask]}, "taskDefs": [taskDef]}`: `taskDefs` is the body
`POST /api/metadata/taskdefs` takes (an array), `workflowDef` the body of
`POST /api/metadata/workflow`; both carry `ownerEmail` when one is given. The workflow task uses the
nested `http_request` form (uri, method, headers, body, accept, contentType, timeouts in
milliseconds) with `${workflow.input.name}` where the template has `<<name>>`; the auth header
references a Conductor secret, `${workflow.secrets.NAME}`. The task definition (same name)
carries the retry policy and timeouts: Conductor retries only what a task definition allows.
"""

from __future__ import annotations

import re
from typing import Any

from connector._task import Task
from connector._template import TaskTemplate
from connector.engines._attempts import engine_attempts
from connector.engines._expressions import is_identifier, map_strings, to_engine
from connector.engines._shared import (
    Export,
    ExportOptions,
    full_url,
    metadata,
    null_warning,
    parameter_wiring,
    require_json_body,
    validate,
    whole_seconds,
    wiring_headers,
    with_query,
)

TASK_SCHEMA = "conductor-workflow-task.schema.json"
TASK_DEF_SCHEMA = "conductor-task-def.schema.json"
WORKFLOW_SCHEMA = "conductor-workflow-def.schema.json"
INPUT = "workflow.input."
_MEDIA_HEADERS = {"accept": "accept", "content-type": "contentType"}
_DEFAULT_MEDIA = "application/json"


def conductor_name(template_name: str) -> str:
    """The task (and task definition) name in Conductor: `upsert-payout-request` -> `..._...`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", template_name)


def resolve(source: str) -> str | None:
    """The input name a `workflow.input.NAME` expression reads, or None for anything else."""
    name = source.removeprefix(INPUT)
    return name if source.startswith(INPUT) and is_identifier(name) else None


class _Converter:
    """Converts leaves to engine strings and remembers which inputs they reference."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __call__(self, text: str, field: str) -> str:
        return to_engine(text, field, self._reference, resolve)

    def _reference(self, name: str) -> str:
        self.names.add(name)
        return INPUT + name


# -- export --------------------------------------------------------------------------------


def export(task: Task, options: ExportOptions) -> Export:
    """The template as a Conductor HTTP workflow task and its task definition.

    Raises:
        TemplateError: a leaf Conductor cannot express (its field named), or an unknown
            environment.
    """
    template, convert = task.template, _Converter()
    warnings = null_warning(template)
    workflow_task = _workflow_task(template, options, convert, warnings)
    task_def = _task_def(template, warnings, options.owner_email)
    validate(workflow_task, TASK_SCHEMA, "the exported workflow task")
    validate(task_def, TASK_DEF_SCHEMA, "the exported task definition")
    if not options.workflow:
        return Export(
            document={"workflowTask": workflow_task, "taskDefs": [task_def]}, warnings=warnings
        )
    workflow = _workflow_def(options, template, workflow_task, sorted(convert.names))
    validate(workflow, WORKFLOW_SCHEMA, "the exported workflow definition")
    return Export(document={"workflowDef": workflow, "taskDefs": [task_def]}, warnings=warnings)


def _workflow_task(
    template: TaskTemplate, options: ExportOptions, convert: _Converter, warnings: list[str]
) -> dict[str, Any]:
    name = conductor_name(template.name)
    task: dict[str, Any] = {"name": name, "taskReferenceName": f"{name}_ref", "type": "HTTP"}
    task["description"] = template.title
    http = _http_request(template, options, convert, warnings)
    task["inputParameters"] = {"http_request": http, **metadata(template, options)}
    return task


def _http_request(
    template: TaskTemplate, options: ExportOptions, convert: _Converter, warnings: list[str]
) -> dict[str, Any]:
    request = template.http_request
    require_json_body(template)
    wiring = parameter_wiring(template, warnings)
    url, url_field = full_url(template, options)
    url = with_query(url, wiring)
    headers = {
        name: convert(value, f"httpRequest.headers.{name}")
        for name, value in request.headers.items()
        if name.lower() not in _MEDIA_HEADERS
    }
    headers.update(
        {
            name: convert(value, f"parameters.{name}")
            for name, value in wiring_headers(wiring).items()
        }
    )
    placement = template.auth.placement(secret, rename=options.credentials)
    headers.update(placement.headers)
    if placement.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in placement.cookies.items())
    uri = convert(url, url_field) + _query(placement.query, "&" if "?" in url else "?")
    http: dict[str, Any] = {"uri": uri, "method": request.method}
    http["headers"] = headers
    if request.body is not None:
        http["body"] = map_strings(request.body, "httpRequest.body", convert)
    for header, key in _MEDIA_HEADERS.items():
        value = _header(request.headers, header)
        http[key] = _DEFAULT_MEDIA if value is None else convert(value, f"headers.{header}")
    http["connectionTimeOut"] = round(template.connection_timeout_seconds * 1000)
    http["readTimeOut"] = round(template.read_timeout_seconds * 1000)
    if not template.auth.required:
        warnings.append("the template declares no auth: the task sends no credentials")
    return http


def secret(variable: str) -> str:
    """A credential in a Conductor task: the workflow secret of that name."""
    return "${workflow.secrets." + variable + "}"


def _query(pairs: dict[str, str], joiner: str) -> str:
    return joiner + "&".join(f"{k}={v}" for k, v in pairs.items()) if pairs else ""


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _task_def(
    template: TaskTemplate, warnings: list[str], owner_email: str | None
) -> dict[str, Any]:
    task_def: dict[str, Any] = {"name": conductor_name(template.name)}
    if template.description:
        task_def["description"] = template.description
    if owner_email:
        task_def["ownerEmail"] = owner_email
    task_def.update(retry_fields(template, warnings))
    deadline = whole_seconds(template.deadline_seconds, "deadlineSeconds", warnings, minimum=1)
    task_def["timeoutSeconds"] = deadline
    task_def["responseTimeoutSeconds"] = deadline
    task_def["timeoutPolicy"] = "RETRY" if task_def["retryCount"] else "TIME_OUT_WF"
    return task_def


def retry_fields(template: TaskTemplate, warnings: list[str]) -> dict[str, Any]:
    """The task definition's retry fields: `retryCount` 0 for a step the one rule
    (`engine_attempts`) does not let the engine repeat."""
    retry = template.retry
    count = engine_attempts(template, warnings) - 1
    exponential = retry.backoff_rate != 1
    if exponential and retry.backoff_rate != 2 and count:
        warnings.append(f"retry.backoffRate: {retry.backoff_rate} written as 2 (Conductor's)")
    return {
        "retryCount": count,
        "retryLogic": "EXPONENTIAL_BACKOFF" if exponential else "FIXED",
        "retryDelaySeconds": whole_seconds(retry.interval_seconds, "retry.interval", warnings),
        "maxRetryDelaySeconds": whole_seconds(
            retry.max_interval_seconds, "retry.maxIntervalSeconds", warnings
        ),
        "backoffJitterMs": round(retry.jitter_seconds * 1000),
    }


def _workflow_def(
    options: ExportOptions, template: TaskTemplate, task: dict[str, Any], inputs: list[str]
) -> dict[str, Any]:
    owner = {"ownerEmail": options.owner_email} if options.owner_email else {}
    return {
        "name": options.workflow,
        "description": template.title,
        **owner,
        "version": 1,
        "schemaVersion": 2,
        "inputParameters": inputs,
        "tasks": [task],
        "outputParameters": {"response": "${" + task["taskReferenceName"] + ".output.response}"},
        "timeoutPolicy": "ALERT_ONLY",
        "timeoutSeconds": 0,
    }
