"""What an operation's description says about its idempotency, as the template's `idempotency`.

- the key: a header parameter or a top-level body field that `names_a_key` (the rule lives
  in `connector._idempotency`), for a POST or PATCH;
- the read-back: for a POST to a collection (`/payments`) whose body carries the client's
  `id`, and a GET on the item path beside it (`/payments/{id}`): that GET, by that id.

Nothing is inferred for a method that is idempotent already. An operation marked
`x-idempotent: true` is declared safe to repeat (`declared_safe`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from connector._idempotency import IDEMPOTENT_METHODS, names_a_key
from connector.openapi._bodies import Body

__all__ = ["declared_safe", "infer_idempotency"]

_ITEM: Final = re.compile(r"^\{[^{}/]+\}$")


def infer_idempotency(
    document: Mapping[str, Any],
    *,
    method: str,
    path: str,
    url: str,
    inputs: Mapping[str, Any],
    body: Body | None,
) -> dict[str, Any]:
    """The `idempotency` object for the template (empty when nothing is inferred)."""
    if method.upper() in IDEMPOTENT_METHODS:
        return {}
    found: dict[str, Any] = {}
    key = _key_input(inputs, body)
    if key is not None:
        found["key"] = key
    client_id = _body_input(body, "id")
    if method.upper() == "POST" and client_id is not None and _has_item_get(document, path):
        found["readBack"] = {"url": f"{url.rstrip('/')}/<<{client_id}>>"}
    return found


def declared_safe(operation: Mapping[str, Any], method: str) -> bool:
    """A POST or PATCH the description declares safe to repeat (`x-idempotent: true`): its
    template gets `retry.retryNonIdempotent`."""
    return operation.get("x-idempotent") is True and method.upper() not in IDEMPOTENT_METHODS


def _key_input(inputs: Mapping[str, Any], body: Body | None) -> str | None:
    for key, spec in inputs.items():
        wire = str(spec.get("name") or key)
        if spec.get("in") == "header" and names_a_key(wire, str(spec.get("description", ""))):
            return key
    if body is None:
        return None
    properties = (body.schema or {}).get("properties", {})
    for key, prop in body.inputs.items():
        described = properties.get(prop, {}) if isinstance(properties, dict) else {}
        text = str(described.get("description", "")) if isinstance(described, dict) else ""
        if prop and names_a_key(prop, text):
            return key
    return None


def _body_input(body: Body | None, prop: str) -> str | None:
    if body is None:
        return None
    return next((key for key, name in body.inputs.items() if name == prop), None)


def _has_item_get(document: Mapping[str, Any], path: str) -> bool:
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        return False
    prefix = path.rstrip("/") + "/"
    for other, item in paths.items():
        rest = str(other)[len(prefix) :] if str(other).startswith(prefix) else ""
        if _ITEM.match(rest) and isinstance(item, Mapping) and isinstance(item.get("get"), Mapping):
            return True
    return False
