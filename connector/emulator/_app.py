"""What the emulator answers: routing, credentials, the id rule, body validation, the store,
the rate limit and the fault queue.

`EmulatorApp.respond(environ)` turns one request into a `Reply`; it knows nothing of sockets.
A `Reply` may ask the server to drop the connection instead of answering (the `reset` fault,
or a stall cut short by `stop()`). The app is also a plain WSGI callable, so it can be driven
without a socket (werkzeug's test client) where a test does not need the wire.

Choices where the published API is silent (documented in `connector/emulator/__init__.py`):
an org or id outside the id rule is a 404 (the route does not exist), read-only and unknown
body fields are ignored, and a body that is not a JSON object is a 400.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from importlib import resources
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import quote, urlsplit

import jsonschema_rs
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

REDACTED: Final = "<redacted>"
SENSITIVE_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "reb-apikey", "x-api-key"}
)
MAX_BODY_BYTES: Final = 1 << 20
MAX_RECORDED: Final = 10_000
CONTROL_PREFIX: Final = "/_emulator/"

FaultKind = Literal["503", "reset", "stall", "429"]
FAULT_KINDS: Final = ("503", "reset", "stall", "429")
RetryStyle = Literal["epoch", "seconds", "http-date", "none"]
RETRY_STYLES: Final = ("epoch", "seconds", "http-date", "none")

_ID_RULE: Final = re.compile(r"[@~\-\.\w]{1,50}", re.ASCII)
_ID_RULE_TEXT: Final = r"^[@~\-\.\w]+$ (ASCII), at most 50 characters, not '.' or '..'"


def valid_id(value: str) -> bool:
    """The published id rule for a path segment (the organization and the resource id)."""
    return value not in {".", ".."} and _ID_RULE.fullmatch(value) is not None


def _load_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("payout-request.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _is_uri(value: str) -> bool:
    """An absolute URI. Braces stay legal: `{{id}}` is Rebilly's own placeholder."""
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not any(
        char.isspace() or ord(char) < 32 for char in value
    )


