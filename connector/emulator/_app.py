"""What the emulator answers: the body read within its cap, the operation found, the
credential checked, a queued fault applied, the request validated against the description,
and the operation's behaviour run on the store.

`EmulatorApp.respond(environ)` turns one request into a `Reply`; it knows nothing of sockets.
A `Reply` may ask the server to drop the connection instead of answering (the `reset` fault,
or a stall cut short by `stop()`). The app is also a plain WSGI callable, so it can be driven
without a socket (werkzeug's test client) where a test does not need the wire.

The parts live beside it: `_api` (the served API: operations, behaviours, credentials),
`_validation` (a request checked against its operation), `_faults`, `_records`,
`_idempotency` (a repeated `Idempotency-Key` answered with the first answer),
`_ratelimit`, `_control` (the `/_emulator/` endpoints and their guard) and `_http`.
"""

from __future__ import annotations

import dataclasses
import hmac
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Request, Response

from connector._clock import SYSTEM_CLOCK, Clock
from connector.emulator._api import Api, rebilly_api
from connector.emulator._context import Context
from connector.emulator._control import CONTROL_PREFIX, control_refusal, control_reply
from connector.emulator._faults import Fault, fault_answer
from connector.emulator._http import Reply, problem
from connector.emulator._idempotency import IdempotencyCache
from connector.emulator._operations import Operation
from connector.emulator._ratelimit import RateLimiter
from connector.emulator._records import ReceivedRequest, masked_request
from connector.emulator._store import Store
from connector.emulator._validation import BodyError, Call, surrogate_fields, validate_call

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["MAX_BODY_BYTES", "EmulatorApp"]

MAX_BODY_BYTES: Final = 1 << 20
MAX_RECORDED: Final = 10_000
_READ: Final = 64 * 1024


@dataclass
class _State:
    store: Store = field(default_factory=Store)
    faults: deque[Fault] = field(default_factory=deque)
    requests: deque[ReceivedRequest] = field(default_factory=lambda: deque(maxlen=MAX_RECORDED))
    answers: IdempotencyCache = field(default_factory=IdempotencyCache)


class BodyTooLargeError(Exception):
    """The body is over the cap."""


