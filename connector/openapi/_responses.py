"""An operation's responses: which statuses are success, and each response's schema.

Success is every declared 2xx code and range (`2XX`, `2xx`); with none declared, any 2xx.
Each declared response keeps its description, its first content type (JSON first) and, for a
JSON one, its schema as the response sees it (`writeOnly` properties left out).
"""

from __future__ import annotations

import re
from typing import Any

from connector.openapi._bodies import kind_of
from connector.openapi._refs import Refs, pointer_join
from connector.openapi._schemas import SchemaBuilder

_CODE = re.compile(r"^[1-5][0-9][0-9]$")
_RANGE = re.compile(r"^[1-5]XX$", re.IGNORECASE)


def build_responses(
    refs: Refs, raw: Any, where: str, schemas: SchemaBuilder
) -> tuple[list[int | str], dict[str, Any]]:
    """(successStatusCodes, responses) for an operation's `responses` at `where`."""
    declared = raw if isinstance(raw, dict) else {}
    success: list[int | str] = []
    responses: dict[str, Any] = {}
    for key, entry in declared.items():
        code = str(key).strip().upper() if _RANGE.match(str(key).strip()) else str(key).strip()
        if not (_CODE.match(code) or _RANGE.match(code) or code == "default"):
            continue
        if code.startswith("2"):
            success.append(int(code) if code.isdigit() else code)
        entry_where, response = refs.deref(entry, pointer_join(where, str(key)))
        if isinstance(response, dict):
            responses[code] = _response(refs, response, entry_where, schemas)
    return success or ["2XX"], responses


def _response(
    refs: Refs, response: dict[str, Any], where: str, schemas: SchemaBuilder
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if isinstance(response.get("description"), str) and response["description"]:
        spec["description"] = response["description"]
    content = response.get("content")
    if not isinstance(content, dict) or not content:
        return spec
    media = min(content, key=lambda m: 0 if kind_of(str(m)) == "json" else 1)
    spec["contentType"] = str(media)
    _, media_object = refs.deref(content[media], pointer_join(where, "content", str(media)))
    if (
        kind_of(str(media)) == "json"
        and isinstance(media_object, dict)
        and "schema" in media_object
    ):
        spec["schema"] = schemas.build(
            media_object["schema"], pointer_join(where, "content", str(media), "schema"), "response"
        )
    return spec
