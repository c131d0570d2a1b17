"""One attempt on the wire: send a prepared request with a `requests.Session`, read the answer.

Every attempt has a connect and a read timeout, never follows a redirect (a 3xx is the
answer, so a credential cannot travel to another host), and reads the body with a size cap so
that a huge or endless body keeps memory bounded. JSON is parsed when the content type says
JSON; anything else (an HTML error page from a proxy) is kept as text. `requests`' exceptions
are translated to the connector's error tree here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.exceptions import NameResolutionError, NewConnectionError

from connector._clock import SYSTEM_CLOCK, Clock
from connector._errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeoutError,
    CredentialProxyError,
    ReadTimeoutError,
    TransportError,
)
from connector._hosts import is_loopback
from connector._json import loads
from connector._request import PreparedRequest
from connector._reuse import send_once_more_if_stale
from connector.auth import Outgoing

MAX_BODY_BYTES: Final = 1024 * 1024
"""Default cap on a response body; what is past it is dropped and reported."""

MAX_RESPONSE_DEPTH: Final = 128
"""A JSON response nested deeper is kept as text: what walks it (redaction, printing) recurses."""

_CHUNK_BYTES: Final = 64 * 1024

EnvironmentCache = dict[tuple[str, str], dict[str, Any]]
"""Proxy and TLS settings from the environment, by (scheme, host:port)."""


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Connect and read timeouts of one attempt, in seconds."""

    connect: float
    read: float

    def within(self, remaining: float) -> Timeouts:
        """These timeouts, none longer than `remaining` (the time left before the deadline)."""
        remaining = max(remaining, 0.001)
        return Timeouts(min(self.connect, remaining), min(self.read, remaining))


@dataclass(frozen=True, slots=True)
class Response:
    """What one attempt received: status, headers and the parsed body."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    body: Any
    truncated: bool = False
    text: str | None = None
    """The UTF-8 text `body` was parsed or taken from (None when it was decoded otherwise)."""
    warnings: tuple[str, ...] = ()

    def header(self, name: str) -> str | None:
        """One header's value, by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def send(
    session: requests.Session,
    request: PreparedRequest,
    timeouts: Timeouts,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    environment: EnvironmentCache | None = None,
    deadline_at: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Response:
    """Send `request` once and read its answer.

    The request's auth flow decides what goes on the wire: usually the request with its
    credentials applied; an OAuth2 credential first asks its token endpoint, and answers a
    401 to a cached token by fetching a new one and sending once more.

    Raises:
        TransportError: (or a subclass) when no usable response arrived.
    """
    flow = request.flow()
    outgoing = next(flow)
    while True:
        response = _send_one(
            session,
            request.task,
            outgoing,
            timeouts,
            credential=bool(request.auth),
            max_body_bytes=max_body_bytes,
            environment=environment,
            deadline_at=deadline_at,
            clock=clock,
        )
        try:
            outgoing = flow.send(response)
        except StopIteration:
            return response


def _send_one(
    session: requests.Session,
    task: str,
    outgoing: Outgoing,
    timeouts: Timeouts,
    *,
    credential: bool,
    max_body_bytes: int,
    environment: EnvironmentCache | None,
    deadline_at: float | None,
    clock: Clock,
) -> Response:
    """One request of the auth flow (the API request, or a token request) and its answer."""
    settings = _environment_settings(session, outgoing.url, environment)
    if credential:
        _refuse_clear_proxy(task, outgoing.url, settings)
    with _translated(task, outgoing.url, timeouts):
        prepared = session.prepare_request(
            requests.Request(
                outgoing.method,
                outgoing.url,
                headers=dict(outgoing.headers),
                data=outgoing.content,
                auth=_no_auth,
            )
        )
        raw = send_once_more_if_stale(
            session,
            prepared,
            timeout=(timeouts.connect, timeouts.read),
            allow_redirects=False,
            **settings,
        )
        with raw:
            content, truncated = _read_capped(raw, max_body_bytes, deadline_at, clock)
        body, text = _decode(content, raw.headers.get("Content-Type", ""), raw.encoding)
        return Response(
            status_code=raw.status_code,
            reason=raw.reason or "",
            headers=dict(raw.headers),
            body=body,
            truncated=truncated,
            text=text,
            warnings=() if truncated else _not_parsed(body, text, raw.headers),
        )


