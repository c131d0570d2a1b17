"""Idempotency: whether a step may be sent twice, and the key that makes a POST safe to repeat.

A template declares how its operation is made safe to repeat (`TaskTemplate.idempotency`):

- by its method: GET, HEAD, PUT, DELETE, OPTIONS, QUERY do nothing twice (RFC 9110, 9.2.2);
- by a key: `{"key": "idempotencyKey"}` names the task input (a header parameter such as
  `Idempotency-Key`, or a body field such as `idempotency_key`) that carries a key the
  server remembers; the same key sent again is answered with the first result. When an
  input gives none, the connector makes one (`new_key`; `derived_key` for an engine that
  must make the same one again), records it before the first send and sends that same key
  on every retry and every resumed run;
- or neither: a POST or PATCH without a key is never repeated, by the connector or by any
  engine it exports to. A template may still declare `retry.retryNonIdempotent` (the
  operator knows the API deduplicates by other means).

`retry_allowed(template)` is the one rule the executor, the batch runner and the engine
exports ask. A `readBack` (`{"url": "/payout-requests/<<id>>"}`: a GET of the resource by
the client's id or by the key) lets a run whose outcome is unknown find out whether the
first request took effect (`connector run --resolve`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import Field

from connector._model import StrictModel

if TYPE_CHECKING:
    from connector._template import TaskTemplate

__all__ = [
    "IDEMPOTENT_METHODS",
    "Idempotency",
    "ReadBack",
    "Verdict",
    "derived_key",
    "describe",
    "key_input",
    "key_label",
    "kind",
    "names_a_key",
    "new_key",
    "retry_allowed",
    "with_key",
]

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "QUERY"})
"""Methods HTTP defines as idempotent (QUERY: safe and idempotent by its definition); any
other (POST, PATCH, an API's own method) is repeated only when keyed or declared."""

_KEY_NAMESPACE: Final = uuid.UUID("6f0c1d2e-5b8a-4c3e-9a7d-2f4e1b0c9d8a")

Kind = Literal["method", "key", "none"]


class ReadBack(StrictModel):
    """How to look the step's resource up: a GET of `url` (a path on the same server, with
    `<<input>>` placeholders such as the client's id or the idempotency key's input)."""

    url: str = Field(min_length=1, max_length=2048)


class Idempotency(StrictModel):
    """How the template's operation is made safe to repeat (see the module docstring)."""

    key: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,79}$",
        description="The task input that carries an idempotency key (header or body field)",
    )
    read_back: ReadBack | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a step may be sent again after it may have reached the server, and why."""

    allowed: bool
    reason: str


def kind(template: TaskTemplate) -> Kind:
    """`method` (idempotent by its method), `key` (takes an idempotency key) or `none`."""
    if template.http_request.method in IDEMPOTENT_METHODS:
        return "method"
    return "key" if template.idempotency.key is not None else "none"


def retry_allowed(template: TaskTemplate) -> Verdict:
    """The one rule: may this step be repeated (a retry, a resend on resume, an engine's
    retry) once it may have reached the server?"""
    method = template.http_request.method
    found = kind(template)
    if found == "method":
        return Verdict(allowed=True, reason=f"{method} is idempotent")
    if found == "key":
        return Verdict(allowed=True, reason=f"{method} is keyed ({key_label(template)})")
    if template.retry.retry_non_idempotent:
        return Verdict(allowed=True, reason="the template declares retry.retryNonIdempotent")
    return Verdict(
        allowed=False,
        reason=f"{method} is not idempotent and takes no idempotency key, so it is never repeated",
    )


def key_input(template: TaskTemplate) -> str | None:
    """The input that carries the idempotency key, for a keyed POST/PATCH (else None)."""
    return template.idempotency.key if kind(template) == "key" else None


def key_label(template: TaskTemplate) -> str:
    """Where the key goes on the wire: `header Idempotency-Key` or `body field idempotency_key`."""
    name = template.idempotency.key or ""
    parameter = template.parameters.get(name)
    if parameter is not None:
        return f"{parameter.location} {parameter.name or name}"
    return f"body field {name}"


def declares_input(template: TaskTemplate, name: str) -> bool:
    """Whether `name` is an input of the template: a parameter, or a `<<name>>` of the body."""
    if name in template.parameters:
        return True
    return f"<<{name}>>" in json.dumps(template.http_request.body)


_KEY_WORDS: Final = ("idempotenc", "idempotent")
_KEY_ENDINGS: Final = ("key", "token")


def names_a_key(name: str, description: str = "") -> bool:
    """Whether a header or body field carries an idempotency key, by its name (`Idempotency-Key`,
    `X-Idempotency-Key`, `idempotency_key`) or by a `...Key`/`...Token` field whose
    description speaks of idempotency (the importer's rule)."""
    plain = "".join(c for c in name.lower() if c.isalnum())
    if any(word in plain for word in _KEY_WORDS):
        return True
    said = description.lower()
    return plain.endswith(_KEY_ENDINGS) and any(word in said for word in _KEY_WORDS)


def describe(template: TaskTemplate) -> str:
    """What the template declares, in a few words (the importer prints it)."""
    found = kind(template)
    method = template.http_request.method
    if found == "method":
        text = f"idempotent ({method})"
    elif found == "key":
        text = f"keyed by {key_label(template)}"
    else:
        text = f"not idempotent ({method}, no idempotency key): never retried"
    read_back = template.idempotency.read_back
    return text if read_back is None else f"{text}; read back by GET {read_back.url}"


def new_key() -> str:
    """A fresh idempotency key (a random UUID: unique per input, not a secret)."""
    return str(uuid.uuid4())


def derived_key(*parts: str) -> str:
    """The same key for the same parts (a workflow id and an item): an engine that replays
    its history makes the key again instead of storing it."""
    return str(uuid.uuid5(_KEY_NAMESPACE, "\x1f".join(parts)))


def with_key(
    template: TaskTemplate, inputs: Mapping[str, Any], key: str | None
) -> tuple[Mapping[str, Any], str | None]:
    """The inputs with the idempotency key filled in (the input's own key wins), and the key
    sent; inputs unchanged and None for a step that takes no key (or inputs that are not an
    object: validation reports those)."""
    name = key_input(template)
    if name is None or not isinstance(inputs, Mapping):
        return inputs, None
    given = inputs.get(name)
    if isinstance(given, str) and given:
        return dict(inputs), given
    chosen = key or new_key()
    return {**inputs, name: chosen}, chosen
