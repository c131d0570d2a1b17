"""connector: an API operation as a workflow step.

template -> render -> validate -> execute (retry) -> result -> engine adapters -> CLI

The public surface is re-exported here and resolved lazily, so that the command line and
light imports do not pay for the HTTP stack they do not use.
"""

from __future__ import annotations

from connector._version import __version__

TYPE_CHECKING = False  # not typing's: `connector list` starts without importing typing
if TYPE_CHECKING:
    from typing import Any

    from connector._catalog import load_task, task_names
    from connector._clock import Clock
    from connector._credentials import Redactor
    from connector._errors import (
        ConnectorError,
        DefinitionError,
        FieldError,
        InputError,
        RenderError,
        RetriesExhaustedError,
        RunError,
        StatusError,
        TemplateError,
        TransportError,
    )
    from connector._executor import Executor, run_task
    from connector._request import PreparedRequest
    from connector._result import TaskResult
    from connector._task import Task
    from connector._template import RetryPolicy, TaskTemplate

_EXPORTS = {
    "Clock": "connector._clock",
    "ConnectorError": "connector._errors",
    "DefinitionError": "connector._errors",
    "Executor": "connector._executor",
    "FieldError": "connector._errors",
    "InputError": "connector._errors",
    "PreparedRequest": "connector._request",
    "Redactor": "connector._credentials",
    "RenderError": "connector._errors",
    "RetriesExhaustedError": "connector._errors",
    "RetryPolicy": "connector._template",
    "RunError": "connector._errors",
    "StatusError": "connector._errors",
    "Task": "connector._task",
    "TaskResult": "connector._result",
    "TaskTemplate": "connector._template",
    "TemplateError": "connector._errors",
    "TransportError": "connector._errors",
    "load_task": "connector._catalog",
    "run_task": "connector._executor",
    "task_names": "connector._catalog",
}

__all__ = [
    "Clock",
    "ConnectorError",
    "DefinitionError",
    "Executor",
    "FieldError",
    "InputError",
    "PreparedRequest",
    "Redactor",
    "RenderError",
    "RetriesExhaustedError",
    "RetryPolicy",
    "RunError",
    "StatusError",
    "Task",
    "TaskResult",
    "TaskTemplate",
    "TemplateError",
    "TransportError",
    "__version__",
    "load_task",
    "run_task",
    "task_names",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'connector' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
