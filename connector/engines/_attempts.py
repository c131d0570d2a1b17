"""How many times an engine may send a step: the one rule (`connector._idempotency.retry_allowed`)
applied to an export, and kept through an import.

An engine cannot tell a refused connection from a lost answer, so a step the rule does not
let repeat is exported to be sent once (SimWorkflow without `retry`, Conductor
`retryCount` 0), with the reason as a warning; its template's own `maxAttempts` still
travels in the metadata, and an import keeps it when it writes the document's fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connector._errors import TemplateError
from connector._idempotency import retry_allowed
from connector._template import TaskTemplate
from connector.engines._shared import Metadata, finish, kept_metadata

__all__ = ["engine_attempts", "precise_retry"]


def engine_attempts(template: TaskTemplate, warnings: list[str]) -> int:
    """How many times the engine may send the step: the template's `maxAttempts` when the
    one rule (`retry_allowed`) allows a repeat, else once, with the reason in `warnings`."""
    attempts = template.retry.max_attempts
    if attempts > 1 and not retry_allowed(template).allowed:
        method = template.http_request.method
        warnings.append(
            f"retry: {method} is not idempotent and declares no idempotency key, so the engine "
            f"sends it once (maxAttempts {attempts} written as 1): a retry after a timeout "
            "could do it twice"
        )
        return 1
    return attempts


def precise_retry(
    template: TaskTemplate,
    data: dict[str, Any],
    meta: Metadata,
    written: Callable[[TaskTemplate], object],
) -> TaskTemplate:
    """The imported template with the metadata's exact retry policy when that policy writes
    the engine's retry fields as the document has them (an export sends an unsafe step once
    whatever `maxAttempts` says); otherwise the engine's own fields win.
    """
    # a --full export that wrote no retry had the default policy: that is what it carries
    exact = meta.template.get("retry", {} if kept_metadata(meta, present=True) else None)
    if not isinstance(exact, dict) or exact == data.get("retry"):
        return template
    try:
        candidate = finish({**data, "retry": exact}, template.name)
    except TemplateError:
        return template
    return candidate if written(candidate) == written(template) else template
