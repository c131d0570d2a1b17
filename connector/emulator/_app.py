"""What the emulator answers: routing, credentials, the rate limit, the fault queue and the
store; the control endpoint.

`EmulatorApp.respond(environ)` turns one request into a `Reply`; it knows nothing of sockets.
A `Reply` may ask the server to drop the connection instead of answering (the `reset` fault,
or a stall cut short by `stop()`). The app is also a plain WSGI callable, so it can be driven
without a socket (werkzeug's test client) where a test does not need the wire.

Choices where the published API is silent (documented in `connector/emulator/__init__.py`):
an org or id outside the id rule is a 404 (the route does not exist), read-only and unknown
body fields are ignored, and a body that is not a JSON object is a 400.

The parts live beside it: `_faults` (what a fault is and answers), `_payouts` (the id rule,
the body schema, the resource), `_records` (what is kept of a request, masked),
`_ratelimit` (the sliding window) and `_http` (JSON and problem answers, the `Reply`).
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connector.emulator._faults import Fault, fault_answer, fault_from_json
from connector.emulator._http import Reply, json_response, problem
from connector.emulator._payouts import build_resource, field_errors, id_problem, read_payout
from connector.emulator._ratelimit import RateLimiter
from connector.emulator._records import ReceivedRequest, masked_request, public_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["EmulatorApp", "field_errors"]

MAX_BODY_BYTES: Final = 1 << 20
MAX_RECORDED: Final = 10_000
CONTROL_PREFIX: Final = "/_emulator/"

_ROUTES: Final = Map(
    [
        Rule(
            "/organizations/<org>/payout-requests/<rid>",
            methods=["GET", "PUT"],
            endpoint="payout-request",
        ),
        Rule("/_emulator/faults", methods=["GET", "POST", "DELETE"], endpoint="faults"),
        Rule("/_emulator/reset", methods=["POST"], endpoint="reset"),
        Rule("/_emulator/requests", methods=["GET"], endpoint="requests"),
    ],
    strict_slashes=True,
    merge_slashes=False,
    redirect_defaults=False,
)


@dataclass
class _State:
    store: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    faults: deque[Fault] = field(default_factory=deque)
    requests: deque[ReceivedRequest] = field(default_factory=lambda: deque(maxlen=MAX_RECORDED))


class EmulatorApp:
    """Rebilly's payout-request API, in memory. Thread-safe; one lock guards all state."""

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        rate_limit: tuple[int, float] = (3000, 600),
        clock: Callable[[], float] | None = None,
    ) -> None:
        limit, window = rate_limit
        if limit < 1 or window <= 0:
            raise ValueError("rate_limit must be (limit >= 1, window_seconds > 0)")
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        if self.api_keys is not None and not all(self.api_keys):
            raise ValueError("api_keys must not contain an empty key")
        self.clock: Callable[[], float] = clock or time.time
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._limiter = RateLimiter(limit, float(window))
        self._state = _State()

    # --- the Python control surface ---------------------------------------------------

    def inject(self, fault: Fault, count: int = 1) -> None:
        """Queue `count` copies of `fault` for the next API requests."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an integer >= 1, not {count!r}")
        with self._lock:
            self._state.faults.extend([fault] * count)

    def pending_faults(self) -> list[Fault]:
        """The faults not yet used, in order."""
        with self._lock:
            return list(self._state.faults)

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self._lock:
            self._state.faults.clear()

    def reset(self) -> None:
        """Forget everything: stored payout requests, faults, rate-limit counts, requests."""
        with self._lock:
            self._state = _State()
            self._limiter.clear()

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A copy of what the API routes received, oldest first (control calls excluded;
        the most recent 10,000)."""
        with self._lock:
            return list(self._state.requests)

    def resource(self, org: str, rid: str) -> dict[str, Any] | None:
        """The stored payout request, or None."""
        with self._lock:
            stored = self._state.store.get((org, rid))
            return json.loads(json.dumps(stored)) if stored is not None else None

    # --- WSGI -------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Plain WSGI (no socket): a dropped connection becomes a 502 problem."""
        reply = self.respond(environ)
        response = reply.response
        if reply.drop:
            response = problem(502, "Bad Gateway", f"emulated: connection {reply.drop}")
        return response(environ, start_response)

    def respond(self, environ: WSGIEnvironment) -> Reply:
        """One request in, one `Reply` out."""
        declared = environ.get("CONTENT_LENGTH", "")
        if declared and not declared.strip().isdigit():
            return Reply(
                problem(400, "Bad Request", "Content-Length is not a number of bytes"),
                close=True,
            )
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return Reply(
                problem(413, "Payload Too Large", f"the body exceeds {MAX_BODY_BYTES} bytes"),
                close=True,
            )
        adapter = _ROUTES.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            self._record(request, body)
            return Reply(
                problem(
                    405,
                    "Method Not Allowed",
                    f"{request.method} is not allowed here; allowed: {allowed}",
                    instance=request.path,
                    headers={"Allow": allowed},
                )
            )
        except HTTPException:
            self._record(request, body)
            return Reply(
                problem(404, "Not Found", "no such route", instance=request.path),
            )
        if endpoint == "payout-request":
            return self._api(request, body, args["org"], args["rid"])
        return Reply(self._control(request, body, endpoint))

    # --- the API ----------------------------------------------------------------------

    def _credential(self, request: Request) -> tuple[str | None, str]:
        key = request.headers.get("REB-APIKEY")
        if key is not None:
            return "REB-APIKEY", key.strip()
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return "Bearer", token.strip()
        return None, ""

    def _accepts(self, secret: str) -> bool:
        if not secret:
            return False
        if self.api_keys is None:
            return True
        return any(hmac.compare_digest(secret.encode(), key.encode()) for key in self.api_keys)

    def _record(
        self, request: Request, body: bytes, *, authorized: bool = False, fault: str | None = None
    ) -> None:
        """Keep the request with credentials masked (the presented and every configured key)."""
        credential, secret = self._credential(request)
        received = masked_request(
            request,
            body,
            credential=credential,
            keys=(secret, *(self.api_keys or ())),
            authorized=authorized,
            fault=fault,
        )
        with self._lock:
            self._state.requests.append(received)

    def _api(self, request: Request, body: bytes, org: str, rid: str) -> Reply:
        authorized = self._accepts(self._credential(request)[1])
        with self._lock:
            fault = self._state.faults.popleft() if self._state.faults else None
        self._record(request, body, authorized=authorized, fault=fault.kind if fault else None)
        if fault is not None:
            reply = self._fault(fault, request, body, org, rid, authorized=authorized)
            if reply is not None:
                return reply
        return Reply(self._handle(request, body, org, rid, authorized=authorized))

    def _fault(
        self, fault: Fault, request: Request, body: bytes, org: str, rid: str, *, authorized: bool
    ) -> Reply | None:
        now = self.clock()
        if fault.kind in {"503", "429"}:
            limit = self._limiter.limit
            return Reply(fault_answer(fault, instance=request.path, now=now, limit=limit))
        if fault.kind == "reset":
            if fault.apply:
                self._handle(request, body, org, rid, authorized=authorized)
            return Reply(Response(status=502), drop="reset")
        # stall: hold the request, then handle it as usual unless the emulator is stopping.
        if self.stopping.wait(fault.seconds):
            return Reply(Response(status=502), drop="close")
        return None

    def _handle(
        self, request: Request, body: bytes, org: str, rid: str, *, authorized: bool
    ) -> Response:
        if not authorized:
            return problem(
                401,
                "Unauthorized",
                "Invalid credentials: send a secret API key in REB-APIKEY "
                "or a token in Authorization: Bearer",
                instance=request.path,
                headers={"WWW-Authenticate": 'Bearer realm="rebilly"'},
            )
        now = self.clock()
        counts = request.method not in {"GET", "HEAD"}
        allowed, remaining, retry_at = self._limit(org, now, counts=counts)
        limit_headers = self._limiter.headers(remaining)
        if not allowed:
            return self._limiter.refusal(retry_at, instance=request.path, headers=limit_headers)
        broken = id_problem(org, rid)
        if broken is not None:
            return problem(404, "Not Found", broken, instance=request.path, headers=limit_headers)
        if request.method == "PUT":
            return self._put(request, body, org, rid, now=now, headers=limit_headers)
        with self._lock:
            stored = self._state.store.get((org, rid))
        if stored is None:
            return problem(
                404,
                "Not Found",
                f"Payout request {rid!r} was not found",
                instance=request.path,
                headers=limit_headers,
            )
        return json_response(stored, 200, limit_headers)

    def _limit(self, org: str, now: float, *, counts: bool) -> tuple[bool, int, float]:
        with self._lock:
            return self._limiter.check(org, now, counts=counts)

    def _put(
        self,
        request: Request,
        raw: bytes,
        org: str,
        rid: str,
        *,
        now: float,
        headers: dict[str, str],
    ) -> Response:
        writable = read_payout(request, raw, headers)
        if isinstance(writable, Response):
            return writable
        url = request.host_url.rstrip("/") + quote(request.path, safe="/@~")
        with self._lock:
            previous = self._state.store.get((org, rid))
            created = previous is None
            resource = build_resource(writable, previous, rid, url, now)
            self._state.store[(org, rid)] = resource
            shown = json.loads(json.dumps(resource))
        if created:
            return json_response(shown, 201, {**headers, "Location": url})
        return json_response(shown, 200, headers)

    # --- the control endpoint -------------------------------------------------------------

    def _control(self, request: Request, body: bytes, endpoint: str) -> Response:
        if endpoint == "reset":
            self.reset()
            return json_response({"reset": True})
        if endpoint == "requests":
            return json_response([public_request(item) for item in self.requests])
        if request.method == "DELETE":
            self.clear_faults()
            return json_response({"faults": []})
        if request.method == "POST":
            try:
                fault, count = fault_from_json(body)
                self.inject(fault, count)
            except ValueError as exc:
                return problem(400, "Bad Request", str(exc), instance=request.path)
            return json_response({"faults": [item.public() for item in self.pending_faults()]}, 201)
        return json_response({"faults": [item.public() for item in self.pending_faults()]})
