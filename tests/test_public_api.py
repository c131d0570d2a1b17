"""The public surface: one sorted `__all__`, every name importable, nothing private leaking."""

from __future__ import annotations

import subprocess
import sys

import connector


def test_all_is_sorted_and_every_name_resolves() -> None:
    """`__all__` is sorted and each of its names can be imported from `connector`."""
    assert connector.__all__ == sorted(connector.__all__)
    for name in connector.__all__:
        assert getattr(connector, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    """A name that is not public is an AttributeError, not a silent None."""
    try:
        connector.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_errors_form_one_tree() -> None:
    """Every public error derives from ConnectorError; definition errors are not run errors."""
    names = [n for n in connector.__all__ if n.endswith("Error") and n != "FieldError"]
    errors = [getattr(connector, n) for n in names]
    assert all(issubclass(e, connector.ConnectorError) for e in errors)
    assert not issubclass(connector.InputError, connector.RunError)


def test_importing_connector_does_not_load_the_http_stack() -> None:
    """`import connector` and the CLI for `list` stay light: no requests, jinja2 or pydantic."""
    code = (
        "import sys, connector, connector.cli; "
        "heavy = ('requests', 'jinja2', 'pydantic', 'tenacity'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_all_is_pinned() -> None:
    """The public surface changes only on purpose: this list is it."""
    assert connector.__all__ == [
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