def _no_auth(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    """Explicitly no extra auth: keeps `~/.netrc` from adding a second credential."""
    return prepared


def _environment_settings(
    session: requests.Session, url: str, cache: EnvironmentCache | None
) -> dict[str, Any]:
    """Proxies and TLS settings from the environment, worked out once per origin.

    `requests` reads them again from `os.environ` on every request (a scan of the whole
    environment); a workflow step sends to one origin thousands of times, so the executor
    keeps them (a changed `HTTPS_PROXY` applies to the next executor). Loopback never goes
    through a proxy, whatever `NO_PROXY` says (as curl's and requests' defaults intend):
    `HTTP_PROXY` set and `NO_PROXY` empty must not hand a local request, and its
    credential, to the proxy.
    """
    parts = urlsplit(url)
    origin = (parts.scheme, parts.netloc)
    settings = None if cache is None else cache.get(origin)
    if settings is None:
        settings = dict(session.merge_environment_settings(url, {}, True, None, None))
        if is_loopback(parts.hostname):
            settings["proxies"] = {}
        if cache is not None:
            cache[origin] = settings
    return settings


def _refuse_clear_proxy(task: str, url: str, settings: Mapping[str, Any]) -> None:
    """A credential over plain http would cross the proxy in clear: refused, nothing sent.

    (Over https the proxy only tunnels: it sees the host, never the request.)
    """
    if not url.lower().startswith("http://"):
        return
    proxy = requests.utils.select_proxy(url, settings.get("proxies") or {})
    if proxy:
        host = urlsplit(url).hostname or ""
        raise CredentialProxyError(
            f"refused: the request to {host} carries a credential over plain http and would "
            f"pass through the proxy {urlsplit(proxy).hostname or proxy} in clear; "
            "nothing was sent. Use https, or set NO_PROXY for that host",
            task=task,
        )


def _read_capped(
    raw: requests.Response, limit: int, deadline_at: float | None, clock: Clock
) -> tuple[bytes, bool]:
    """The body, cut at `limit` bytes; a body still arriving at the deadline is a timeout.

    `read1` returns whatever has arrived (each socket read bounded by the read timeout), so
    a body that trickles in byte by byte cannot hold the task past its deadline.
    """
    chunks: list[bytes] = []
    size = 0
    while chunk := raw.raw.read1(_CHUNK_BYTES, decode_content=True):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
        if deadline_at is not None and clock.monotonic() > deadline_at:
            raise _BodyPastDeadlineError
    return b"".join(chunks), False


class _BodyPastDeadlineError(Exception):
    """The response body was still arriving when the deadline passed."""


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON (`application/json`, `…+json`)."""
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _decode(content: bytes, content_type: str, encoding: str | None) -> tuple[Any, str | None]:
    """The body (parsed JSON, or text) and the UTF-8 text it came from, if it did."""
    if not content:
        return None, None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode(encoding or "utf-8", errors="replace"), None
    if is_json(content_type):
        try:
            return loads(text, max_depth=MAX_RESPONSE_DEPTH), text
        except ValueError:  # not JSON, or nested past what can be walked: kept as text
            pass
    if encoding is None or encoding.lower().replace("_", "-") in {"utf-8", "utf8", "ascii"}:
        return text, text
    return content.decode(encoding, errors="replace"), None


def _not_parsed(body: Any, text: str | None, headers: Mapping[str, str]) -> tuple[str, ...]:
    """A warning when a body said to be JSON is kept as text (a parsed string has quotes)."""
    if text is None or not is_json(headers.get("Content-Type", "")) or body != text:
        return ()
    return (
        f"the response body is not JSON, or nests deeper than {MAX_RESPONSE_DEPTH} levels, "
        "although its Content-Type says JSON: it is kept as text",
    )


@contextmanager
def _translated(task: str, url: str, timeouts: Timeouts) -> Iterator[None]:
    """Turn `requests`' exceptions into the connector's, with messages that hold no secret."""
    host = urlsplit(url).netloc
    try:
        yield
    except _BodyPastDeadlineError:
        raise ReadTimeoutError(
            f"the response body from {host} was still arriving at the deadline",
            task=task,
        ) from None
    except requests.ConnectTimeout:
        raise ConnectTimeoutError(
            f"connecting to {host} timed out after {timeouts.connect:g} s", task=task
        ) from None
    except requests.ReadTimeout:
        raise ReadTimeoutError(
            f"{host} did not answer within {timeouts.read:g} s", task=task
        ) from None
    except requests.exceptions.SSLError:
        raise TransportError(f"TLS with {host} failed", task=task) from None
    except urllib3.exceptions.ReadTimeoutError:  # raised by the body's read, not by requests
        raise ReadTimeoutError(
            f"{host} did not answer within {timeouts.read:g} s", task=task
        ) from None
    except (
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        urllib3.exceptions.HTTPError,  # a body that breaks HTTP (a 204 with content, cut short)
    ):
        raise ConnectionLostError(f"{host} broke off the response", task=task) from None
    except requests.ConnectionError as exc:
        raise _connection_error(exc, host, task) from None
    except requests.RequestException as exc:
        raise TransportError(f"cannot send to {host}: {type(exc).__name__}", task=task) from None


def _connection_error(exc: requests.ConnectionError, host: str, task: str) -> TransportError:
    """Tell 'could not connect' (nothing sent) from 'dropped after sending'."""
    chain = list(_chain(exc))
    reason = _describe(chain[-1])
    connect_failures = NewConnectionError | NameResolutionError | ConnectionRefusedError
    if any(isinstance(error, connect_failures) for error in chain):
        return ConnectError(f"cannot connect to {host}: {reason}", task=task)
    return ConnectionLostError(f"{host} closed the connection: {reason}", task=task)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and the ones it wraps (urllib3 `reason`, args, cause), at most 8 deep."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        wrapped = [getattr(seen, "reason", None), *reversed(seen.args), seen.__cause__]
        wrapped.append(seen.__context__)
        seen = next((error for error in wrapped if isinstance(error, BaseException)), None)


def _describe(reason: BaseException) -> str:
    """A short, secret-free reason: the OS error text or the exception's class name."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__
