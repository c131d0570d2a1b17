"""Pacing shared by every worker of a batch: a rate, lowered to what the server says.

    pacer = Pacer(Rate(3000, 600))         # Rebilly sandbox: 3000 non-GET requests / 10 min
    session = PacedSession(pacer)          # one per worker; every attempt waits for its slot

- The rate spaces requests evenly (`window / limit` apart; a burst would fill a sliding
  window at once and leave the rest of it refused). It runs at 98 % of the limit: the 2 %
  of the window left over absorbs network and clock jitter between this machine and the
  server, so two requests one window apart are never both counted in one window.
- `X-RateLimit-Limit` lowers the limit when it is smaller than the configured one (read per
  the configured window: Rebilly's headers do not say the window). `X-RateLimit-Remaining`
  says how much of the window others (another batch, another service of the organization)
  have used: `limit - remaining - what this batch sent within the window`; that share is
  taken off the limit.
- A 429 pauses every worker until the server's `X-RateLimit-Retry-After` (UTC epoch seconds)
  or `Retry-After` (seconds or HTTP-date), read by the same code that times retries
  (`connector._retry.server_wait`); with neither, one interval (or one second).

Every attempt passes through `PacedSession.send`, retries included: the executor's own
retry waits still apply, and its next attempt also waits for a slot. The clock (which also
sleeps) is injected, so tests never wait.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from typing import Any, Final

import requests

from connector._clock import SYSTEM_CLOCK, Clock, SystemClock
from connector._retry import server_wait
from connector._transport import Response

__all__ = [
    "HEADROOM",
    "KNOWN_LIMITS",
    "PacedSession",
    "Pacer",
    "PacerClosedError",
    "Rate",
    "parse_rate",
]

HEADROOM: Final = 0.98
"""The share of the limit used: the rest of the window absorbs jitter."""

LIMIT_HEADER: Final = "X-RateLimit-Limit"
REMAINING_HEADER: Final = "X-RateLimit-Remaining"


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `requests` requests in any `seconds`-long window."""

    requests: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"


KNOWN_LIMITS: Final[Mapping[str, Rate]] = {"rebilly": Rate(3000, 600)}
"""Published limits by API (a template's `operation.api`, lower case): the default rate."""

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$", re.IGNORECASE)
_UNITS: Final = {"s": 1, "m": 60, "h": 3600}


def parse_rate(text: str) -> Rate | None:
    """`N/SECONDS` (`200/10s`, `3000/10m`), or None for `none`/`off` (unthrottled).

    Raises:
        ValueError: the text is not a rate, or it is zero.
    """
    if text.strip().lower() in {"none", "off", "unlimited"}:
        return None
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: write N/SECONDS, such as 3000/600s or 200/10s")
    seconds = float(match[2]) * _UNITS[(match[3] or "s").lower()]
    if int(match[1]) < 1 or seconds <= 0:
        raise ValueError(f"{text!r}: a rate needs at least 1 request in more than 0 seconds")
    return Rate(int(match[1]), seconds)


class Pacer:
    """Hands out send slots to any number of threads at a shared rate."""

    def __init__(
        self,
        rate: Rate | None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """Args:
        rate: the configured rate; None: unthrottled (a 429 still pauses everyone).
        clock: slots, pauses and retry headers are timed on it, and it waits for them.
        """
        self.rate = rate
        self._closed = threading.Event()
        self._clock = clock
        # The machine's sleep cannot be cut short; a wait on the closed event can, so a
        # stopping batch does not sit out a long 429 pause. A fake clock sleeps itself.
        self._sleep = self._closed.wait if isinstance(clock, SystemClock) else clock.sleep
        self._lock = threading.Lock()
        self._next = clock.monotonic()
        self._paused_until = self._next
        self._sent: deque[float] = deque()
        self.limit = rate.requests if rate else None
        """The limit in use (the configured one, lowered by the server)."""
        self.refusals = 0
        """How many 429 answers were seen."""

    @property
    def interval(self) -> float | None:
        """Seconds between two slots; None when unthrottled."""
        if self.rate is None or self.limit is None:
            return None
        return self.rate.seconds / (self.limit * HEADROOM)

    def acquire(self) -> bool:
        """Block until the caller may send: True; False when the pacer was closed meanwhile."""
        while not self._closed.is_set():
            wait = self._take()
            if wait <= 0:
                return True
            self._sleep(wait)
        return False

    def close(self) -> None:
        """Give no more slots: every waiting `acquire` returns False (a batch is stopping)."""
        self._closed.set()

    def _take(self) -> float:
        """0 when a slot was taken now; else the seconds to wait before asking again."""
        with self._lock:
            now = self._clock.monotonic()
            interval = self.interval
            due = max(self._paused_until, self._next if interval else now)
            if due > now:
                return due - now
            if interval is not None:
                self._next = max(self._next, now - self._slack(interval)) + interval
                self._remember(now)
            return 0.0

    def _slack(self, interval: float) -> float:
        """How late a slot may be taken and still keep the grid (no drift when a waiter
        wakes late): 1 % of the window, half the 2 % headroom, so two requests `limit`
        slots apart stay more than a window apart. Idle time beyond it is not banked."""
        assert self.rate is not None
        return max(interval / 2, self.rate.seconds * (1 - HEADROOM) / 2)

    def _remember(self, now: float) -> None:
        assert self.rate is not None
        self._sent.append(now)
        while self._sent and self._sent[0] <= now - self.rate.seconds * (2 - HEADROOM):
            self._sent.popleft()

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer: the server's limit, its remaining budget, a 429."""
        with self._lock:
            if status_code == 429:
                self._refused(headers)
            self._lower(_count(headers.get(LIMIT_HEADER)), _count(headers.get(REMAINING_HEADER)))

    def _refused(self, headers: Mapping[str, str]) -> None:
        self.refusals += 1
        answer = Response(status_code=429, reason="", headers=dict(headers), body=None)
        wait = server_wait(answer, self._clock.time())
        if wait is None:
            wait = self.interval or 1.0
        self._paused_until = max(self._paused_until, self._clock.monotonic() + wait)

    def _lower(self, limit: int | None, remaining: int | None) -> None:
        if self.rate is None or limit is None:
            return
        # Ours are counted over the window plus the headroom: the server's window ended a
        # little before this answer arrived, and counting too few of ours would blame others.
        since = self._clock.monotonic() - self.rate.seconds * (2 - HEADROOM)
        ours = len(self._sent) - sum(1 for _ in takewhile(lambda sent: sent <= since, self._sent))
        others = 0 if remaining is None else max(0, limit - remaining - ours)
        self.limit = max(1, min(self.rate.requests, limit) - others)

    def __repr__(self) -> str:
        return f"<Pacer rate={self.rate} limit={self.limit} refusals={self.refusals}>"


def _count(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


class PacerClosedError(Exception):
    """The pacer was closed while a request waited for its slot: it was not sent."""


class PacedSession(requests.Session):
    """A `requests.Session` whose every send waits for a slot and reports its answer."""

    def __init__(self, pacer: Pacer) -> None:
        super().__init__()
        self.pacer = pacer
        self.prepaid = False
        """The caller took the next send's slot already (to journal it right before)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Wait for a slot, send, and tell the pacer what the server said.

        Raises:
            PacerClosedError: the pacer was closed while waiting; nothing was sent.
        """
        prepaid, self.prepaid = self.prepaid, False
        if not prepaid and not self.pacer.acquire():
            raise PacerClosedError("the batch is stopping")
        response = super().send(request, **kwargs)
        self.pacer.observe(response.status_code, response.headers)
        return response
