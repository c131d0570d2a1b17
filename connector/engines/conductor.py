"""Conductor: a task template as an `HTTP` workflow task plus its task definition, and back.

Export shape: `{"workflowTask": …, "taskDef": …}`, or with a workflow name
`{"workflowDef": {…, "tasks": [workflowTask]}, "taskDef": …}`. The workflow task uses the
nested `http_request` form (uri, method, headers, body, accept, contentType, timeouts in
milliseconds) with `${workflow.input.name}` where the template has `<<name>>`; the auth header
references a Conductor secret, `${workflow.secrets.NAME}`. The task definition (same name)
carries the retry policy and timeouts: Conductor retries only what a task definition allows.
"""

from __future__ import annotations

import re
from typing import Any

from connector._errors import TemplateError
from connector._task import Task
from connector._template import IDEMPOTENT_METHODS, RetryPolicy, TaskTemplate
from connector.auth import Auth
from connector.engines._expressions import (
    from_engine,
    is_identifier,
    map_strings,
    to_engine,
    unsupported,
)
from connector.engines._shared import (
    METADATA_KEY,
    Export,
    ExportOptions,
    Import,
    Metadata,
    differences,
    finish,
    full_url,
    metadata,
    null_warning,
    number,
    read_metadata,
    slug,
    split_url,
    validate,
    whole_seconds,
)

ENGINE = "conductor"
TASK_SCHEMA = "conductor-workflow-task.schema.json"
TASK_DEF_SCHEMA = "conductor-task-def.schema.json"
WORKFLOW_SCHEMA = "conductor-workflow-def.schema.json"
_INPUT = "workflow.input."
_SECRET = re.compile(r"^(?:(?P<scheme>[A-Za-z]+) )?\$\{workflow\.secrets\.(?P<name>[\w.-]+)\}$")
_MEDIA_HEADERS = {"accept": "accept", "content-type": "contentType"}
_DEFAULT_MEDIA = "application/json"


def conductor_name(template_name: str) -> str:
    """The task (and task definition) name in Conductor: `upsert-payout-request` -> `..._...`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", template_name)


def _resolve(source: str) -> str | None:
    name = source.removeprefix(_INPUT)
    return name if source.startswith(_INPUT) and is_identifier(name) else None


class _Converter:
    """Converts leaves to engine strings and remembers which inputs they reference."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __call__(self, text: str, field: str) -> str:
        return to_engine(text, field, self._reference, _resolve)

    def _reference(self, name: str) -> str:
        self.names.add(name)
        return _INPUT + name


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
    task_def = _task_def(template, warnings)
    validate(workflow_task, TASK_SCHEMA, "the exported workflow task")
    validate(task_def, TASK_DEF_SCHEMA, "the exported task definition")
    if not options.workflow:
        return Export({"workflowTask": workflow_task, "taskDef": task_def}, warnings)
    workflow = _workflow_def(options.workflow, template, workflow_task, sorted(convert.names))
    validate(workflow, WORKFLOW_SCHEMA, "the exported workflow definition")
    return Export({"workflowDef": workflow, "taskDef": task_def}, warnings)


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
    url, url_field = full_url(template, options)
    headers = {
        name: convert(value, f"httpRequest.headers.{name}")
        for name, value in request.headers.items()
        if name.lower() not in _MEDIA_HEADERS
    }
    placement = template.auth.placement(_secret, rename=options.credentials)
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


def _secret(variable: str) -> str:
    """A credential in a Conductor task: the workflow secret of that name."""
    return "${workflow.secrets." + variable + "}"


def _query(pairs: dict[str, str], joiner: str) -> str:
    return joiner + "&".join(f"{k}={v}" for k, v in pairs.items()) if pairs else ""


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def _task_def(template: TaskTemplate, warnings: list[str]) -> dict[str, Any]:
    task_def: dict[str, Any] = {"name": conductor_name(template.name)}
    if template.description:
        task_def["description"] = template.description
    task_def.update(_retry(template.retry, template.http_request.method, warnings))
    deadline = whole_seconds(template.deadline_seconds, "deadlineSeconds", warnings, minimum=1)
    task_def["timeoutSeconds"] = deadline
    task_def["responseTimeoutSeconds"] = deadline
    task_def["timeoutPolicy"] = "RETRY" if task_def["retryCount"] else "TIME_OUT_WF"
    return task_def


