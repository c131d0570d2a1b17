"""`Idempotency-Key` on the emulator: a repeated key is answered with the first answer.

A generic behaviour of every served API (as the IETF draft "The Idempotency-Key HTTP Header
Field" and payment APIs describe it): a POST or PATCH carrying the header is run once per
(organization, method, path, key); the same key again, with the same body, gets the first
status, headers and body back, marked `Idempotent-Replayed: true`, and does nothing twice.
The same key with another body is refused with 422. A 5xx is not kept (a retry runs again).
At most `MAX_KEYS` keys are remembered (the oldest forgotten first).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from werkzeug.wrappers import Request, Response

from connector.emulator._http import problem

__all__ = ["HEADER", "MAX_KEYS", "IdempotencyCache"]

HEADER: Final = "Idempotency-Key"
MAX_KEYS: Final = 10_000
_KEYED_METHODS: Final = frozenset({"POST", "PATCH"})
_MAX_KEY_CHARS: Final = 255


@dataclass(frozen=True, slots=True)
class _Kept:
    fingerprint: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class IdempotencyCache:
    """The answers kept by key; not thread-safe (the app calls it under its lock)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, ...], _Kept] = OrderedDict()

    @staticmethod
    def key_of(request: Request, scope: str) -> tuple[str, ...] | None:
        """The cache key of a keyed POST/PATCH, or None for any other request."""
        key = request.headers.get(HEADER)
        if request.method not in _KEYED_METHODS or not key:
            return None
        return (scope, request.method, request.path, key[:_MAX_KEY_CHARS])

    def replay(self, found: tuple[str, ...], body: bytes) -> Response | None:
        """The first answer again for a repeated key (422 for another body), else None."""
        kept = self._kept.get(found)
        if kept is None:
            return None
        if kept.fingerprint != _fingerprint(body):
            detail = f"this {HEADER} was used with another request body"
            return problem(422, "Unprocessable Entity", detail, instance=found[2])
        response = Response(kept.body, status=kept.status, headers=list(kept.headers))
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def keep(self, found: tuple[str, ...], body: bytes, response: Response) -> None:
        """Remember the answer to a keyed request (not a 5xx: that one may be tried again)."""
        if response.status_code >= 500:
            return
        data = response.get_data()
        headers = tuple((k, v) for k, v in response.headers.items() if k != "Content-Length")
        self._kept[found] = _Kept(_fingerprint(body), response.status_code, headers, data)
        self._kept.move_to_end(found)
        while len(self._kept) > MAX_KEYS:
            self._kept.popitem(last=False)


def _fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
