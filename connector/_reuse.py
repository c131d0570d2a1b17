"""Sending again, once and at once, when a kept-alive connection turns out to be closed.

A server may close an idle kept-alive connection just as the next request goes out on it:
the request then fails before any byte of an answer, and the server did not act on it. Go's
`net/http` sends such a request again on a new connection when it is idempotent; so does
this, once, without it counting as an attempt (no backoff, no attempt used up). A failure on a
new connection, or of a POST, is an attempt's outcome as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from connector._idempotency import IDEMPOTENT_METHODS

_NO_ANSWER = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)
"""What a closed connection raises before any answer (`RemoteDisconnected` is a reset)."""


def send_once_more_if_stale(
    session: requests.Session, prepared: requests.PreparedRequest, **settings: Any
) -> requests.Response:
    """`session.send(prepared)`, sent again once when it failed on a stale kept-alive connection.

    Raises:
        requests.RequestException: as `session.send` does.
    """
    pool = _pool(session, prepared, settings)
    reusable = pool is not None and _has_idle_connection(pool)
    made = pool.num_connections if pool is not None else 0
    try:
        return session.send(prepared, **settings)
    except requests.ConnectionError as exc:
        reused = reusable and pool is not None and pool.num_connections == made
        if not (reused and _idempotent(prepared) and _no_answer(exc)):
            raise
    return session.send(prepared, **settings)


def _pool(
    session: requests.Session, prepared: requests.PreparedRequest, settings: dict[str, Any]
) -> Any:
    """The urllib3 pool `session.send` will take a connection from (None if not urllib3's)."""
    adapter = session.get_adapter(prepared.url or "")
    if not isinstance(adapter, HTTPAdapter):
        return None
    try:
        return adapter.get_connection_with_tls_context(
            prepared, settings.get("verify", True), settings.get("proxies"), settings.get("cert")
        )
    except (requests.RequestException, ValueError, AttributeError):
        return None


def _has_idle_connection(pool: Any) -> bool:
    queue = getattr(getattr(pool, "pool", None), "queue", ())
    return any(connection is not None for connection in list(queue))


def _idempotent(prepared: requests.PreparedRequest) -> bool:
    return (prepared.method or "").upper() in IDEMPOTENT_METHODS


def _no_answer(exc: BaseException) -> bool:
    return any(isinstance(error, _NO_ANSWER) for error in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps (args, cause, context), at most 8 deep."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        wrapped = [*reversed(seen.args), seen.__cause__, seen.__context__]
        seen = next((error for error in wrapped if isinstance(error, BaseException)), None)
