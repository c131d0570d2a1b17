"""Which API an emulator serves for a task's offline test requests, and whether a running
emulator already serves the task's operation.

- Rebilly's templates (the shipped API): the built-in Rebilly emulator, with its payout state.
- An API imported into the user catalogue: the description `connector catalog import` kept
  beside its templates, served with generic resource state (for one test request, only the
  operations under the task's path: a description of hundreds of operations is not built
  whole for one request).
- Anything else (a template written by hand or read from an engine's task, an API imported
  before descriptions were kept): there is nothing to emulate. `emulation_for` raises a
  `UsageError` that says what to do, and nothing is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from connector._errors import DescriptionError, UsageError
from connector._store import description_path
from connector._template import TaskTemplate
from connector.emulator._api import Api, api_from_description, rebilly_api
from connector.emulator._description import load_description

__all__ = ["REBILLY", "Emulation", "emulation_for", "family", "route_shape", "serves"]

REBILLY: Final = "rebilly"
"""The shipped API, which the built-in emulator serves."""
_VARIABLE: Final = re.compile(r"<<[^<>]*>>|\{\{[^{}]*\}\}|\{[^{}/]*\}")


@dataclass(frozen=True)
class Emulation:
    """The API to serve, and how a message names it."""

    api: Api
    label: str


def emulation_for(
    template: TaskTemplate, *, catalog: Path | None = None, whole_api: bool = False
) -> Emulation:
    """What an emulator started for `template`'s test request serves: of an imported API,
    the operations under the task's path (`family`; the whole API when none is, or with
    `whole_api`, for an emulator that serves every task of the API).

    Raises:
        UsageError: the template's API has no description to serve (nothing was sent).
    """
    api = template.operation.api if template.operation else None
    if api is not None and api.lower() == REBILLY:
        return Emulation(rebilly_api(), "the Rebilly emulator")
    path = description_path(api, catalog) if api else None
    if path is None:
        raise UsageError(_no_description(api), task=template.name)
    try:
        document = load_description(path)
        prefix = "" if whole_api else family(template.http_request.url)
        served = api_from_description(document, path_prefixes=(prefix,) if prefix else ())
        if not served.operations:  # the task's path is not one of the description's
            served = api_from_description(document)
    except DescriptionError as exc:
        message = f"the description kept for API {api!r} cannot be served: {exc.message}"
        raise UsageError(message + _REIMPORT, task=template.name) from None
    return Emulation(served, f"an emulator of API {api!r} (from {path})")


_REIMPORT: Final = (
    "; import its description again (`connector catalog import SPEC`), run "
    "`connector emulator --spec SPEC` at the template's local URL, or send elsewhere with "
    "--base-url URL (nothing was sent)"
)


def _no_description(api: str | None) -> str:
    named = f"API {api!r}" if api else "no API (the template has no `operation.api`)"
    return f"no emulator can answer for this task: {named} has no kept description" + _REIMPORT


def family(url: str) -> str:
    """The task's path up to its first placeholder, as a path prefix: `/v1/balance/history/
    <<id>>` -> `/v1/balance/history` (the item, its collection and what lies under them);
    empty when the path starts with one. Building only these operations is what makes an
    emulator of a large description start fast (Stripe's: benchmarks/emulation.py)."""
    return _VARIABLE.split(url.split("?", 1)[0], maxsplit=1)[0].rstrip("/")


def route_shape(method: str, path: str) -> str:
    """`GET /v2/pets/<<id>>` and `GET /v2/pets/{petId}` both as `GET /v2/pets/{}`."""
    route = _VARIABLE.sub("{}", path.split("?", 1)[0]).rstrip("/") or "/"
    return f"{method.upper()} {route}"


def serves(operations: Iterable[Mapping[str, Any]], method: str, path: str) -> bool:
    """Whether an emulator's `/_emulator/operations` list has the operation at `path`."""
    wanted = route_shape(method, path)
    return any(
        route_shape(str(item.get("method", "")), str(item.get("path", ""))) == wanted
        for item in operations
    )
