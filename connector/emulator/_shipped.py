"""Rebilly's payout operations as the installed package knows them, offline: read from the
shipped task templates of API `rebilly` (generated from the description by the importer;
each carries its method, path, parameters, body schema and response schemas).

Until every payout template carries its response schemas, `PutPayoutRequest` and
`GetPayoutRequest` are served from the PayoutRequest schema kept beside this module.
"""

from __future__ import annotations

import json
import re
from importlib import resources
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
_ID_SCHEMA: Final = {"type": "string", "maxLength": 50, "pattern": r"^[@~\-\.\w]+$"}


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
    body_schema = template.get("bodySchema")
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


def _templates() -> list[dict[str, Any]]:
    found = []
    for path in sorted(Path(templates_dir()).glob("*.json")):
        template = json.loads(path.read_text("utf-8"))
        api = str((template.get("operation") or {}).get("api", "")).lower()
        if api == "rebilly":
            found.append(template)
    return found


def _legacy() -> list[Operation]:
    text = resources.files(__package__).joinpath("payout-request.schema.json").read_text("utf-8")
    schema = json.loads(text)
    problem = {"type": "object"}
    rid = (Parameter("id", "path", required=True, schema=_ID_SCHEMA),)
    ok = ResponseSpec("200", "application/json", schema)
    errors = {str(s): ResponseSpec(str(s), "application/json", problem) for s in (401, 403, 404)}
    put = Operation(
        "PutPayoutRequest",
        "PUT",
        "/payout-requests/{id}",
        rid,
        Body(required=False, media_types=("application/json",), schema=schema),
        {
            "200": ok,
            "201": ResponseSpec("201", "application/json", schema),
            **errors,
            "422": ResponseSpec("422", "application/json", problem),
        },
    )
    get = Operation(
        "GetPayoutRequest", "GET", "/payout-requests/{id}", rid, None, {"200": ok, **errors}
    )
    return [put, get]


def shipped_operations() -> list[Operation]:
    """The payout operations of the shipped `rebilly` templates."""
    operations = [
        operation
        for template in _templates()
        if (operation := operation_from_template(template)) is not None
        and operation.path.startswith(REBILLY_PATHS)
    ]
    known = {operation.operation_id for operation in operations}
    return operations + [op for op in _legacy() if op.operation_id not in known]