def _retry(retry: RetryPolicy, method: str, warnings: list[str]) -> dict[str, Any]:
    count = retry.max_attempts - 1
    if count and method not in IDEMPOTENT_METHODS and not retry.retry_non_idempotent:
        warnings.append(f"retry: {method} is not idempotent, so the engine does not retry it")
        count = 0
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
    name: str, template: TaskTemplate, task: dict[str, Any], inputs: list[str]
) -> dict[str, Any]:
    return {
        "name": name,
        "description": template.title,
        "version": 1,
        "schemaVersion": 2,
        "inputParameters": inputs,
        "tasks": [task],
        "outputParameters": {"response": "${" + task["taskReferenceName"] + ".output.response}"},
        "timeoutPolicy": "ALERT_ONLY",
        "timeoutSeconds": 0,
    }


# -- import --------------------------------------------------------------------------------


def import_(document: Any, *, task: str | None = None, name: str | None = None) -> Import:
    """A task template from a Conductor HTTP task, workflow definition, or one of our exports.

    Accepted: `{"workflowTask", "taskDef"}`, `{"workflowDef", "taskDef"}`, a workflow
    definition, or a bare workflow task (whose inline `taskDefinition` is used if present).
    The template name comes from the Conductor task name; `name` is accepted for symmetry.

    Raises:
        TemplateError: not a Conductor HTTP task, or a value a template cannot hold.
    """
    workflow, source, task_def = _pick(document, task)
    validate(source, TASK_SCHEMA, f"workflow task {source.get('name', '')}")
    if task_def is not None:
        validate(task_def, TASK_DEF_SCHEMA, "the task definition")
    inputs = source["inputParameters"]
    meta = read_metadata(inputs.get(METADATA_KEY))
    data, credentials = _native(source, task_def or {}, meta)
    template = finish(data, f"Conductor task {source['name']}")
    options = ExportOptions(
        workflow=workflow,
        credentials=credentials,
        environment=meta.environment or "sandbox",
        base_url=meta.base_url,
        metadata=METADATA_KEY in inputs,
    )
    again = export(Task(template), options).document
    again_task = again["workflowDef"]["tasks"][0] if workflow else again["workflowTask"]
    original = {"workflowTask": source, "taskDef": task_def or again["taskDef"]}
    warnings = [
        f"{path}: not carried by a task template; the export writes it differently"
        for path in differences(original, {"workflowTask": again_task, "taskDef": again["taskDef"]})
    ]
    if task_def is None:
        warnings.append("no task definition: the template keeps the default retry and timeouts")
    return Import(template, options, warnings)


def _pick(
    document: Any, task: str | None
) -> tuple[str | None, dict[str, Any], dict[str, Any] | None]:
    if not isinstance(document, dict):
        raise unsupported("", "a Conductor task or workflow definition is a JSON object")
    task_def = document.get("taskDef")
    workflow = document.get("workflowDef", document if "tasks" in document else None)
    if workflow is None:
        source = document.get("workflowTask", document)
        return None, source, task_def or source.get("taskDefinition")
    validate(workflow, WORKFLOW_SCHEMA, "the workflow definition")
    http = {t["taskReferenceName"]: t for t in workflow["tasks"] if t.get("type") == "HTTP"}
    named = {t["name"]: t for t in http.values()}
    if task is None and len(http) == 1:
        task = next(iter(http))
    source = http.get(task or "") or named.get(task or "")
    if source is None:
        known = ", ".join(sorted(http)) or "none"
        raise unsupported("tasks", f"pick the HTTP task with --task (HTTP tasks: {known})")
    if not (task_def and task_def.get("name") == source["name"]):
        task_def = source.get("taskDefinition")
    return workflow.get("name"), source, task_def


def _native(
    source: dict[str, Any], task_def: dict[str, Any], meta: Metadata
) -> tuple[dict[str, Any], str | None]:
    http = source["inputParameters"].get("http_request")
    if not isinstance(http, dict):
        raise unsupported("inputParameters.http_request", "an HTTP task needs http_request")
    request, auth, credentials = _request(http, meta)
    data: dict[str, Any] = {**meta.template, "httpRequest": request}
    data["name"] = _name(source["name"], meta)
    data["title"] = source.get("description") or meta.template.get("title") or data["name"]
    data["description"] = task_def.get("description", "")
    if auth is not None:
        data["auth"] = auth
    if "connectionTimeOut" in http:
        data["connectionTimeoutSeconds"] = number(http["connectionTimeOut"] / 1000)
    if "readTimeOut" in http:
        data["readTimeoutSeconds"] = number(http["readTimeOut"] / 1000)
    if task_def:
        data["retry"] = _import_retry(task_def, meta, request["method"])
        data["deadlineSeconds"] = _import_deadline(task_def, meta)
    return data, credentials


