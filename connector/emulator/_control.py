"""The control endpoints (`/_emulator/faults`, `/_emulator/reset`, `/_emulator/requests`,
`/_emulator/operations`: what is served, so a client can tell whether this emulator answers
for its operation) and the guard in front of them.

They need no key, so they answer only a request that names the emulator itself: the `Host`
must be a loopback name or address (or one the emulator was told to answer for: no DNS
rebinding onto 127.0.0.1 can read recorded requests), and a request that carries an
`Origin` must come from the emulator's own origin (no web page can queue faults or reset
state). They are not subject to faults or the rate limit.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from werkzeug.wrappers import Request, Response

from connector.emulator._faults import Fault, fault_from_json
from connector.emulator._http import Reply, json_response, problem
from connector.emulator._records import public_request

if TYPE_CHECKING:
    from connector.emulator._app import EmulatorApp

__all__ = ["CONTROL_PREFIX", "control_refusal", "control_reply", "host_name"]

CONTROL_PREFIX: Final = "/_emulator/"
LOOPBACK_NAMES: Final = frozenset({"localhost"})
_HOST: Final = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9.\-]+))(?::(?P<port>\d{1,5}))?"
)


def host_name(header: str) -> str | None:
    """The host of a `Host` header (`127.0.0.1:8765` -> `127.0.0.1`), or None when it is
    not a plain host and optional port (`evil.com@localhost`, `localhost:evil`)."""
    match = _HOST.fullmatch(header.strip())
    if match is None:
        return None
    return (match.group("v6") or match.group("name") or "").lower()


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def control_refusal(request: Request, allowed: frozenset[str]) -> Reply | None:
    """The refusal of a control request from the wrong host or origin, or None."""
    header = request.headers.get("Host", "")
    host = host_name(header)
    if host is None or not (_loopback(host) or host in allowed):
        detail = f"the control endpoints do not answer for host {header[:100]!r}"
        return Reply(problem(400, "Bad Request", detail, instance=request.path))
    origin = request.headers.get("Origin")
    if origin is not None and origin.lower() != f"http://{header.strip().lower()}":
        detail = "cross-origin requests to the control endpoints are not accepted"
        return Reply(problem(403, "Forbidden", detail, instance=request.path))
    return None


def _faults(app: EmulatorApp, request: Request, body: bytes) -> Response:
    if request.method == "DELETE":
        app.clear_faults()
        return json_response({"faults": []})
    status = 200
    if request.method == "POST":
        try:
            fault, count = fault_from_json(body)
            app.inject(fault, count)
        except ValueError as exc:
            return problem(400, "Bad Request", str(exc), instance=request.path)
        status = 201
    return json_response({"faults": [_shown(item) for item in app.pending_faults()]}, status)


def _shown(fault: Fault) -> dict[str, object]:
    return fault.model_dump(mode="json", by_alias=True)


def _reset(app: EmulatorApp, request: Request, body: bytes) -> Response:
    app.reset()
    return json_response({"reset": True})


def _requests(app: EmulatorApp, request: Request, body: bytes) -> Response:
    return json_response([public_request(item) for item in app.requests])


def _operations(app: EmulatorApp, request: Request, body: bytes) -> Response:
    api = app.api
    served = [
        {"operationId": op.operation_id, "method": op.method.upper(), "path": api.prefix + op.path}
        for op in api.operations
    ]
    return json_response(served)


_ENDPOINTS: Final[dict[str, tuple[tuple[str, ...], Callable[..., Response]]]] = {
    "faults": (("GET", "POST", "DELETE"), _faults),
    "reset": (("POST",), _reset),
    "requests": (("GET",), _requests),
    "operations": (("GET",), _operations),
}


def control_reply(app: EmulatorApp, request: Request, body: bytes) -> Response:
    """Answer a control request."""
    endpoint = _ENDPOINTS.get(request.path[len(CONTROL_PREFIX) :])
    if endpoint is None:
        return problem(404, "Not Found", "no such route", instance=request.path)
    methods, answer = endpoint
    if request.method not in methods:
        allowed = ", ".join(methods)
        detail = f"{request.method} is not allowed here; allowed: {allowed}"
        return problem(
            405, "Method Not Allowed", detail, instance=request.path, headers={"Allow": allowed}
        )
    return answer(app, request, body)
