"""The payout-request resource: the id rule, the body checked against the published schema,
and the resource the store keeps.

The schema is `payout-request.schema.json`, copied from the API description. Read-only and
unknown body fields are ignored, like the real server; every problem is listed as
`invalidFields: [{field, message}]` (dot notation).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from importlib import resources
from typing import Any, Final
from urllib.parse import quote, urlsplit

import jsonschema_rs
from werkzeug.wrappers import Request, Response

from connector.emulator._http import finite, problem, reject_constant

_ID_RULE: Final = re.compile(r"[@~\-\.\w]{1,50}", re.ASCII)
ID_RULE_TEXT: Final = r"^[@~\-\.\w]+$ (ASCII), at most 50 characters, not '.' or '..'"


def valid_id(value: str) -> bool:
    """The published id rule for a path segment (the organization and the resource id)."""
    return value not in {".", ".."} and _ID_RULE.fullmatch(value) is not None


def id_problem(org: str, rid: str) -> str | None:
    """Why the organization or the payout request id breaks the id rule, or None."""
    for name, value in (("organizationId", org), ("id", rid)):
        if not valid_id(value):
            return f"{name} {value[:60]!r} does not match the id rule {ID_RULE_TEXT}"
    return None


def _load_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("payout-request.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _is_uri(value: str) -> bool:
    """An absolute URI. Braces stay legal: `{{id}}` is Rebilly's own placeholder."""
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(
        char.isspace() or ord(char) < 32 for char in value
    )


SCHEMA: Final = _load_schema()
READ_ONLY: Final = frozenset(
    name for name, spec in SCHEMA["properties"].items() if spec.get("readOnly") is True
)
WRITABLE: Final = tuple(name for name in SCHEMA["properties"] if name not in READ_ONLY)
_VALIDATOR: Final = jsonschema_rs.validator_for(
    SCHEMA, formats={"uri": _is_uri}, validate_formats=True
)


def field_errors(body: Any) -> list[dict[str, str]]:
    """Every problem with a (read-only-free) body: `[{field, message}]`, dot notation."""
    problems = []
    for error in _VALIDATOR.iter_errors(body):
        path = [str(part) for part in error.instance_path]
        kind = error.kind
        message = error.message
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            path.append(str(kind.property))
            message = "This field is required"
        problems.append({"field": ".".join(path), "message": message})
    return sorted(problems, key=lambda problem: problem["field"])


def read_payout(request: Request, raw: bytes, headers: dict[str, str]) -> dict[str, Any] | Response:
    """The writable fields of a PUT body, or the problem answer: 415, 400 or 422."""
    mimetype = request.mimetype
    if mimetype and not (mimetype == "application/json" or mimetype.endswith("+json")):
        return problem(
            415,
            "Unsupported Media Type",
            f"send the body as application/json, not {mimetype}",
            instance=request.path,
            headers=headers,
        )
    try:
        body = json.loads(raw, parse_constant=reject_constant, parse_float=finite)
    except (ValueError, RecursionError) as exc:
        return problem(
            400,
            "Bad Request",
            f"The body is not valid JSON: {exc}",
            instance=request.path,
            headers=headers,
        )
    writable = (
        {name: body[name] for name in WRITABLE if name in body} if isinstance(body, dict) else body
    )
    problems = field_errors(writable)
    if problems:
        return problem(
            422,
            "Validation error",
            "The request body has invalid fields",
            instance=request.path,
            headers=headers,
            invalidFields=problems,
        )
    accepted: dict[str, Any] = writable  # the schema's type is object: no problems, a dict
    return accepted


def build_resource(
    writable: dict[str, Any],
    previous: dict[str, Any] | None,
    rid: str,
    url: str,
    now: float,
) -> dict[str, Any]:
    """The stored payout request: `previous` (if any) updated with the writable fields."""
    links = [{"href": url, "rel": "self"}]
    instrument = writable.get("paymentInstrumentId")
    if isinstance(instrument, str) and instrument:
        base = url.rsplit("/payout-requests/", 1)[0]
        href = f"{base}/payment-instruments/{quote(instrument)}"
        links.append({"href": href, "rel": "paymentInstrument"})
    return {
        "id": rid,
        **writable,
        "status": previous["status"] if previous else "pending",
        "availableAmount": writable["amount"],
        "allocations": previous["allocations"] if previous else [],
        "createdTime": previous["createdTime"] if previous else _utc(now),
        "updatedTime": _utc(now),
        "_links": links,
    }


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
