"""SimWorkflow: a task template as an `Http` task (or a one-task workflow definition), and back.

Export: `httpRequest` url, headers and body reference the task input parameters as `${name}`
where the template has `<<name>>`; `inputParameters` maps each of them from
`${workflow.input.name}`; `retry` and both timeouts are carried over; `credentials` names the
saved credentials. Import reads such a task (alone, or picked from a workflow definition).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import JsonValue

from connector._task import Task
from connector._template import TaskTemplate
from connector.engines._attempts import engine_attempts, precise_retry
from connector.engines._expressions import (
    escape_literal,
    from_engine,
    is_identifier,
    map_strings,
    to_engine,
    unescape_literal,
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
    no_such_http_task,
    null_warning,
    number,
    parameter_wiring,
    read_metadata,
    require_json_body,
    slug,
    split_url,
    unwire,
    validate,
    whole_seconds,
    wiring_headers,
    with_query,
)

TASK_SCHEMA = "simworkflow-task.schema.json"
WORKFLOW_SCHEMA = "simworkflow-workflow.schema.json"
_MAX_TASK_NAME = 80


def _resolve(source: str) -> str | None:
    return source if is_identifier(source) else None


class _Converter:
    """Converts leaves to engine strings and remembers which inputs they reference."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __call__(self, text: str, field: str) -> str:
        return to_engine(text, field, self._reference, _resolve)

    def _reference(self, name: str) -> str:
        self.names.add(name)
        return name


# -- export --------------------------------------------------------------------------------


def export(task: Task, options: ExportOptions) -> Export:
    """The template as a SimWorkflow `Http` task, or a workflow definition holding it.

    Raises:
        TemplateError: a leaf the engine cannot express (its field named), or an unknown
            environment.
    """
    template = task.template
    warnings = null_warning(template)
    convert = _Converter()
    body = template.http_request.body
    if body is not None and not isinstance(body, dict):
        raise unsupported("httpRequest.body", "SimWorkflow takes a JSON object body")
    require_json_body(template)
    wiring = parameter_wiring(template, warnings)
    url, url_field = full_url(template, options)
    headers = {k: convert(v, f"httpRequest.headers.{k}") for k, v in _headers(template)}
    headers.update({k: convert(v, f"parameters.{k}") for k, v in wiring_headers(wiring).items()})
    request: dict[str, Any] = {
        "url": convert(with_query(url, wiring), url_field),
        "method": template.http_request.method,
        "headers": headers,
    }
    if body is not None:
        request["body"] = map_strings(body, "httpRequest.body", convert)
    document = _task(template, options, request, sorted(convert.names), warnings)
    validate(document, TASK_SCHEMA, "the exported task")
    if options.workflow:
        document = _workflow(options.workflow, _task_name(template), document)
        validate(document, WORKFLOW_SCHEMA, "the exported workflow")
    return Export(document=document, warnings=warnings)


def _headers(template: TaskTemplate) -> list[tuple[str, str]]:
    return list(template.http_request.headers.items())


def _task(
    template: TaskTemplate,
    options: ExportOptions,
    request: dict[str, Any],
    names: list[str],
    warnings: list[str],
) -> dict[str, Any]:
    task: dict[str, Any] = {"type": "Http"}
    if template.description:
        task["description"] = template.description
    if options.credentials:
        task["credentials"] = options.credentials
    elif template.auth.required:
        warnings.append("no --credentials given: the task sends no API key until one is set")
    inputs: dict[str, Any] = {name: "${workflow.input." + name + "}" for name in names}
    task["inputParameters"] = {**inputs, **metadata(template, options)}
    task["httpRequest"] = request
    attempts = engine_attempts(template, warnings)
    if attempts > 1:
        task["retry"] = {
            "intervalSeconds": number(template.retry.interval_seconds),
            "maxAttempts": attempts,
            "backoffRate": number(template.retry.backoff_rate),
        }
    task["connectionTimeoutSeconds"] = whole_seconds(
        template.connection_timeout_seconds, "connectionTimeoutSeconds", warnings, minimum=1
    )
    task["readTimeoutSeconds"] = whole_seconds(
        template.read_timeout_seconds, "readTimeoutSeconds", warnings, minimum=1
    )
    return task


