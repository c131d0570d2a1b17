"""The importer's own check: a template it writes loads as a task (else the operation is
skipped, saying what the format rejected)."""

from __future__ import annotations

from typing import Any

from connector._errors import ConnectorError
from connector._task import Task
from connector._template import parse_template
from connector.openapi._operations import OperationRef, SkipError


def check_template(template: dict[str, Any], op: OperationRef) -> Task:
    """The template loaded as a task; raise SkipError when it is not a valid task template."""
    try:
        return Task(parse_template(template, source=template["name"]), source=template["name"])
    except ConnectorError as exc:
        detail = "; ".join(str(e) for e in exc.field_errors[:3]) or exc.message
        raise SkipError(
            f"{op.label}: the template is not valid: {detail} (at #{op.pointer})"
        ) from None
