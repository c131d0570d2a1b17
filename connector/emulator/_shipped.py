"""Rebilly's payout operations as the installed package knows them, offline: read from the
shipped task templates of API `rebilly` (generated from the description by the importer;
each carries its method, path, parameters, body schema and response schemas).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from connector._resources import templates_dir
from connector.emulator._operations import Body, Operation, Parameter, ResponseSpec

__all__ = ["REBILLY_PATHS", "operation_from_template", "shipped_operations"]

REBILLY_PATHS: Final = (
    "/payout-requests",
    "/payout-request-allocations",
    "/payout-request-batches",
    "/payouts",
)
_PLACEHOLDER: Final = re.compile(r"<<\s*([^<>\s]+)\s*>>")


def operation_from_template(template: dict[str, Any]) -> Operation | None:
    """The operation a format-2 template describes (None for one without `responses`)."""
    request = template.get("httpRequest") or {}
    operation = template.get("operation") or {}
    if not isinstance(template.get("responses"), dict) or not request.get("url"):
        return None
    path = _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", str(request["url"]).split("?")[0])
    parameters = tuple(
        Parameter(
            name=str(spec.get("name") or key),
            location=str(spec.get("in")),
            required=bool(spec.get("required", False)),
            schema=spec.get("schema"),
            style=spec.get("style"),
            explode=spec.get("explode"),
        )
        for key, spec in (template.get("parameters") or {}).items()
        if spec.get("in") in {"path", "query", "header"} and key != "organizationId"
    )
    body_schema = _lenient(template.get("bodySchema"))
    body = None
    if body_schema is not None or request.get("body") is not None:
        content_type = str(request.get("contentType") or "application/json")
        body = Body(
            required=body_schema is not None, media_types=(content_type,), schema=body_schema
        )
    responses = {
        str(status): ResponseSpec(
            str(status),
            content_type=spec.get("contentType"),
            schema=spec.get("schema"),
            example=spec.get("example"),
        )
        for status, spec in template["responses"].items()
        if isinstance(spec, dict)
    }
    auth = template.get("auth")
    secured = not (isinstance(auth, dict) and auth.get("security") == [])
    return Operation(
        operation_id=str(operation.get("operationId") or template.get("name")),
        method=str(request.get("method", "GET")).upper(),
        path=path,
        parameters=parameters,
        body=body,
        responses=responses,
        secured=secured,
    )


def _lenient(schema: Any) -> Any:
    """The body schema as the server applies it: fields it does not know are ignored, not
    refused (the connector refuses them before sending; the API itself does not)."""
    if isinstance(schema, list):
        return [_lenient(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: _lenient(value)
        for key, value in schema.items()
        if not (key == "additionalProperties" and value is False)
    }


def _templates() -> list[dict[str, Any]]:
    found = []
    for path in sorted(Path(templates_dir()).glob("*.json")):
        template = json.loads(path.read_text("utf-8"))
        api = str((template.get("operation") or {}).get("api", "")).lower()
        if api == "rebilly":
            found.append(template)
    return found


def shipped_operations() -> list[Operation]:
    """The payout operations of the shipped `rebilly` templates."""
    return [
        operation
        for template in _templates()
        if (operation := operation_from_template(template)) is not None
        and operation.path.startswith(REBILLY_PATHS)
    ]