SCHEMA: Final = _load_schema()
READ_ONLY: Final = frozenset(
    name for name, spec in SCHEMA["properties"].items() if spec.get("readOnly") is True
)
WRITABLE: Final = tuple(name for name in SCHEMA["properties"] if name not in READ_ONLY)
_VALIDATOR: Final = jsonschema_rs.validator_for(
    SCHEMA, formats={"uri": _is_uri}, validate_formats=True
)


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, used up by the next API request.

    kind: `503` answers 503; `429` answers 429 with a retry header; `reset` drops the
    connection with a TCP reset and no response; `stall` holds the request `seconds` (None:
    until the emulator stops), then handles it normally, or drops it if the emulator stopped.
    retry_after: seconds from now for the retry header of a 503 or 429, sent as `style`:
    `epoch` = `X-RateLimit-Retry-After: <UTC epoch seconds>` (Rebilly's own), `seconds` =
    `Retry-After: <n>`, `http-date` = `Retry-After: <HTTP-date>`, `none` = no header.
    apply: for `reset`, apply the request first (the work is done; the client never hears).
    """

    kind: FaultKind
    seconds: float | None = None
    retry_after: float | None = None
    style: RetryStyle = "epoch"
    apply: bool = False

    def public(self) -> dict[str, Any]:
        """The camelCase form the control endpoint shows."""
        return {
            "kind": self.kind,
            "seconds": self.seconds,
            "retryAfter": self.retry_after,
            "style": self.style,
            "apply": self.apply,
        }


def make_fault(
    kind: str,
    *,
    seconds: float | None = None,
    retry_after: float | None = None,
    style: str = "epoch",
    apply: bool = False,
) -> Fault:
    """A checked `Fault`; raises ValueError on an unknown kind, style or a negative time."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
    if style not in RETRY_STYLES:
        raise ValueError(f"unknown retry style {style!r}; one of {', '.join(RETRY_STYLES)}")
    for name, value in (("seconds", seconds), ("retry_after", retry_after)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0
        ):
            raise ValueError(f"{name} must be a number >= 0, not {value!r}")
    if kind == "429" and retry_after is None:
        retry_after = 1.0
    return Fault(kind, seconds, retry_after, style, apply)  # type: ignore[arg-type]


class Headers(Mapping[str, str]):
    """Received headers, read-only, looked up without regard to case."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = {name.lower(): (name, value) for name, value in items}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the emulator received it, with every credential redacted.

    `credential` names what authenticated it (`REB-APIKEY`, `Bearer` or None) and
    `authorized` says whether it was accepted: a test can tell the key arrived without it
    being kept anywhere.
    """

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    credential: str | None = None
    authorized: bool = False
    fault: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


@dataclass(slots=True)
class Reply:
    """What the server does with one request: answer `response`, or drop the connection."""

    response: Response
    drop: Literal["reset", "close"] | None = None
    close: bool = False


class _RateLimiter:
    """A sliding window of non-GET requests per organization."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def _live(self, org: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(org, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def check(self, org: str, now: float, *, counts: bool) -> tuple[bool, int, float]:
        """(allowed, remaining, retry_at); a counted request that is allowed uses one up."""
        hits = self._live(org, now)
        if counts and len(hits) >= self.limit:
            return False, 0, hits[0] + self.window if hits else now + self.window
        if counts:
            hits.append(now)
        return True, max(self.limit - len(hits), 0), now

    def clear(self) -> None:
        self._hits.clear()


def _problem(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str = "",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "error": title,
        **extra,
    }
    return _json(body, status, headers)


def _json(value: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(payload, status=status, content_type="application/json")
    response.headers.update(headers or {})
    return response


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _retry_headers(fault: Fault, now: float) -> dict[str, str]:
    if fault.retry_after is None or fault.style == "none":
        return {}
    if fault.style == "epoch":
        return {"X-RateLimit-Retry-After": str(math.ceil(now + fault.retry_after))}
    if fault.style == "seconds":
        return {"Retry-After": str(math.ceil(fault.retry_after))}
    return {"Retry-After": formatdate(now + fault.retry_after, usegmt=True)}


def field_errors(body: Any) -> list[dict[str, str]]:
    """Every problem with a (read-only-free) body: `[{field, message}]`, dot notation."""
    problems = []
    for error in _VALIDATOR.iter_errors(body):
        path = [str(part) for part in error.instance_path]
        kind = error.kind
        message = error.message
        if isinstance(kind, jsonschema_rs.ValidationErrorKind.Required):
            path.append(str(kind.property))
            message = "This field is required"
        problems.append({"field": ".".join(path), "message": message})
    return sorted(problems, key=lambda problem: problem["field"])


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
        self._limiter = _RateLimiter(limit, float(window))
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
            response = _problem(502, "Bad Gateway", f"emulated: connection {reply.drop}")
        return response(environ, start_response)

    def respond(self, environ: WSGIEnvironment) -> Reply:
        """One request in, one `Reply` out."""
        declared = environ.get("CONTENT_LENGTH", "")
        if declared and not declared.strip().isdigit():
            return Reply(
                _problem(400, "Bad Request", "Content-Length is not a number of bytes"),
                close=True,
            )
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            return Reply(
                _problem(413, "Payload Too Large", f"the body exceeds {MAX_BODY_BYTES} bytes"),
                close=True,
            )
        adapter = _ROUTES.bind_to_environ(environ)
        try:
            endpoint, args = adapter.match()
        except MethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.valid_methods or []))
            self._record(request, body)
            return Reply(
                _problem(
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
                _problem(404, "Not Found", "no such route", instance=request.path),
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
        """Keep the request with credentials masked: credential headers by name; the
        presented key or token and every configured key by value, wherever they appear."""
        credential, secret = self._credential(request)
        secrets = sorted(
            {key for key in (secret, *(self.api_keys or ())) if len(key) >= 4},
            key=len,
            reverse=True,
        )

        def mask(text: str) -> str:
            for key in secrets:
                text = text.replace(key, REDACTED)
            return text

        headers = Headers(
            (name, _mask_header(value) if name.lower() in SENSITIVE_HEADERS else mask(value))
            for name, value in request.headers.items()
        )
        for key in secrets:
            body = body.replace(key.encode(), REDACTED.encode())
        received = ReceivedRequest(
            method=request.method,
            path=mask(request.path),
            query=mask(request.query_string.decode("latin-1")),
            headers=headers,
            body=body,
            credential=credential,
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
        if fault.kind == "503":
            return Reply(
                _problem(
                    503,
                    "Service Unavailable",
                    "emulated fault: the service is unavailable, try again later",
                    instance=request.path,
                    headers=_retry_headers(fault, now),
                )
            )
        if fault.kind == "429":
            headers = {
                "X-RateLimit-Limit": str(self._limiter.limit),
                "X-RateLimit-Remaining": "0",
                **_retry_headers(fault, now),
            }
            return Reply(
                _problem(
                    429,
                    "Too Many Requests",
                    "emulated fault: request rate limit exceeded",
                    instance=request.path,
                    headers=headers,
                )
            )
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
            return _problem(
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
        limit_headers = {
            "X-RateLimit-Limit": str(self._limiter.limit),
            "X-RateLimit-Remaining": str(remaining),
        }
        if not allowed:
            limit_headers["X-RateLimit-Retry-After"] = str(math.ceil(retry_at))
            return _problem(
                429,
                "Too Many Requests",
                f"Rate limit of {self._limiter.limit} non-GET requests per "
                f"{self._limiter.window:g} s for this organization exceeded",
                instance=request.path,
                headers=limit_headers,
            )
        for name, value in (("organizationId", org), ("id", rid)):
            if not valid_id(value):
                return _problem(
                    404,
                    "Not Found",
                    f"{name} {value[:60]!r} does not match the id rule {_ID_RULE_TEXT}",
                    instance=request.path,
                    headers=limit_headers,
                )
        if request.method == "PUT":
            return self._put(request, body, org, rid, now=now, headers=limit_headers)
        with self._lock:
            stored = self._state.store.get((org, rid))
        if stored is None:
            return _problem(
                404,
                "Not Found",
                f"Payout request {rid!r} was not found",
                instance=request.path,
                headers=limit_headers,
            )
        return _json(stored, 200, limit_headers)

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
        mimetype = request.mimetype
        if mimetype and not (mimetype == "application/json" or mimetype.endswith("+json")):
            return _problem(
                415,
                "Unsupported Media Type",
                f"send the body as application/json, not {mimetype}",
                instance=request.path,
                headers=headers,
            )
        try:
            body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite)
        except (ValueError, RecursionError) as exc:
            return _problem(
                400,
                "Bad Request",
                f"The body is not valid JSON: {exc}",
                instance=request.path,
                headers=headers,
            )
        writable = (
            {name: body[name] for name in WRITABLE if name in body}
            if isinstance(body, dict)
            else body
        )
        problems = field_errors(writable)
        if problems:
            return _problem(
                422,
                "Validation error",
                "The request body has invalid fields",
                instance=request.path,
                headers=headers,
                invalidFields=problems,
            )
        url = request.host_url.rstrip("/") + quote(request.path, safe="/@~")
        with self._lock:
            previous = self._state.store.get((org, rid))
            created = previous is None
            resource = self._resource(writable, previous, rid, url, now)
            self._state.store[(org, rid)] = resource
            shown = json.loads(json.dumps(resource))
        if created:
            return _json(shown, 201, {**headers, "Location": url})
        return _json(shown, 200, headers)

    @staticmethod
    def _resource(
        writable: dict[str, Any],
        previous: dict[str, Any] | None,
        rid: str,
        url: str,
        now: float,
    ) -> dict[str, Any]:
        links = [{"href": url, "rel": "self"}]
        instrument = writable.get("paymentInstrumentId")
        if isinstance(instrument, str) and instrument:
            base = url.rsplit("/payout-requests/", 1)[0]
            href = f"{base}/payment-instruments/{quote(instrument)}"
            links.append({"href": href, "rel": "paymentInstrument"})
        return {
            "id": rid,
            **writable,
            "status": previous["status"] if previous else "pending",
            "availableAmount": writable["amount"],
            "allocations": previous["allocations"] if previous else [],
            "createdTime": previous["createdTime"] if previous else _utc(now),
            "updatedTime": _utc(now),
            "_links": links,
        }

    # --- the control endpoint -------------------------------------------------------------

    def _control(self, request: Request, body: bytes, endpoint: str) -> Response:
        if endpoint == "reset":
            self.reset()
            return _json({"reset": True})
        if endpoint == "requests":
            return _json([_public_request(item) for item in self.requests])
        if request.method == "DELETE":
            self.clear_faults()
            return _json({"faults": []})
        if request.method == "POST":
            try:
                fault, count = _fault_from_json(body)
                self.inject(fault, count)
            except ValueError as exc:
                return _problem(400, "Bad Request", str(exc), instance=request.path)
            return _json({"faults": [item.public() for item in self.pending_faults()]}, 201)
        return _json({"faults": [item.public() for item in self.pending_faults()]})


def _fault_from_json(body: bytes) -> tuple[Fault, Any]:
    """`{"kind", "count", "seconds", "retryAfter", "style", "apply"}` -> (fault, count)."""
    spec = json.loads(body or b"{}", parse_constant=_reject_constant)
    if not isinstance(spec, dict):
        raise ValueError("send a JSON object")  # noqa: TRY004 - a 400 like every bad body
    unknown = set(spec) - {"kind", "count", "seconds", "retryAfter", "style", "apply"}
    if unknown:
        raise ValueError(f"unknown members: {', '.join(sorted(unknown))}")
    fault = make_fault(
        str(spec.get("kind", "")),
        seconds=spec.get("seconds"),
        retry_after=spec.get("retryAfter"),
        style=str(spec.get("style", "epoch")),
        apply=bool(spec.get("apply", False)),
    )
    return fault, spec.get("count", 1)


def _public_request(item: ReceivedRequest) -> dict[str, Any]:
    return {
        "method": item.method,
        "path": item.path,
        "query": item.query,
        "headers": dict(item.headers.items()),
        "body": item.text,
        "credential": item.credential,
        "authorized": item.authorized,
        "fault": item.fault,
    }


def _mask_header(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    return f"{scheme} {REDACTED}" if rest and scheme.isalpha() else REDACTED