def _name(native: str, meta: Metadata) -> str:
    precise = meta.template.get("name")
    if isinstance(precise, str) and conductor_name(precise) == native:
        return precise
    return slug(native)


def _request(
    http: dict[str, Any], meta: Metadata
) -> tuple[dict[str, Any], dict[str, Any] | None, str | None]:
    auth, credentials, headers = None, None, {}
    for key, value in http.get("headers", {}).items():
        secret = _SECRET.match(value) if isinstance(value, str) else None
        if secret is None:
            headers[key] = _from_engine(value, f"http_request.headers.{key}")
        else:
            auth, credentials = _import_auth(key, secret, meta)
    if "accept" in http:
        headers["Accept"] = _from_engine(http["accept"], "http_request.accept")
    if "contentType" in http:
        headers["Content-Type"] = _from_engine(http["contentType"], "http_request.contentType")
    request: dict[str, Any] = {
        "url": split_url(_from_engine(http["uri"], "http_request.uri"), meta),
        "method": http["method"],
        "headers": headers,
    }
    if "body" in http:
        request["body"] = map_strings(http["body"], "http_request.body", _from_engine)
    return request, auth, credentials


def _import_auth(
    header: str, secret: re.Match[str], meta: Metadata
) -> tuple[dict[str, Any], str | None]:
    """The auth a secret header stands for: the metadata's own, if it writes this header."""
    scheme, name = secret.group("scheme"), secret.group("name")
    declared = meta.template.get("auth")
    try:
        auth = Auth.model_validate(declared) if declared else None
        written = auth.placement(_secret).headers if auth is not None else {}
    except (ValueError, TemplateError):
        auth, written = None, {}
    value = next((v for k, v in written.items() if k.lower() == header.lower()), None)
    if auth is not None and value is not None and (value.rpartition(" ")[0] or None) == scheme:
        return auth.model_dump(mode="json", by_alias=True, exclude_unset=True), (
            None if name in auth.variables() else name
        )
    if header.lower() == "authorization" and (scheme or "").lower() == "bearer":
        return {"schemes": {"jwt": {"type": "http", "scheme": "bearer", "env": name}}}, None
    key: dict[str, Any] = {"type": "apiKey", "in": "header", "name": header, "env": name}
    if scheme:
        key["prefix"] = scheme
    return {"schemes": {"apiKey": key}}, None


def _import_retry(task_def: dict[str, Any], meta: Metadata, method: str) -> dict[str, Any]:
    logic = task_def.get("retryLogic", "FIXED")
    if logic not in {"FIXED", "EXPONENTIAL_BACKOFF"}:
        raise unsupported("taskDef.retryLogic", f"{logic} has no task template equivalent")
    native = {
        "maxAttempts": task_def.get("retryCount", 3) + 1,
        "intervalSeconds": task_def.get("retryDelaySeconds", 60),
        "backoffRate": 2 if logic == "EXPONENTIAL_BACKOFF" else 1,
        "maxIntervalSeconds": task_def.get("maxRetryDelaySeconds", 3600),
        "jitterSeconds": number(task_def.get("backoffJitterMs", 0) / 1000),
    }
    precise, written = meta.template.get("retry"), _writes_retry(native, method)
    if isinstance(precise, dict) and written and _writes_retry(precise, method) == written:
        return precise
    return native


def _writes_retry(retry: dict[str, Any], method: str) -> dict[str, Any] | None:
    try:
        return _retry(RetryPolicy.model_validate(retry), method, [])
    except ValueError:
        return None


def _import_deadline(task_def: dict[str, Any], meta: Metadata) -> int | float:
    native = task_def.get("timeoutSeconds", 60) or 60
    precise = meta.template.get("deadlineSeconds")
    if isinstance(precise, int | float) and whole_seconds(precise, "", [], 1) == native:
        return precise
    return number(native)


def _from_engine(text: str, field: str) -> str:
    return from_engine(text, field, lambda name: _INPUT + name, _resolve)
