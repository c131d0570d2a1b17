"""Registering an export with a Conductor server through its metadata API.

    POST {server}/metadata/taskdefs   [TaskDef, ...]   (an array, even for one)
    POST {server}/metadata/workflow   WorkflowDef      (409 when that name and version exist)
    PUT  {server}/metadata/workflow   [WorkflowDef]    (create or replace: `update=True`)

`server` is the API root, as `CONDUCTOR_SERVER_URL` gives it (`http://host:8080/api`). The
definitions hold no secret (auth is a `${workflow.secrets.NAME}` reference), so nothing here
needs a credential binding. OSS Conductor refuses definitions without `ownerEmail` by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from connector._errors import ConnectorError

__all__ = ["PushError", "Pushed", "push"]

TIMEOUT_SECONDS = 10


class PushError(ConnectorError):
    """The Conductor server could not be reached or refused a definition."""

    kind = "http"


@dataclass(frozen=True, slots=True)
class Pushed:
    """What the server accepted."""

    task_defs: list[str]
    workflow: str
    version: int

    def to_json(self) -> dict[str, Any]:
        """`{taskDefs, workflow, version}`."""
        return {"taskDefs": self.task_defs, "workflow": self.workflow, "version": self.version}


def push(
    document: dict[str, Any],
    server: str,
    *,
    update: bool = False,
    session: requests.Session | None = None,
) -> Pushed:
    """Register an export's task definitions, then its workflow definition.

    Args:
        document: a Conductor export with a workflow (`{"workflowDef", "taskDefs"}`).
        server: the API root, e.g. `http://127.0.0.1:8080/api`.
        update: replace a workflow of the same name and version instead of refusing.
        session: the HTTP session (a new one if None).

    Raises:
        PushError: the server is unreachable or answered with an error (its message kept).
    """
    http = session or requests.Session()
    root = server.rstrip("/")
    task_defs, workflow = _task_defs(document), document["workflowDef"]
    _send(http, "POST", f"{root}/metadata/taskdefs", task_defs)
    if update:
        _send(http, "PUT", f"{root}/metadata/workflow", [workflow])
    else:
        _send(http, "POST", f"{root}/metadata/workflow", workflow)
    names = [task_def["name"] for task_def in task_defs]
    return Pushed(names, workflow["name"], workflow.get("version", 1))


def _task_defs(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("taskDefs", [document["taskDef"]] if "taskDef" in document else [])
    return list(found)


def _send(http: requests.Session, method: str, url: str, body: Any) -> None:
    try:
        response = http.request(method, url, json=body, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise PushError(f"{method} {url}: cannot reach the server ({type(exc).__name__})") from exc
    if response.status_code == 409:
        raise PushError(f"{method} {url}: {_message(response)}; add --update to replace it")
    if not response.ok:
        raise PushError(f"{method} {url} answered {response.status_code}: {_message(response)}")


def _message(response: requests.Response) -> str:
    """The server's own message (Conductor errors are `{status, message, ...}`), shortened."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = body.get("message") if isinstance(body, dict) else None
    text = str(text or response.text or response.reason)
    return text if len(text) <= 300 else text[:300] + "…"