def read_body(environ: WSGIEnvironment) -> bytes:
    """The whole body, Content-Length or chunked, at most `MAX_BODY_BYTES`.

    Raises `BodyTooLargeError` past the cap and `ValueError` for a body that cannot be read
    (a bad chunk size, a connection that ends early)."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH", "").strip()
    if declared:
        if int(declared) > MAX_BODY_BYTES:
            raise BodyTooLargeError
        wanted: int | None = int(declared)
    elif environ.get("wsgi.input_terminated"):
        wanted = None  # chunked: read to the end, or one byte past the cap
    else:
        return b""
    chunks: list[bytes] = []
    size = 0
    try:
        while wanted is None or size < wanted:
            step = _READ if wanted is None else min(_READ, wanted - size)
            chunk = stream.read(min(step, MAX_BODY_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise BodyTooLargeError
    except OSError as exc:
        raise ValueError(f"the body cannot be read: {exc}") from exc
    return b"".join(chunks)


class EmulatorApp:
    """An API served from its description, in memory. Thread-safe; one lock guards all state.

    `api`: what is served (default: Rebilly's payout operations, see `_api.rebilly_api`).
    `api_keys`: None accepts any non-empty credential; a collection accepts only those.
    `rate_limit`: (non-GET requests, window seconds) per organization.
    `allowed_hosts`: the Host names the control endpoints answer for (loopback by default).
    """

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        rate_limit: tuple[int, float] = (3000, 600),
        clock: Clock = SYSTEM_CLOCK,
        api: Api | None = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        limit, window = rate_limit
        if limit < 1 or window <= 0:
            raise ValueError("rate_limit must be (limit >= 1, window_seconds > 0)")
        self.api_keys = None if api_keys is None else frozenset(api_keys)
        if self.api_keys is not None and not all(self.api_keys):
            raise ValueError("api_keys must not contain an empty key")
        self.api = api if api is not None else rebilly_api()
        self.clock = clock
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)
        self.stopping = threading.Event()
        self._lock = threading.RLock()
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
        """Forget everything: stored resources, faults, rate-limit counts, requests."""
        with self._lock:
            self._state = _State()
            self._limiter.clear()

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A copy of what the API routes received, oldest first (control calls excluded;
        the most recent 10,000)."""
        with self._lock:
            return list(self._state.requests)

    def resource(self, org: str, rid: str, kind: str = "payout-requests") -> dict[str, Any] | None:
        """A stored resource (a payout request by default), or None."""
        with self._lock:
            return self._state.store.snapshot(org, kind, rid)

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
                problem(400, "Bad Request", "Content-Length is not a number of bytes"), close=True
            )
        request = Request(environ)
        try:
            body = read_body(environ)
        except BodyTooLargeError:
            detail = f"the body exceeds {MAX_BODY_BYTES} bytes"
            return Reply(problem(413, "Payload Too Large", detail), close=True)
        except ValueError as exc:
            return Reply(problem(400, "Bad Request", str(exc)), close=True)
        if request.path.startswith(CONTROL_PREFIX):
            refusal = control_refusal(request, self.allowed_hosts)
            return refusal or Reply(control_reply(self, request, body))
        return self._api(request, body)

    # --- the API ----------------------------------------------------------------------

    def _accepts(self, secret: str) -> bool:
        if not secret:
            return False
        if self.api_keys is None:
            return True
        return any(_same(secret, key) for key in self.api_keys)

    def _record(
        self, request: Request, body: bytes, *, authorized: bool, fault: str | None
    ) -> ReceivedRequest:
        """Keep the request with credentials masked (the presented and every configured key)."""
        credential, secret = self.api.credentials.presented(request)
        received = masked_request(
            request,
            body,
            credential=credential,
            keys=(secret, *(self.api_keys or ())),
            authorized=authorized,
            fault=fault,
            sensitive=self.api.credentials.header_names,
        )
        with self._lock:
            self._state.requests.append(received)
        return received

    def _answered(self, received: ReceivedRequest, status: int | None) -> None:
        """Note the status the recorded request was answered with."""
        with self._lock:
            records = self._state.requests
            for index in range(len(records) - 1, -1, -1):
                if records[index] is received:
                    records[index] = dataclasses.replace(received, status=status)
                    return

    def _api(self, request: Request, body: bytes) -> Reply:
        secret = self.api.credentials.presented(request)[1]
        authorized = self._accepts(secret)
        with self._lock:
            fault = self._state.faults.popleft() if self._state.faults else None
        received = self._record(
            request, body, authorized=authorized, fault=fault.kind if fault else None
        )
        reply = self._fault(fault, request, body, authorized=authorized) if fault else None
        if reply is None:
            reply = Reply(self._handle(request, body, authorized=authorized))
        self._answered(received, None if reply.drop else reply.response.status_code)
        return reply

    def _fault(
        self, fault: Fault, request: Request, body: bytes, *, authorized: bool
    ) -> Reply | None:
        if fault.kind == "reset":
            if fault.apply:
                self._handle(request, body, authorized=authorized)
            return Reply(Response(status=502), drop="reset")
        if fault.kind in {"stall", "latency"}:
            # hold the request, then handle it as usual unless the emulator is stopping.
            if self.stopping.wait(fault.seconds):
                return Reply(Response(status=502), drop="close")
            return None
        now = self.clock.time()
        return Reply(fault_answer(fault, instance=request.path, now=now, limit=self._limiter.limit))

    def _handle(self, request: Request, body: bytes, *, authorized: bool) -> Response:
        try:
            operation, values = self.api.router.match(request.environ)
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            detail = f"{request.method} is not allowed here; allowed: {allowed}"
            return problem(
                405, "Method Not Allowed", detail, instance=request.path, headers={"Allow": allowed}
            )
        except HTTPException:
            return problem(404, "Not Found", "no such route", instance=request.path)
        if operation.secured and not authorized:
            return self.api.credentials.refusal(request.path)
        scope = values.pop(self.api.scope, "") if self.api.scope else ""
        keyed = IdempotencyCache.key_of(request, scope)
        if keyed is None:
            return self._limited(request, body, operation, values, scope)
        with self._lock:  # one keyed request at a time: a repeat waits for the first answer
            replayed = self._state.answers.replay(keyed, body)
            if replayed is not None:
                return replayed
            response = self._limited(request, body, operation, values, scope)
            self._state.answers.keep(keyed, body, response)
            return response

    def _limited(
        self,
        request: Request,
        body: bytes,
        operation: Operation,
        values: dict[str, str],
        scope: str,
    ) -> Response:
        """The operation run within the rate limit."""
        now = self.clock.time()
        counts = request.method not in {"GET", "HEAD"}
        with self._lock:
            within, remaining, retry_at = self._limiter.check(scope, now, counts=counts)
        headers = self._limiter.headers(remaining)
        if not within:
            return self._limiter.refusal(retry_at, instance=request.path, headers=headers)
        return self._run(request, body, operation, values, scope=scope, now=now, headers=headers)

    def _run(
        self,
        request: Request,
        raw: bytes,
        operation: Operation,
        values: dict[str, str],
        *,
        scope: str,
        now: float,
        headers: dict[str, str],
    ) -> Response:
        base = request.host_url.rstrip("/") + self.api.base_path(scope)
        try:
            parsed = self.api.read_body(request, raw, operation)
        except BodyError as exc:
            call = Call(values, {}, None, [])
            return Context(
                operation, call, scope, base, request.path, now, self._state.store, headers
            ).unreadable(str(exc))
        surrogates = surrogate_fields(parsed)
        if surrogates:  # before anything reads or keeps the body: UTF-8 cannot carry them
            message = "not valid Unicode (a lone surrogate)"
            problems = [{"field": where, "message": message} for where in surrogates]
            ctx = Context(
                operation,
                Call(values, {}, None, []),
                scope,
                base,
                request.path,
                now,
                self._state.store,
                headers,
            )
            return ctx.invalid(problems)
        call = validate_call(operation, values, request.args, parsed)
        ctx = Context(operation, call, scope, base, request.path, now, self._state.store, headers)
        broken = self.api.path_problem({"organizationId": scope, **values}, operation)
        if broken is not None:
            return ctx.absent(*broken)
        if call.problems:
            return ctx.invalid(call.problems)
        behaviour = self.api.behaviour(operation)
        with self._lock:
            return behaviour(ctx)


def _same(secret: str, key: str) -> bool:
    return hmac.compare_digest(
        secret.encode("utf-8", "surrogatepass"), key.encode("utf-8", "surrogatepass")
    )
