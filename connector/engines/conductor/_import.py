"""Conductor import: a task template from an HTTP workflow task, a workflow, or our export."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from connector._errors import TemplateError
from connector._task import Task
from connector._template import TaskTemplate
from connector.auth import Auth
from connector.engines._attempts import engine_attempts, precise_retry
from connector.engines._expressions import from_engine, map_strings, unsupported
from connector.engines._shared import (
    METADATA_KEY,
    ExportOptions,
    Import,
    Metadata,
    differences,
    finish,
    no_such_http_task,
    number,
    read_metadata,
    slug,
    split_url,
    unwire,
    validate,
    whole_seconds,
)
from connector.engines.conductor._export import (
    TASK_DEF_SCHEMA,
    TASK_SCHEMA,
    WORKFLOW_SCHEMA,
    conductor_name,
    export,
    resolve,
    retry_fields,
)
from connector.engines.conductor._export import secret as secret_reference

_SECRET = re.compile(r"^(?:(?P<scheme>[A-Za-z]+) )?\$\{workflow\.secrets\.(?P<name>[\w.-]+)\}$")


def import_(document: Any, *, task: str | None = None, name: str | None = None) -> Import:
    """A task template from a Conductor HTTP task, workflow definition, or one of our exports.

    Accepted: `{"workflowTask", "taskDefs"}`, `{"workflowDef", "taskDefs"}` (or a single
    `taskDef`, as older exports wrote it), a workflow definition, or a bare workflow task
    (whose inline `taskDefinition` is used if present).
    The template name comes from the Conductor task name; `name` is accepted for symmetry.

    Raises:
        TemplateError: not a Conductor HTTP task, or a value a template cannot hold.
    """
    picked = _pick(document, task)
    source, task_def = picked.source, picked.task_def
    validate(source, TASK_SCHEMA, f"workflow task {source.get('name', '')}")
    if task_def is not None:
        validate(task_def, TASK_DEF_SCHEMA, "the task definition")
    inputs = source["inputParameters"]
    meta = read_metadata(inputs.get(METADATA_KEY))
    data, credentials = _native(source, task_def or {}, meta)
    template = finish(data, f"Conductor task {source['name']}")
    if task_def:
        template = precise_retry(template, data, meta, _written_retry)
    options = ExportOptions(
        workflow=picked.workflow,
        credentials=credentials,
        environment=meta.environment or "sandbox",
        base_url=meta.base_url,
        metadata=METADATA_KEY in inputs,
        owner_email=picked.owner_email,
    )
    again = export(Task(template), options).document
    again_task = again["workflowDef"]["tasks"][0] if picked.workflow else again["workflowTask"]
    again_def = again["taskDefs"][0]
    original = {"workflowTask": source, "taskDef": task_def or again_def}
    warnings = [
        f"{path}: not carried by a task template; the export writes it differently"
        for path in differences(original, {"workflowTask": again_task, "taskDef": again_def})
    ]
    if any(warning.startswith("taskDef.retry") for warning in warnings):
        engine_attempts(template, warnings)  # why: a step not safe to repeat is sent once
    if task_def is None:
        warnings.append("no task definition: the template keeps the default retry and timeouts")
    return Import(template=template, options=options, warnings=warnings)


@dataclass(frozen=True, slots=True)
class _Picked:
    """The HTTP task an import reads, its task definition, and the workflow around it."""

    source: dict[str, Any]
    task_def: dict[str, Any] | None
    workflow: str | None = None
    owner_email: str | None = None


def _pick(document: Any, task: str | None) -> _Picked:
    if not isinstance(document, dict):
        raise unsupported("", "a Conductor task or workflow definition is a JSON object")
    workflow = document.get("workflowDef", document if "tasks" in document else None)
    if workflow is None:
        source = document.get("workflowTask", document)
        task_def = _task_def_for(document, source)
        return _Picked(source, task_def, owner_email=_owner(task_def))
    validate(workflow, WORKFLOW_SCHEMA, "the workflow definition")
    http = {t["taskReferenceName"]: t for t in workflow["tasks"] if t.get("type") == "HTTP"}
    named = {t["name"]: t for t in http.values()}
    if task is None and len(http) == 1:
        task = next(iter(http))
    source = http.get(task or "") or named.get(task or "")
    if source is None:
        raise no_such_http_task(task, http)
    task_def = _task_def_for(document, source)
    owner = workflow.get("ownerEmail") or _owner(task_def)
    return _Picked(source, task_def, workflow.get("name"), owner)


def _task_def_for(document: dict[str, Any], source: dict[str, Any]) -> dict[str, Any] | None:
    """The task definition named like the task: from `taskDefs` (the metadata API's array),
    a single `taskDef` (older exports), or the task's inline `taskDefinition`."""
    listed = document.get("taskDefs")
    candidates = listed if isinstance(listed, list) else [document.get("taskDef")]
    for candidate in candidates:
        if isinstance(candidate, dict) and candidate.get("name") == source.get("name"):
            return candidate
    if "workflowDef" not in document and "tasks" not in document:
        single = [c for c in candidates if isinstance(c, dict)]
        if len(single) == 1:
            return single[0]
    inline = source.get("taskDefinition")
    return inline if isinstance(inline, dict) else None


def _owner(task_def: dict[str, Any] | None) -> str | None:
    owner = (task_def or {}).get("ownerEmail")
    return owner if isinstance(owner, str) else None


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
        data["retry"] = _import_retry(task_def)
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
    url, headers = unwire(
        split_url(_from_engine(http["uri"], "http_request.uri"), meta), headers, meta
    )
    request: dict[str, Any] = {
        "url": url,
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
        written = auth.placement(secret_reference).headers if auth is not None else {}
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


def _import_retry(task_def: dict[str, Any]) -> dict[str, Any]:
    logic = task_def.get("retryLogic", "FIXED")
    if logic not in {"FIXED", "EXPONENTIAL_BACKOFF"}:
        raise unsupported("taskDef.retryLogic", f"{logic} has no task template equivalent")
    return {
        "maxAttempts": task_def.get("retryCount", 3) + 1,
        "intervalSeconds": task_def.get("retryDelaySeconds", 60),
        "backoffRate": 2 if logic == "EXPONENTIAL_BACKOFF" else 1,
        "maxIntervalSeconds": task_def.get("maxRetryDelaySeconds", 3600),
        "jitterSeconds": number(task_def.get("backoffJitterMs", 0) / 1000),
    }


def _written_retry(template: TaskTemplate) -> dict[str, Any]:
    return retry_fields(template, [])


def _import_deadline(task_def: dict[str, Any], meta: Metadata) -> int | float:
    native = task_def.get("timeoutSeconds", 60) or 60
    precise = meta.template.get("deadlineSeconds")
    if isinstance(precise, int | float) and whole_seconds(precise, "", [], 1) == native:
        return precise
    return number(native)


def _from_engine(text: str, field: str) -> str:
    return from_engine(text, field, resolve)
