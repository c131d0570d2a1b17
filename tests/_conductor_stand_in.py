"""A loopback stand-in for the parts of Conductor's HTTP API the SDK's worker and `push` call.

Task API (what conductor-python 2.x's `TaskRunner` calls):
  GET  /api/tasks/poll/batch/{taskType}?workerid=&count=&timeout=  -> [Task, ...] (queued ones)
  POST /api/tasks/update-v2   {TaskResult}  -> the next queued Task of that type, or null
  POST /api/tasks             {TaskResult}  -> the task id as text (the v1 endpoint)
Metadata API (as OSS Conductor checks it):
  POST /api/metadata/taskdefs [TaskDef, ...] -> 200; 400 unless an array of objects that each
                                                carry a name and an ownerEmail
  POST /api/metadata/workflow WorkflowDef    -> 200; 400 unless an object with a name and an
                                                ownerEmail; 409 when that name and version exist
  PUT  /api/metadata/workflow [WorkflowDef]  -> 200: creates or replaces each
Tests queue tasks, then wait (bounded) for the results the worker posts.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_POLL = "/api/tasks/poll/batch/"


@dataclass(frozen=True)
class Call:
    """One request as the stand-in saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


class ConductorStandIn:
    """`with ConductorStandIn() as conductor: conductor.queue("t", {...}); conductor.result(id)`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.task_defs: list[Any] = []
        self.workflows: list[Any] = []
        self._queues: defaultdict[str, deque[dict[str, Any]]] = defaultdict(deque)
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        """The API root, as CONDUCTOR_SERVER_URL takes it: `http://127.0.0.1:<port>/api`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def queue(self, task_type: str, input_data: Any, task_id: str) -> None:
        """Queue one scheduled task of `task_type` with this input (any JSON value)."""
        task = {
            "taskType": task_type,
            "taskDefName": task_type,
            "referenceTaskName": f"{task_type}_ref",
            "status": "SCHEDULED",
            "taskId": task_id,
            "workflowInstanceId": f"wf-{task_id}",
            "inputData": input_data,
            "retryCount": 0,
            "pollCount": 0,
        }
        with self._changed:
            self._queues[task_type].append(task)

    def result(self, task_id: str, timeout: float = 30) -> dict[str, Any]:
        """The TaskResult the worker posted for `task_id`, waiting at most `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: task_id in self.results, timeout):
                polled = sorted({c.path for c in self.calls if c.path.startswith(_POLL)})
                raise AssertionError(f"no result for {task_id} in {timeout} s (polled: {polled})")
            return self.results[task_id]

    def wait_for_poll(self, task_type: str, timeout: float = 30) -> None:
        """Wait until a worker has polled for `task_type` (it is up)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._polled(task_type), timeout):
                raise AssertionError(f"nothing polled for {task_type} in {timeout} s")

    def _polled(self, task_type: str) -> bool:
        return any(call.path == _POLL + task_type for call in self.calls)

    # -- request handling (called from the server's threads) ------------------------------

    def handle(self, call: Call) -> tuple[int, Any]:
        """The status and JSON answer for one request."""
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
            if call.method == "GET" and call.path.startswith(_POLL):
                return 200, self._take(call.path.removeprefix(_POLL), _count(call.query))
            if call.method == "POST" and call.path in {"/api/tasks", "/api/tasks/update-v2"}:
                return self._update(call)
            if call.method == "POST" and call.path == "/api/metadata/taskdefs":
                return self._register(call.body, self.task_defs, array=True)
            if call.method == "POST" and call.path == "/api/metadata/workflow":
                return self._create_workflow(call.body)
            if call.method == "PUT" and call.path == "/api/metadata/workflow":
                return self._register(call.body, self.workflows, array=True, replace=True)
            return 404, {"status": 404, "message": f"no route {call.method} {call.path}"}

    def _take(self, task_type: str, count: int) -> list[dict[str, Any]]:
        queue = self._queues[task_type]
        return [queue.popleft() for _ in range(min(count, len(queue)))]

    def _update(self, call: Call) -> tuple[int, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        task_id = body.get("taskId")
        if not isinstance(task_id, str):
            return 400, {"status": 400, "message": "taskId is required"}
        self.results[task_id] = body
        if call.path == "/api/tasks":
            return 200, task_id
        return 200, None  # v2: no next task handed back (the worker polls again)

    def _create_workflow(self, body: Any) -> tuple[int, Any]:
        if isinstance(body, dict) and _key(body) in {_key(w) for w in self.workflows}:
            message = f"Workflow with {body.get('name')}.{body.get('version', 1)} already exists!"
            return 409, {"status": 409, "message": message}
        return self._register(body, self.workflows, array=False)

    def _register(
        self, body: Any, into: list[Any], *, array: bool, replace: bool = False
    ) -> tuple[int, Any]:
        items = body if array else [body]
        if array and not isinstance(body, list):
            return 400, {"status": 400, "message": "the body must be an array"}
        for item in items:
            if not isinstance(item, dict) or not item.get("name"):
                return 400, {"status": 400, "message": "name is required"}
            if not item.get("ownerEmail"):
                return 400, {"status": 400, "message": "ownerEmail cannot be empty"}
        if replace:
            into[:] = [old for old in into if _key(old) not in {_key(new) for new in items}]
        into.extend(items)
        return 200, None

    def __enter__(self) -> ConductorStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _key(definition: dict[str, Any]) -> tuple[Any, Any]:
    return definition.get("name"), definition.get("version", 1)


def _count(query: dict[str, list[str]]) -> int:
    try:
        return max(1, int(query.get("count", ["1"])[0]))
    except ValueError:
        return 1


def _handler_for(stand_in: ConductorStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            call = Call(self.command, parts.path, parse_qs(parts.query), _json(raw))
            status, answer = stand_in.handle(call)
            content = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = _handle  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet."""

    return Handler


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")