def _task_name(template: TaskTemplate) -> str:
    return template.title if len(template.title) <= _MAX_TASK_NAME else template.name


def _workflow(name: str, task_name: str, task: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "startTask": task_name, "tasks": {task_name: {**task, "end": True}}}


# -- import --------------------------------------------------------------------------------


def import_(document: Any, *, task: str | None = None, name: str | None = None) -> Import:
    """A task template from a SimWorkflow `Http` task or a workflow definition.

    Args:
        document: the parsed JSON: one task, or a workflow definition.
        task: the task to pick from a workflow definition (needed when it has several).
        name: the template name when the document does not carry one.

    Raises:
        TemplateError: the document is not a SimWorkflow HTTP task, or a value cannot be
            expressed as a template (its field named).
    """
    workflow, task_name, source = _pick(document, task)
    validate(source, TASK_SCHEMA, f"task {task_name or '(document)'}")
    inputs = dict(source.get("inputParameters", {}))
    has_metadata = METADATA_KEY in inputs
    meta = read_metadata(inputs.pop(METADATA_KEY, None))
    data = {**meta.template, **_native(source, meta)}
    data["name"] = meta.template.get("name") or slug(name or task_name or "imported-task")
    data["title"] = task_name or meta.template.get("title") or data["name"]
    template = finish(data, f"SimWorkflow task {task_name or data['name']}")
    template = precise_retry(template, data, meta, _written_retry)
    options = ExportOptions(
        workflow=workflow,
        credentials=source.get("credentials"),
        environment=meta.environment or "sandbox",
        base_url=meta.base_url,
        metadata=has_metadata,
    )
    warnings = _wiring_warnings(inputs)
    again = export(Task(template), options).document
    again_task = again["tasks"][_task_name(template)] if workflow else again
    wired = {f"inputParameters.{key}" for key in inputs}
    warnings += [
        f"{path}: not carried by a task template; the export writes it differently"
        for path in differences(_comparable(source), _comparable(again_task))
        if path not in wired
    ]
    if any(warning.startswith("retry") for warning in warnings):
        engine_attempts(template, warnings)  # why: a step not safe to repeat is sent once
    return Import(template=template, options=options, warnings=warnings)


def _pick(document: Any, task: str | None) -> tuple[str | None, str | None, dict[str, Any]]:
    if not isinstance(document, dict):
        raise unsupported("", "a SimWorkflow task or workflow definition is a JSON object")
    if "tasks" not in document:
        return None, task, document
    validate(document, WORKFLOW_SCHEMA, "the workflow definition")
    http = {k: v for k, v in document["tasks"].items() if v.get("type") == "Http"}
    if task is None and len(http) == 1:
        task = next(iter(http))
    if task not in http:
        raise no_such_http_task(task, http)
    return document.get("name"), task, http[task]


def _native(source: dict[str, Any], meta: Metadata) -> dict[str, Any]:
    http = source["httpRequest"]
    convert = _from_engine
    headers = http.get("headers", {})
    url, plain = unwire(
        split_url(convert(http["url"], "httpRequest.url"), meta),
        {k: convert(v, f"httpRequest.headers.{k}") for k, v in headers.items()},
        meta,
    )
    request: dict[str, Any] = {"url": url, "method": http["method"], "headers": plain}
    if "body" in http:
        request["body"] = map_strings(http["body"], "httpRequest.body", convert)
    data: dict[str, Any] = {"description": source.get("description", ""), "httpRequest": request}
    retry = dict(meta.template.get("retry", {}))
    retry.update(source.get("retry", {"maxAttempts": 1}))
    data["retry"] = retry
    for key, default in (("connectionTimeoutSeconds", 5), ("readTimeoutSeconds", 10)):
        native, precise = source.get(key, default), meta.template.get(key)
        data[key] = precise if _writes_as(precise, native) else native
    return data


def _written_retry(template: TaskTemplate) -> dict[str, Any] | None:
    """The `retry` an export writes for the template (None: the task is sent once)."""
    task = _task(template, ExportOptions(metadata=False), {}, [], [])
    written: dict[str, Any] | None = task.get("retry")
    return written


def _writes_as(precise: object, native: object) -> bool:
    """True when the metadata's exact timeout exports to the engine's whole seconds."""
    if not isinstance(precise, int | float) or isinstance(precise, bool):
        return False
    return whole_seconds(precise, "", [], minimum=1) == native


def _from_engine(text: str, field: str) -> str:
    return from_engine(text, field, _resolve)


def _wiring_warnings(inputs: dict[str, Any]) -> list[str]:
    return [
        f"inputParameters.{key}: {value!r} is not carried by a task template; "
        f"the export maps it from ${{workflow.input.{key}}}"
        for key, value in inputs.items()
        if value != "${workflow.input." + key + "}"
    ]


def _comparable(task: dict[str, Any]) -> dict[str, Any]:
    """The task without the flow keys, which belong to the workflow, not the task."""
    return {k: v for k, v in task.items() if k not in {"end", "nextTask"}}


# -- a configured step ----------------------------------------------------------------------


def export_step(task: Task, options: ExportOptions, inputs: Mapping[str, JsonValue]) -> Export:
    """The export with the step's values in `inputParameters`, in place of the
    `${workflow.input.…}` reference (escaped, so the engine evaluates nothing in them)."""
    result = export(task, options)
    for parameters in _parameter_maps(result.document):
        for name, value in inputs.items():
            if parameters.get(name) == _wired(name):
                parameters[name] = escape_literal(value)
    return result


def import_step(document: Any, *, task: str | None = None) -> tuple[Import, dict[str, JsonValue]]:
    """The import of a configured step and its literal input values (the wiring warnings
    about those values left out: they are the configuration, not a loss)."""
    result = import_(document, task=task)
    inputs: dict[str, JsonValue] = {}
    for parameters in _parameter_maps(document):
        inputs.update(
            {
                name: unescape_literal(value)
                for name, value in parameters.items()
                if name != METADATA_KEY and value != _wired(name) and not _has_expression(value)
            }
        )
    configured = tuple(f"inputParameters.{name}: " for name in inputs)
    warnings = [w for w in result.warnings if not w.startswith(configured)]
    return result.model_copy(update={"warnings": warnings}), inputs


def _wired(name: str) -> str:
    return "${workflow.input." + name + "}"


def _parameter_maps(document: Any) -> Iterator[dict[str, Any]]:
    """Every `inputParameters` map of an `Http` task in `document` (alone or in a workflow)."""
    if not isinstance(document, dict):
        return
    tasks = document.get("tasks")
    for task in tasks.values() if isinstance(tasks, dict) else [document]:
        parameters = task.get("inputParameters") if isinstance(task, dict) else None
        if isinstance(parameters, dict) and task.get("type") == "Http":
            yield parameters


def _has_expression(value: Any) -> bool:
    """Whether the engine would evaluate something in `value` (an unescaped `${`)."""
    if isinstance(value, str):
        return "${" in value.replace("$${", "")
    if isinstance(value, dict):
        return any(_has_expression(k) or _has_expression(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return False


class SimWorkflowAdapter:
    """The SimWorkflow engine adapter (see the module docstring)."""

    export = staticmethod(export)
    import_ = staticmethod(import_)
    export_step = staticmethod(export_step)
    import_step = staticmethod(import_step)


ADAPTER = SimWorkflowAdapter()
